"""The audit tests reuse the clinic's fixtures (an admin API client and a small clinic)."""

from tests.clinic.conftest import Api, Clinic, api, clinic  # noqa: F401  (fixtures reused here)
