"""Acceptance point 22: the administrator's settings (slot step, default appointment length) reach
every path that offers or books time: the REST slots, the widget's slots and bookings, a Request
written through the REST API. Changed in the UI's settings page, they are in force at once."""

from __future__ import annotations

from tests.amocrm.test_widget_api import BOOK, SLOTS, token
from tests.ui.conftest import DAY, schedule_month

SETTINGS = {"slot_step_minutes": "15", "default_appointment_minutes": "45", "day_start": "08:00",
            "day_end": "20:00", "low_stock_threshold": "5"}


async def test_a_setting_changed_in_the_ui_reaches_the_widget_the_rest_slots_and_requests(
        browser, api, clinic, client, fake, connected):
    await schedule_month(api, clinic)  # Ефимова 08:15–13:00
    before = await client.get(SLOTS, params={"date": DAY, "doctor_id": clinic.efimova}, headers=token(fake))
    assert before.json()["step_minutes"] == 5 and before.json()["doctors"][0]["slots"][:2] == ["08:15", "08:20"]

    await browser.post("/admin/settings", SETTINGS)

    widget = (await client.get(SLOTS, params={"date": DAY, "doctor_id": clinic.efimova}, headers=token(fake))).json()
    assert widget["step_minutes"] == 15 and widget["duration_minutes"] == 45
    assert widget["doctors"][0]["slots"][:3] == ["08:15", "08:30", "08:45"]
    assert widget["doctors"][0]["slots"][-1] == "12:15"  # 12:15 + 45 min = 13:00
    off_grid = await client.post(BOOK, json={"lead_id": 7001, "date": DAY, "doctor_id": clinic.efimova,
                                             "time": "08:20"}, headers=token(fake))
    assert off_grid.status_code == 422 and "шагом 15 мин" in off_grid.json()["message"]
    booked = await client.post(BOOK, json={"lead_id": 7001, "date": DAY, "doctor_id": clinic.efimova,
                                           "time": "08:30"}, headers=token(fake))
    assert booked.status_code == 201, booked.text
    request = await api.get(f"/api/documents/requests/{booked.json()['request_id']}")
    assert request["duration_minutes"] == 45 and request["ends_at"].startswith(f"{DAY}T09:15")

    rest = await api.get("/api/schedule/slots", date=DAY, doctor_id=clinic.efimova)
    assert rest["step_minutes"] == 15 and rest["duration_minutes"] == 45
    assert rest["doctors"][0]["slots"][:2] == ["09:15", "09:30"]  # 08:30–09:15 is taken

    by_rest = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T11:00:00",
                                            "lines": [{"nomenclature_id": clinic.goods, "quantity": "1"}]})
    assert by_rest["duration_minutes"] == 45
