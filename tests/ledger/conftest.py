"""The ledger's tests use the clinic's fixtures (an admin API client, a small clinic) and the core's
tiny configuration (a registry of its own, its engine)."""

from tests.clinic.conftest import Clinic, api, clinic  # noqa: F401
