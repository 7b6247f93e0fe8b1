"""Issue 18, point 10: group bookings. A service with «Мест в группе» is a group service: several
clients book the same slot (the same doctor, start and end, the same service) up to its places, each
a Request of their own with their own visit status; one more is a 409 ``group_full``, even when they
all post at once (capacity + 1 concurrent bookings: exactly capacity succeed). Against anything else
a group slot is a booking like any other (the doctor's, the room's exclusion constraints still hold).
The calendar shows the slot as one block, «3/8», listing its participants."""

import asyncio

from erp.app.application import create_app
from tests.clinic.conftest import counts, predefined
from tests.clinic.test_work_schedule import line, ws
from tests.conftest import concurrent_client
from tests.ui.conftest import browser  # noqa: F401  (the calendar)

DAY = "2021-12-22"
TAKEN = "Это время у врача уже занято другой заявкой"


def full(places: int) -> str:
    return (f"Группа «Лечебная физкультура» у врача Ефимова Е.В. 22.12.2021 в 10:00 уже набрана: "
            f"свободных мест нет (занято {places} из {places})")


async def group(api, clinic, places: int) -> int:
    await api.create("work-schedules", ws("2021-12-01", [line(doctor, DAY, "08:00", "16:00")
                                                         for doctor in clinic.doctors]), post=True)
    return (await api.item("nomenclature", {"name": "Лечебная физкультура", "kind": "service", "price": "700",
                                            "duration_minutes": 60, "group_capacity": places,
                                            "performers": [{"doctor_id": clinic.efimova}]}))["id"]


async def clients(api, n: int) -> list[int]:
    return [(await api.item("clients", {"name": f"Участник {i + 1}", "kind": "person"}))["id"] for i in range(n)]


def place(clinic, service: int, client: int, at: str = "10:00", **more) -> dict:
    return {"doctor_id": clinic.efimova, "client_id": client, "starts_at": f"{DAY}T{at}:00",
            "lines": [{"nomenclature_id": service, "quantity": "1", "price": "700"}], **more}


async def test_a_group_slot_takes_clients_up_to_its_places_and_no_more(api, db, browser, clinic):  # noqa: F811
    yoga = await group(api, clinic, 3)
    people = await clients(api, 5)
    booked = [await api.create("requests", place(clinic, yoga, c), post=True) for c in people[:3]]
    assert {(b["group_capacity"], b["ends_at"]) for b in booked} == {(3, f"{DAY}T11:00:00+03:00")}
    before = await counts(db)
    refused = await api.create("requests", place(clinic, yoga, people[3]), status=409, post=True)
    assert (refused["code"], refused["message"]) == ("group_full", full(3))
    assert await counts(db) == before
    # against anything else the slot is an ordinary booking: another service, another start, another length
    other = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T10:30:00",
                                          "lines": [{"nomenclature_id": clinic.service, "quantity": "1"}]},
                             status=409, post=True)
    assert (other["code"], other["message"]) == ("exclusion_conflict", TAKEN)
    later = await api.create("requests", place(clinic, yoga, people[3], "10:30"), status=409, post=True)
    assert later["code"] == "exclusion_conflict"
    shorter = await api.create("requests", place(clinic, yoga, people[3], duration_minutes=30), status=409, post=True)
    assert shorter["code"] == "exclusion_conflict"
    assert await counts(db) == before
    # each participant keeps their own visit status
    missed = (await predefined(api, "visit-statuses", "Не пришел"))["id"]
    await browser.post(f"/schedule/requests/{booked[1]['id']}/status", {"visit_status_id": missed, "date": DAY},
                       status=200, htmx=True)
    statuses = [(await api.get(f"/api/documents/requests/{b['id']}"))["visit_status_id"] for b in booked]
    assert statuses[1] == missed and statuses[0] == statuses[2] != missed
    # the calendar: one block «3/3» with the three participants and their statuses
    page = await browser.get(f"/schedule?date={DAY}")
    assert page.text.count('class="appointment group"') == 1
    assert "3/3" in page.text
    assert all(f"Участник {i}" in page.text for i in (1, 2, 3)) and "Не пришел" in page.text
    # a place freed (unposted) is taken again; a draft holds none
    await api.post(f"/api/documents/requests/{booked[2]['id']}/unpost")
    draft = await api.create("requests", place(clinic, yoga, people[4]))
    assert (await api.create("requests", place(clinic, yoga, people[3]), post=True))["posted"] is True
    again = await api.post(f"/api/documents/requests/{draft['id']}/post", status=409)
    assert (again["code"], again["message"]) == ("group_full", full(3))
    # the free slots of the service: the begun slot while it has a place, with its places taken
    await api.post(f"/api/documents/requests/{booked[0]['id']}/unpost")
    answer = await api.get("/api/schedule/slots", date=DAY, service_id=yoga)
    [efimova] = answer["doctors"]
    assert "10:00" in efimova["slots"] and efimova["taken"] == {"10:00": 2}
    assert "10:05" not in efimova["slots"] and "11:00" in efimova["slots"]


async def test_a_full_group_under_concurrency_gives_exactly_its_places(api, db, clinic, settings, database_url):
    yoga = await group(api, clinic, 8)
    people = await clients(api, 9)
    drafts = [await api.create("requests", place(clinic, yoga, c)) for c in people]
    # an app with a connection for every caller, so that all 9 postings really race
    async with concurrent_client(create_app(settings, database_url, pool_size=9)) as client:
        responses = await asyncio.gather(*(
            client.post(f"/api/documents/requests/{d['id']}/post", headers=api.headers) for d in drafts))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 8 and statuses.count(409) == 1, statuses
    assert {(r.json()["code"], r.json()["message"]) for r in responses if r.status_code == 409} == {
        ("group_full", full(8))}
    assert await db.fetchval("SELECT count(*) FROM doc_requests WHERE posted AND group_key IS NOT NULL") == 8


async def test_a_group_meets_in_one_room_that_nobody_else_takes(api, db, clinic):
    yoga = await group(api, clinic, 4)
    people = await clients(api, 2)
    room = (await api.item("resources", {"name": "Зал ЛФК", "kind": "room"}))["id"]
    for c in people:
        assert (await api.create("requests", place(clinic, yoga, c, room_id=room), post=True))["posted"] is True
    other = await api.create("requests", {"doctor_id": clinic.ishaeva, "starts_at": f"{DAY}T10:15:00",
                                          "room_id": room}, status=409, post=True)
    assert (other["code"], other["message"]) == ("room_busy", "Кабинет «Зал ЛФК» уже занят в это время другой заявкой")


async def test_only_a_service_is_a_group_one_of_two_places_or_more(api, db, clinic):
    before = await counts(db)
    one = await api.item("nomenclature", {"name": "Йога", "kind": "service", "group_capacity": 1}, status=422)
    assert one["details"]["fields"] == {"group_capacity": "от 2 до 1000 мест"}
    goods = await api.item("nomenclature", {"name": "Коврик", "kind": "goods", "group_capacity": 5}, status=422)
    assert goods["details"]["fields"] == {"group_capacity": "групповой бывает только услуга"}
    assert await counts(db) == before
