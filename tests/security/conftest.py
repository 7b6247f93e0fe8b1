"""Fixtures of the security tests: the UI's logged-in browser and the small clinic, reused."""

from tests.ui.conftest import api, browser, clinic, login_as  # noqa: F401  (fixtures reused here)
