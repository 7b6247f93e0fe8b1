"""The rules tests reuse the clinic's fixtures (an admin API client and a small clinic) and the UI's browser."""

from tests.clinic.conftest import Api, Clinic, api, clinic  # noqa: F401  (fixtures reused here)
from tests.ui.conftest import browser  # noqa: F401
