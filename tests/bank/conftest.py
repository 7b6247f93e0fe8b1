"""Fixtures of the bank statement tests: the small clinic and its API, an admin's browser."""

from tests.ui.conftest import api, browser, clinic, login_as  # noqa: F401  (fixtures reused here)
