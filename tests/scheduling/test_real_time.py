"""Acceptance point 4: time is real time. On the nights the clock changes (Europe/Berlin), a
90-minute booking holds 90 real minutes, a wall time the clock skips is a 422
``nonexistent_local_time`` with a Russian message on every input path and writes nothing, a
repeated wall time is its first occurrence (fold=0), and the slots never offer a skipped time."""

from __future__ import annotations

import datetime as dt

from tests.amocrm.test_widget_api import BOOK, SLOTS, token
from tests.scheduling.conftest import AUTUMN, SPRING, night_shifts

SKIPPED = f"{SPRING}T02:30:00"  # 02:00–02:59 does not exist that night


def booking(clinic, starts: str, minutes: int | None = 90) -> dict:
    return {"client_id": clinic.client, "doctor_id": clinic.efimova, "starts_at": starts,
            **({"duration_minutes": minutes} if minutes else {}),
            "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]}


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def refused_as_skipped(r) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "nonexistent_local_time"
    assert "не существует" in body["message"] and "28.03.2027 02:30" in body["message"]


async def test_a_90_minute_booking_holds_90_real_minutes_across_both_changes(api, clinic):
    await night_shifts(api, clinic.efimova)
    spring = await api.create("requests", booking(clinic, f"{SPRING}T01:30:00"), post=True)
    assert spring["starts_at"] == f"{SPRING}T01:30:00+01:00"
    assert spring["ends_at"] == f"{SPRING}T04:00:00+02:00"  # the wall clock shows 2.5 hours
    assert moment(spring["ends_at"]) - moment(spring["starts_at"]) == dt.timedelta(minutes=90)
    autumn = await api.create("requests", booking(clinic, f"{AUTUMN}T01:30:00"), post=True)
    assert autumn["ends_at"] == f"{AUTUMN}T02:00:00+01:00"  # the wall clock shows half an hour
    assert moment(autumn["ends_at"]) - moment(autumn["starts_at"]) == dt.timedelta(minutes=90)
    # the time held is the real time: a booking right after the spring one fits, one overlapping it does not
    await api.create("requests", booking(clinic, f"{SPRING}T04:00:00", 30), post=True)
    await api.create("requests", booking(clinic, f"{SPRING}T03:55:00", 30), status=409, post=True)


async def test_a_repeated_wall_time_is_its_first_occurrence(api, clinic):
    await night_shifts(api, clinic.efimova)
    created = await api.create("requests", booking(clinic, f"{AUTUMN}T02:30:00", 30), post=True)
    assert created["starts_at"] == f"{AUTUMN}T02:30:00+02:00"  # fold=0: before the clock goes back
    assert created["ends_at"] == f"{AUTUMN}T02:00:00+01:00"


async def test_a_skipped_wall_time_is_422_on_every_rest_path_and_writes_nothing(api, clinic, client, db):
    await night_shifts(api, clinic.efimova)
    r = await client.post("/api/documents/requests", json=booking(clinic, SKIPPED), headers=api.headers)
    refused_as_skipped(r)
    r = await client.post("/api/documents/requests", json={**booking(clinic, f"{SPRING}T01:00:00"), "date": SKIPPED},
                          headers=api.headers)
    refused_as_skipped(r)
    assert r.json()["details"]["fields"] == {"date": r.json()["details"]["fields"]["date"]}
    draft = await api.create("requests", booking(clinic, f"{SPRING}T01:00:00", 30))
    r = await client.put(f"/api/documents/requests/{draft['id']}",
                         json={**booking(clinic, SKIPPED), "date": draft["date"]}, headers=api.headers)
    refused_as_skipped(r)
    assert await db.fetchval("SELECT count(*) FROM doc_requests") == 1
    assert (await api.get(f"/api/documents/requests/{draft['id']}"))["starts_at"] == f"{SPRING}T01:00:00+01:00"


async def test_the_slots_never_offer_a_skipped_time_and_offer_a_repeated_one_once(api, clinic):
    await night_shifts(api, clinic.efimova)
    spring = (await api.get("/api/schedule/slots", date=SPRING, doctor_id=clinic.efimova,
                            duration=90))["doctors"][0]["slots"]
    assert not [s for s in spring if s.startswith("02:")]
    assert spring[:2] == ["00:00", "00:05"] and "01:55" in spring and "03:00" in spring
    assert spring[-1] == "04:30"  # 04:30 + 90 real minutes = 06:00
    autumn = (await api.get("/api/schedule/slots", date=AUTUMN, doctor_id=clinic.efimova,
                            duration=90))["doctors"][0]["slots"]
    assert len(autumn) == len(set(autumn)) and "02:30" in autumn
    assert autumn[-1] == "04:30"
    await api.create("requests", booking(clinic, f"{SPRING}T01:30:00"), post=True)  # until 04:00, real time
    spring = (await api.get("/api/schedule/slots", date=SPRING, doctor_id=clinic.efimova,
                            duration=30))["doctors"][0]["slots"]
    assert "01:00" in spring and "01:05" not in spring and "03:55" not in spring and "04:00" in spring


async def test_the_widget_refuses_a_skipped_time(client, fake, connected, api, clinic, db):
    await night_shifts(api, clinic.efimova)
    free = await client.get(SLOTS, params={"date": SPRING, "doctor_id": clinic.efimova}, headers=token(fake))
    assert free.status_code == 200, free.text
    assert not [s for s in free.json()["doctors"][0]["slots"] if s.startswith("02:")]
    r = await client.post(BOOK, json={"lead_id": 5001, "date": SPRING, "doctor_id": clinic.efimova, "time": "02:30"},
                          headers=token(fake))
    refused_as_skipped(r)
    assert await db.fetchval("SELECT count(*) FROM doc_requests") == 0
    ok = await client.post(BOOK, json={"lead_id": 5001, "date": SPRING, "doctor_id": clinic.efimova, "time": "03:00"},
                           headers=token(fake))
    assert ok.status_code == 201, ok.text


async def test_the_ui_form_and_the_calendar_refuse_a_skipped_time(browser, api, clinic, db):
    await night_shifts(api, clinic.efimova)
    r = await browser.post("/documents/requests/new", {
        "date": f"{SPRING}T01:00", "doctor_id": clinic.efimova, "starts_at": f"{SPRING}T02:30",
        "client_id": clinic.client, "duration_minutes": "30", "amocrm_lead_id": "", "visit_status_id": "",
        "comment": "", "lines-0-nomenclature_id": clinic.service, "lines-0-quantity": "1", "lines-0-price": "1500",
        "action": "post"}, status=422)
    assert "не существует" in r.text and "28.03.2027 02:30" in r.text
    assert await db.fetchval("SELECT count(*) FROM doc_requests") == 0
    request = await api.create("requests", booking(clinic, f"{SPRING}T01:00:00", 30), post=True)
    moved = await browser.post(f"/schedule/requests/{request['id']}/move",
                               {"doctor_id": clinic.efimova, "starts_at": f"{SPRING}T02:30"}, status=422, htmx=True)
    assert "не существует" in moved.text
    assert (await api.get(f"/api/documents/requests/{request['id']}"))["starts_at"] == f"{SPRING}T01:00:00+01:00"
    await browser.post("/admin/settings", {"slot_step_minutes": "30", "default_appointment_minutes": "30",
                                           "day_start": "00:00", "day_end": "06:00", "low_stock_threshold": "5"})
    calendar = (await browser.get(f"/schedule?date={SPRING}&step=30")).text
    assert f"starts_at={SPRING}T01:30" in calendar and f"starts_at={SPRING}T03:00" in calendar
    assert f"starts_at={SPRING}T02:30" not in calendar  # the clock skips it: grey, not a booking link
