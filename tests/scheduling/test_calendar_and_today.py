"""Acceptance point 28 (part): a calendar cell whose start a posted Request holds is not a booking
link, and the slots for today (REST and widget) start after the current time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.amocrm.test_widget_api import SLOTS, token
from tests.ui.conftest import DAY, schedule_month
from tests.ui.test_calendar import column


def link(clinic, time: str) -> str:
    return f'href="/documents/requests/new?doctor_id={clinic.efimova}&amp;starts_at={DAY}T{time}"'


async def test_occupied_cells_are_not_booking_links(browser, api, clinic):
    await schedule_month(api, clinic)  # Ефимова 08:15–13:00
    await api.create("requests", {"client_id": clinic.client, "doctor_id": clinic.efimova,
                                  "starts_at": f"{DAY}T09:00:00", "duration_minutes": 40,
                                  "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1"}]},
                     post=True)
    await api.create("requests", {"client_id": clinic.client, "doctor_id": clinic.efimova,  # a draft holds nothing
                                  "starts_at": f"{DAY}T11:00:00", "duration_minutes": 30,
                                  "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1"}]})
    efimova = column((await browser.get(f"/schedule?date={DAY}&step=15")).text, clinic.efimova)
    assert link(clinic, "08:45") in efimova
    for held in ("09:00", "09:15", "09:30"):  # 09:00–09:40
        assert link(clinic, held) not in efimova
        assert f'<div class="cell work occupied" data-time="{DAY}T{held}"></div>' in efimova
    assert link(clinic, "09:45") in efimova and link(clinic, "11:00") in efimova


async def test_todays_slots_start_after_the_current_time(api, clinic, client, fake, connected, settings):
    tz = ZoneInfo(settings.timezone)
    today = dt.datetime.now(tz).date()
    await api.create("work-schedules", {"date": f"{today:%Y-%m}-01T00:00:00", "month": f"{today:%Y-%m}-01",
                                        "lines": [{"doctor_id": clinic.efimova, "day": today.isoformat(),
                                                   "start": "00:00", "end": "23:55"}]}, post=True)
    now = dt.datetime.now(tz)
    rest = (await api.get("/api/schedule/slots", date=today.isoformat(), doctor_id=clinic.efimova,
                          duration=5))["doctors"][0]["slots"]
    widget = (await client.get(SLOTS, params={"date": today.isoformat(), "doctor_id": clinic.efimova},
                               headers=token(fake))).json()["doctors"][0]["slots"]
    for slots in (rest, widget):
        assert all(s > f"{now:%H:%M}" for s in slots), slots[:3]
    if now.time() < dt.time(23, 0):  # a start within the next few minutes is still offered
        assert rest[0] <= f"{now + dt.timedelta(minutes=7):%H:%M}"
