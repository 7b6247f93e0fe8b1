"""Issue 18, point 8: rooms and equipment (the «Ресурсы» catalog). A Request books a doctor and
optionally a room and a piece of equipment; each is guarded by its own exclusion constraint, so two
posted Requests never hold one room (or one piece of equipment) at once, whoever the doctors, even
when 32 try at once. The refusal is a 409 naming the busy resource, on every path that writes a
Request (create, posting a draft, PUT, a calendar move; the widget is tests/amocrm). A resource that
is not «Всегда доступен» works to its own schedule («Установка графиков работы ресурсов»), and a
booking outside it is refused as the doctor's is."""

import asyncio

from erp.app.application import create_app
from tests.clinic.conftest import counts
from tests.clinic.test_work_schedule import line, ws
from tests.conftest import concurrent_client
from tests.ui.conftest import browser  # noqa: F401  (the calendar's drag and drop)

DAY = "2021-12-22"
ROOM_BUSY = "Кабинет «Кабинет 3» уже занят в это время другой заявкой"


async def work(api, clinic) -> None:
    await api.create("work-schedules", ws("2021-12-01", [line(doctor, DAY, "08:00", "16:00")
                                                         for doctor in clinic.doctors]), post=True)


async def resources(api, **schedules) -> dict[str, int]:
    """Two rooms and an ultrasound, always available unless ``schedules`` names them."""
    made = {}
    for key, name, kind in (("room", "Кабинет 3", "room"), ("other_room", "Кабинет 5", "room"),
                            ("ultrasound", "УЗИ-аппарат", "equipment")):
        made[key] = (await api.item("resources", {"name": name, "kind": kind,
                                                  "always_available": key not in schedules}))["id"]
    for key, intervals in schedules.items():
        await api.create("resource-schedules", {"date": "2021-12-08T09:00:00", "month": "2021-12-01", "lines": [
            {"resource_id": made[key], "day": DAY, "start": a, "end": b} for a, b in intervals]}, post=True)
    return made


def visit(doctor: int, at: str, **booked) -> dict:
    return {"doctor_id": doctor, "starts_at": f"{DAY}T{at}:00", **booked}


async def test_a_room_and_equipment_are_booked_once_whoever_the_doctor(api, db, clinic):
    await work(api, clinic)
    r = await resources(api)
    first = await api.create("requests", visit(clinic.efimova, "09:00", room_id=r["room"],
                                               equipment_id=r["ultrasound"]), post=True)
    assert (first["room_id"], first["equipment_id"]) == (r["room"], r["ultrasound"])
    before = await counts(db)
    room = await api.create("requests", visit(clinic.ishaeva, "09:15", room_id=r["room"]), status=409, post=True)
    assert (room["code"], room["message"]) == ("room_busy", ROOM_BUSY)
    device = await api.create("requests", visit(clinic.ishaeva, "09:15", room_id=r["other_room"],
                                                equipment_id=r["ultrasound"]), status=409, post=True)
    assert (device["code"], device["message"]) == (
        "equipment_busy", "Оборудование «УЗИ-аппарат» уже занято в это время другой заявкой")
    assert await counts(db) == before
    # another room at the same time, and the same room from the minute the first visit ends, are free
    await api.create("requests", visit(clinic.ishaeva, "09:15", room_id=r["other_room"]), post=True)
    second = await api.create("requests", visit(clinic.third, "09:30", room_id=r["room"],
                                                equipment_id=r["ultrasound"]), post=True)
    # the doctor's own rule still comes first: Ефимова is busy whatever the room
    doctor = await api.create("requests", visit(clinic.efimova, "09:10", room_id=r["other_room"]), status=409,
                              post=True)
    assert doctor["code"] == "exclusion_conflict"
    # a draft may hold the room; posting it there is refused and it stays a draft
    draft = await api.create("requests", visit(clinic.efimova, "09:40", room_id=r["room"]))
    refused = await api.post(f"/api/documents/requests/{draft['id']}/post", status=409)
    assert (refused["code"], refused["message"]) == ("room_busy", ROOM_BUSY)
    assert (await api.get(f"/api/documents/requests/{draft['id']}"))["posted"] is False
    # PUT: moving a posted visit into the busy room is refused and leaves it where it was
    later = await api.create("requests", visit(clinic.ishaeva, "11:00", room_id=r["other_room"]), post=True)
    moved = await api.put(f"/api/documents/requests/{later['id']}", visit(clinic.efimova, "09:45",
                                                                          room_id=r["room"]), status=409)
    assert moved["code"] == "room_busy"
    assert (await api.get(f"/api/documents/requests/{later['id']}"))["room_id"] == r["other_room"]
    # unposting the visit that holds the room frees it: the draft posts now
    await api.post(f"/api/documents/requests/{second['id']}/unpost")
    assert (await api.post(f"/api/documents/requests/{draft['id']}/post"))["posted"] is True


async def test_a_calendar_move_keeps_the_room_and_respects_it(api, db, browser, clinic):  # noqa: F811
    await work(api, clinic)
    r = await resources(api)
    await api.create("requests", visit(clinic.efimova, "09:00", room_id=r["room"]), post=True)
    other = await api.create("requests", visit(clinic.ishaeva, "11:00", room_id=r["room"]), post=True)
    page = await browser.get(f"/schedule?date={DAY}")
    assert "Кабинет 3" in page.text  # the block shows its room
    before = await counts(db)
    refused = await browser.post(f"/schedule/requests/{other['id']}/move",
                                 {"doctor_id": clinic.ishaeva, "starts_at": f"{DAY}T09:15"}, status=409, htmx=True)
    assert ROOM_BUSY in refused.text
    assert await counts(db) == before
    await browser.post(f"/schedule/requests/{other['id']}/move",
                       {"doctor_id": clinic.third, "starts_at": f"{DAY}T10:00"}, status=200, htmx=True)
    after = await api.get(f"/api/documents/requests/{other['id']}")
    assert (after["doctor_id"], after["starts_at"], after["room_id"]) == (clinic.third, f"{DAY}T10:00:00+03:00",
                                                                          r["room"])


async def test_a_room_must_be_a_room_and_equipment_equipment(api, db, clinic):
    await work(api, clinic)
    r = await resources(api)
    before = await counts(db)
    wrong = await api.create("requests", visit(clinic.efimova, "09:00", room_id=r["ultrasound"],
                                               equipment_id=r["room"]), status=422, post=True)
    assert wrong["details"]["fields"] == {"room_id": "«УЗИ-аппарат» — это не кабинет",
                                          "equipment_id": "«Кабинет 3» — это не оборудование"}
    draft = await api.create("requests", visit(clinic.efimova, "09:00", room_id=r["ultrasound"]), status=422)
    assert draft["details"]["fields"] == {"room_id": "«УЗИ-аппарат» — это не кабинет"}
    await api.create("requests", visit(clinic.efimova, "09:00", room_id=999999), status=422, post=True)
    assert await counts(db) == before
    # a booked room cannot turn into equipment
    await api.create("requests", visit(clinic.efimova, "09:00", room_id=r["room"]), post=True)
    await api.patch(f"/api/catalogs/resources/{r['room']}", {"kind": "equipment"}, status=409)


async def test_a_resource_with_its_own_schedule_is_booked_only_inside_it(api, db, clinic):
    await work(api, clinic)
    r = await resources(api, room=[("10:00", "12:00"), ("14:00", "15:00")], ultrasound=[])
    before = await counts(db)
    early = await api.create("requests", visit(clinic.efimova, "09:00", room_id=r["room"]), status=409, post=True)
    assert early["code"] == "room_not_working"
    assert early["message"] == ("Кабинет «Кабинет 3» не работает в это время (22.12.2021 09:00); "
                                "график в этот день: 10:00–12:00, 14:00–15:00")
    assert early["details"]["working_intervals"] == [["10:00", "12:00"], ["14:00", "15:00"]]
    idle = await api.create("requests", visit(clinic.efimova, "10:00", equipment_id=r["ultrasound"]), status=409,
                            post=True)
    assert (idle["code"], idle["message"]) == (
        "equipment_not_working",
        "Оборудование «УЗИ-аппарат» не работает в это время (22.12.2021 10:00); график в этот день: не работает")
    assert await counts(db) == before
    inside = await api.create("requests", visit(clinic.efimova, "10:00", room_id=r["room"]), post=True)
    assert inside["posted"] is True
    # a draft running past the room's hours is not posted; the always available room takes it
    draft = await api.create("requests", visit(clinic.ishaeva, "11:45", room_id=r["room"]))
    late = await api.post(f"/api/documents/requests/{draft['id']}/post", status=409)
    assert late["code"] == "room_not_working"
    await api.put(f"/api/documents/requests/{draft['id']}?post=true",
                  visit(clinic.ishaeva, "11:45", room_id=r["other_room"]))


async def test_a_resource_schedule_is_checked_as_the_doctors_is(api, db, clinic):
    r = await resources(api)
    before = await counts(db)
    bad = await api.create("resource-schedules", {"month": "2021-12-01", "lines": [
        {"resource_id": r["room"], "day": DAY, "start": "10:00", "end": "12:00"},
        {"resource_id": r["room"], "day": DAY, "start": "11:00", "end": "13:00"},
        {"resource_id": r["other_room"], "day": "2022-01-10", "start": "10:00", "end": "09:00"}]},
        status=422, post=True)
    assert bad["details"]["fields"] == {
        "lines[1].start": "интервалы 10:00–12:00 и 11:00–13:00 пересекаются (22.12.2021)",
        "lines[2].day": "день 10.01.2022 вне месяца графика 12.2021",
        "lines[2].end": "окончание должно быть позже начала"}
    assert await counts(db) == before
    posted = await api.create("resource-schedules", {"month": "2021-12-01", "lines": [
        {"resource_id": r["room"], "day": DAY, "start": "10:00", "end": "12:00"}]}, post=True)
    rows = await api.get("/api/registers/resource-schedule/slice-last", resource_id=r["room"])
    assert [(x["day"], x["start_time"], x["end_time"]) for x in rows] == [(DAY, "10:00", "12:00")], rows
    assert posted["posted"] is True


async def test_32_concurrent_bookings_of_one_room_by_different_doctors_give_one(api, db, clinic, settings,
                                                                                database_url):
    r = await resources(api)
    doctors = [(await api.item("doctors", {"name": f"Врач {i:02d}"}))["id"] for i in range(32)]
    await api.create("work-schedules", ws("2021-12-01", [line(d, DAY, "08:00", "16:00") for d in doctors]),
                     post=True)
    drafts = [await api.create("requests", visit(d, "10:00", room_id=r["room"])) for d in doctors]
    # an app with a connection for every caller, so that all 32 postings really race
    async with concurrent_client(create_app(settings, database_url, pool_size=32)) as client:
        responses = await asyncio.gather(*(
            client.post(f"/api/documents/requests/{d['id']}/post", headers=api.headers) for d in drafts))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(409) == 31 and statuses.count(200) == 1, statuses
    assert {(x.json()["code"], x.json()["message"]) for x in responses if x.status_code == 409} == {
        ("room_busy", ROOM_BUSY)}
    assert await db.fetchval("SELECT count(*) FROM doc_requests WHERE posted AND room_id = $1", r["room"]) == 1


async def test_the_request_form_offers_rooms_and_equipment_each_from_its_own_list(api, browser, clinic):  # noqa: F811
    await work(api, clinic)
    r = await resources(api)
    form = await browser.get("/documents/requests/new")
    assert "Кабинет" in form.text and "Оборудование" in form.text
    rooms = await browser.get("/lookup/resources", params={"q": "", "field": "requests.room_id"})
    assert "Кабинет 3" in rooms.text and "Кабинет 5" in rooms.text and "УЗИ-аппарат" not in rooms.text
    devices = await browser.get("/lookup/resources", params={"q": "", "field": "requests.equipment_id"})
    assert "УЗИ-аппарат" in devices.text and "Кабинет 3" not in devices.text
    booked = await api.create("requests", visit(clinic.efimova, "09:00", room_id=r["room"],
                                                equipment_id=r["ultrasound"]), post=True)
    page = await browser.get(f"/documents/requests/{booked['id']}")
    assert "Кабинет 3" in page.text and "УЗИ-аппарат" in page.text
    await browser.post("/locale", {"lang": "en", "next": "/"})
    english = await browser.get("/catalogs/resources/new")
    assert "Always available" in english.text and "Room" in english.text
