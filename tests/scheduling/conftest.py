"""Fixtures of the scheduling tests: the clinic of tests/clinic and the UI browser, on a clock
with daylight saving (Europe/Berlin: 28.03.2027 02:00 → 03:00, 31.10.2027 03:00 → 02:00)."""

from __future__ import annotations

from pathlib import Path

import pytest

from erp.app.settings import Settings
from tests.amocrm.conftest import connected, fake  # noqa: F401  (the widget's fixtures)
from tests.clinic.conftest import api, clinic  # noqa: F401  (the clinic's fixtures)
from tests.conftest import SECRET
from tests.ui.conftest import browser  # noqa: F401

SPRING, AUTUMN = "2027-03-28", "2027-10-31"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=SECRET, timezone="Europe/Berlin",
                    data_dir=tmp_path / "data", run_worker_in_serve=False)


async def night_shifts(rest, doctor: int) -> None:
    """The doctor works 00:00–06:00 on both nights the clock changes."""
    for day in (SPRING, AUTUMN):
        await rest.create("work-schedules", {"date": f"{day[:8]}01T09:00:00", "month": f"{day[:8]}01", "lines": [
            {"doctor_id": doctor, "day": day, "start": "00:00", "end": "06:00"}]}, post=True)
