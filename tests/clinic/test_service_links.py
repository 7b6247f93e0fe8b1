"""Issue 18, point 9: services linked to doctors and rooms. A service lists who performs it
(«Исполнители услуги», each with their own duration) and where («Кабинеты услуги»). Its free slots
offer only its performers, each for their own duration, at times when one of its rooms is free too;
a service with no links is as before. Booking it with a doctor who does not perform it is a 409
``doctor_not_linked`` on every path (create, posting a draft, PUT, the calendar's move; the widget is
tests/amocrm/test_widget_services.py), and in a room it is not performed in a 409 ``room_not_linked``."""

from tests.clinic.conftest import counts
from tests.clinic.test_free_slots import grid
from tests.clinic.test_work_schedule import line, ws
from tests.ui.conftest import browser  # noqa: F401  (the calendar's drag and drop)

DAY = "2021-12-22"
NOT_LINKED = "Услугу «УЗИ брюшной полости» оказывает только Ефимова Е.В., Ишаева М.И.: выбранный врач её не оказывает"


async def work(api, clinic) -> None:
    await api.create("work-schedules", ws("2021-12-01", [line(doctor, DAY, "08:00", "16:00")
                                                         for doctor in clinic.doctors]), post=True)


async def linked(api, clinic) -> dict[str, int]:
    """«УЗИ брюшной полости», 45 min: Ефимова in 30 min, Ишаева in its own 45, in «Кабинет 3» only."""
    room = (await api.item("resources", {"name": "Кабинет 3", "kind": "room"}))["id"]
    other = (await api.item("resources", {"name": "Кабинет 5", "kind": "room"}))["id"]
    service = await api.item("nomenclature", {
        "name": "УЗИ брюшной полости", "kind": "service", "price": "2000", "duration_minutes": 45,
        "performers": [{"doctor_id": clinic.efimova, "duration_minutes": 30}, {"doctor_id": clinic.ishaeva}],
        "rooms": [{"room_id": room}]})
    return {"service": service["id"], "room": room, "other_room": other}


def visit(doctor: int, at: str, service: int, **more) -> dict:
    return {"doctor_id": doctor, "starts_at": f"{DAY}T{at}:00",
            "lines": [{"nomenclature_id": service, "quantity": "1", "price": "2000"}], **more}


async def slots(api, service: int | None = None, **params) -> dict[str, dict]:
    answer = await api.get("/api/schedule/slots", date=DAY, **({"service_id": service} if service else {}), **params)
    return {d["name"]: d for d in answer["doctors"]}


async def test_a_service_lists_its_performers_and_rooms_and_bad_rows_are_named(api, db, clinic):
    s = await linked(api, clinic)
    item = await api.get(f"/api/catalogs/nomenclature/{s['service']}")
    assert [(p["doctor_id"], p["duration_minutes"]) for p in item["performers"]] == [
        (clinic.efimova, 30), (clinic.ishaeva, None)]
    assert [r["room_id"] for r in item["rooms"]] == [s["room"]]
    ultrasound = (await api.item("resources", {"name": "УЗИ-аппарат", "kind": "equipment"}))["id"]
    before = await counts(db)
    bad = await api.item("nomenclature", {
        "name": "Шприц 10 мл", "kind": "goods", "performers": [{"doctor_id": clinic.efimova}],
        "rooms": [{"room_id": s["room"]}]}, status=422)
    assert bad["details"]["fields"] == {"performers": "исполнители бывают только у услуг: у товара их нет",
                                        "rooms": "кабинеты бывают только у услуг: у товара их нет"}
    rows = await api.item("nomenclature", {
        "name": "Массаж", "kind": "service",
        "performers": [{"doctor_id": clinic.efimova, "duration_minutes": 0}, {"doctor_id": clinic.efimova}]},
        status=422)
    assert rows["details"]["fields"] == {"performers[0].duration_minutes": "от 1 до 1440 минут",
                                         "performers[1].doctor_id": "этот врач уже есть в списке"}
    device = await api.item("nomenclature", {"name": "Массаж", "kind": "service", "rooms": [{"room_id": ultrasound}]},
                            status=422)
    assert device["details"]["fields"] == {"rooms[0].room_id": "«УЗИ-аппарат» — не кабинет"}
    assert await counts(db) == before
    # a PATCH without the parts keeps them; with one, replaces it
    await api.patch(f"/api/catalogs/nomenclature/{s['service']}", {"price": "2100"})
    assert len((await api.get(f"/api/catalogs/nomenclature/{s['service']}"))["performers"]) == 2
    await api.patch(f"/api/catalogs/nomenclature/{s['service']}", {"rooms": []})
    assert (await api.get(f"/api/catalogs/nomenclature/{s['service']}"))["rooms"] == []


async def test_free_slots_of_a_service_are_its_performers_own_when_one_of_its_rooms_is_free(api, clinic):
    await work(api, clinic)
    s = await linked(api, clinic)
    free = await slots(api, s["service"])
    assert list(free) == ["Ефимова Е.В.", "Ишаева М.И."]  # not Петрова: she does not perform it
    assert (free["Ефимова Е.В."]["duration_minutes"], free["Ишаева М.И."]["duration_minutes"]) == (30, 45)
    assert free["Ефимова Е.В."]["slots"] == grid("08:00", "15:30")
    assert free["Ишаева М.И."]["slots"] == grid("08:00", "15:15")
    # Петрова takes «Кабинет 3» 10:00–11:00 for another service: nobody does the ultrasound there then
    await api.create("requests", {"doctor_id": clinic.third, "starts_at": f"{DAY}T10:00:00", "duration_minutes": 60,
                                  "room_id": s["room"]}, post=True)
    free = await slots(api, s["service"])
    assert free["Ефимова Е.В."]["slots"] == grid("08:00", "09:30") + grid("11:00", "15:30")
    assert free["Ишаева М.И."]["slots"] == grid("08:00", "09:15") + grid("11:00", "15:15")
    # a second room for the service: the time is free again, in «Кабинет 5»
    await api.patch(f"/api/catalogs/nomenclature/{s['service']}",
                    {"rooms": [{"room_id": s["room"]}, {"room_id": s["other_room"]}]})
    assert (await slots(api, s["service"]))["Ефимова Е.В."]["slots"] == grid("08:00", "15:30")
    # a service without links is as before: every doctor, the service's length
    plain = await slots(api, clinic.service)
    assert list(plain) == ["Ефимова Е.В.", "Ишаева М.И.", "Петрова О.Н."]
    before = await slots(api, duration=40)
    assert {name: d["slots"] for name, d in plain.items()} == {name: d["slots"] for name, d in before.items()}
    # not a service
    bad = await api.get("/api/schedule/slots", expect=422, date=DAY, service_id=clinic.goods)
    assert bad["details"]["fields"] == {"service_id": "услуга не найдена: выберите услугу из списка"}


async def test_a_doctor_who_does_not_perform_the_service_is_refused_on_every_path(api, db, browser, clinic):  # noqa: F811
    await work(api, clinic)
    s = await linked(api, clinic)
    before = await counts(db)
    refused = await api.create("requests", visit(clinic.third, "09:00", s["service"]), status=409, post=True)
    assert (refused["code"], refused["message"]) == ("doctor_not_linked", NOT_LINKED)
    assert refused["details"]["fields"] == {"doctor_id": "врач не оказывает эту услугу"}
    await api.create("requests", visit(clinic.third, "09:00", s["service"]), status=409)  # a draft neither
    assert await counts(db) == before
    # a performer books it, for their own duration, in the service's room
    mine = await api.create("requests", visit(clinic.efimova, "09:00", s["service"], room_id=s["room"]), post=True)
    assert (mine["duration_minutes"], mine["ends_at"]) == (30, f"{DAY}T09:30:00+03:00")
    hers = await api.create("requests", visit(clinic.ishaeva, "09:00", s["service"]), post=True)
    assert hers["duration_minutes"] == 45
    # PUT to another doctor: refused, the visit stays
    moved = await api.put(f"/api/documents/requests/{mine['id']}", visit(clinic.third, "09:00", s["service"],
                                                                          room_id=s["room"]), status=409)
    assert moved["code"] == "doctor_not_linked"
    assert (await api.get(f"/api/documents/requests/{mine['id']}"))["doctor_id"] == clinic.efimova
    # the calendar's drag and drop to Петрова's column
    dragged = await browser.post(f"/schedule/requests/{mine['id']}/move",
                                 {"doctor_id": clinic.third, "starts_at": f"{DAY}T12:00"}, status=409, htmx=True)
    assert "выбранный врач её не оказывает" in dragged.text
    assert (await api.get(f"/api/documents/requests/{mine['id']}"))["doctor_id"] == clinic.efimova
    # a draft saved before the service got its performers: posting it is refused
    massage = (await api.item("nomenclature", {"name": "Массаж спины", "kind": "service"}))["id"]
    draft = await api.create("requests", visit(clinic.third, "14:00", massage))
    await api.patch(f"/api/catalogs/nomenclature/{massage}", {"performers": [{"doctor_id": clinic.efimova}]})
    posting = await api.post(f"/api/documents/requests/{draft['id']}/post", status=409)
    assert (posting["code"], posting["message"]) == (
        "doctor_not_linked", "Услугу «Массаж спины» оказывает только Ефимова Е.В.: выбранный врач её не оказывает")
    assert (await api.get(f"/api/documents/requests/{draft['id']}"))["posted"] is False
    # a room the service is not performed in
    room = await api.create("requests", visit(clinic.efimova, "11:00", s["service"], room_id=s["other_room"]),
                            status=409, post=True)
    assert (room["code"], room["message"]) == (
        "room_not_linked", "Услугу «УЗИ брюшной полости» оказывают только в кабинетах: Кабинет 3")


async def test_the_service_form_has_its_performers_and_rooms_in_both_languages(api, browser, clinic):  # noqa: F811
    s = await linked(api, clinic)
    page = await browser.get(f"/catalogs/nomenclature/{s['service']}")
    assert "Исполнители услуги" in page.text and "Кабинеты услуги" in page.text
    assert "Ефимова Е.В." in page.text and "Кабинет 3" in page.text
    assert 'data-field="nomenclature.rooms.room_id"' in page.text
    await api.item("resources", {"name": "УЗИ-аппарат", "kind": "equipment"})
    rooms = await browser.get("/lookup/resources", params={"q": "", "field": "nomenclature.rooms.room_id"})
    assert "Кабинет 3" in rooms.text and "УЗИ-аппарат" not in rooms.text  # the rooms' picker offers rooms only
    await browser.post("/locale", {"lang": "en", "next": "/"})
    english = await browser.get(f"/catalogs/nomenclature/{s['service']}")
    assert "Performers of the service" in english.text and "Rooms of the service" in english.text
    assert "Places in a group" in english.text
