"""Issue 18, points 9 and 10, on the widget's path: the manager picks the service in the lead card; its
slots are its performers' own (each for their own duration, when one of its rooms is free); booking it
with a doctor who does not perform it is a 409 that writes nothing; a performer's booking takes the
service's room; a group service fills its group slot up to its places and no further."""

from __future__ import annotations

from erp.configuration import registry
from erp.platform import catalog_service
from tests.amocrm.test_widget_api import BOOK, SLOTS, token, written

SERVICES = "/api/amocrm/widget/services"


async def _item(db, catalog: str, data: dict) -> int:
    reg = registry()
    return (await catalog_service.create(db, reg, reg.catalogs[catalog], data))["id"]


async def test_the_widget_books_a_service_with_its_performer_in_its_room(client, db, fake, connected, clinic):
    room = await _item(db, "resources", {"name": "Кабинет 3", "kind": "room"})
    ultrasound = await _item(db, "nomenclature", {
        "name": "УЗИ щитовидной железы", "kind": "service", "price": "1800", "duration_minutes": 40,
        "performers": [{"doctor_id": clinic.efimova, "duration_minutes": 20}], "rooms": [{"room_id": room}]})
    listed = await client.get(SERVICES, headers=token(fake))
    assert listed.status_code == 200, listed.text
    by_name = {s["name"]: s for s in listed.json()}
    assert by_name["УЗИ щитовидной железы"] == {"id": ultrasound, "name": "УЗИ щитовидной железы",
                                                "price": "1800.00", "duration_minutes": 40, "group_capacity": None}
    assert "Номенклатура AmoCRM" in by_name
    slots = await client.get(SLOTS, params={"date": "2021-12-22", "service_id": ultrasound}, headers=token(fake))
    assert slots.status_code == 200, slots.text
    [doctor] = slots.json()["doctors"]  # Ишаева works that day too, but does not perform it
    assert (doctor["id"], doctor["duration_minutes"], doctor["slots"][:2]) == (clinic.efimova, 20, ["08:15", "08:20"])
    before = await written(db)
    refused = await client.post(BOOK, headers=token(fake), json={
        "lead_id": 31001, "date": "2021-12-22", "doctor_id": clinic.ishaeva, "time": "09:00",
        "service_id": ultrasound, "client_name": "Новый Клиент"})
    assert refused.status_code == 409, refused.text
    assert (refused.json()["code"], refused.json()["message"]) == (
        "doctor_not_linked",
        "Услугу «УЗИ щитовидной железы» оказывает только Ефимова Е.В.: выбранный врач её не оказывает")
    assert await written(db) == before, "not even the new client"
    booked = await client.post(BOOK, headers=token(fake), json={
        "lead_id": 31002, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:00",
        "service_id": ultrasound})
    assert booked.status_code == 201, booked.text
    row = await db.fetchrow(
        "SELECT r.room_id, r.duration_minutes, l.nomenclature_id, l.price FROM doc_requests r"
        " JOIN doc_requests_lines l ON l.document_id = r.id WHERE r.id = $1", booked.json()["request_id"])
    assert (row["room_id"], row["duration_minutes"], row["nomenclature_id"], str(row["price"])) == (
        room, 20, ultrasound, "1800.00")
    # 09:00–09:20 is taken; from 09:20 the doctor and the room are free again
    after = await client.get(SLOTS, params={"date": "2021-12-22", "service_id": ultrasound}, headers=token(fake))
    free = after.json()["doctors"][0]["slots"]
    assert "09:05" not in free and "09:20" in free
    bad = await client.post(BOOK, headers=token(fake), json={
        "lead_id": 31003, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "10:00", "service_id": "x"})
    assert bad.status_code == 422 and bad.json()["details"]["fields"] == {"service_id": "выберите услугу из списка"}


async def test_a_room_taken_by_another_doctor_leaves_no_room_for_the_service(client, db, fake, connected, clinic):
    room = await _item(db, "resources", {"name": "Кабинет 3", "kind": "room"})
    ultrasound = await _item(db, "nomenclature", {
        "name": "УЗИ", "kind": "service", "duration_minutes": 30, "rooms": [{"room_id": room}]})
    first = await client.post(BOOK, headers=token(fake), json={
        "lead_id": 32001, "date": "2021-12-22", "doctor_id": clinic.ishaeva, "time": "10:00", "service_id": ultrasound})
    assert first.status_code == 201, first.text
    before = await written(db)
    busy = await client.post(BOOK, headers=token(fake), json={
        "lead_id": 32002, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "10:10", "service_id": ultrasound})
    assert busy.status_code == 409, busy.text
    assert (busy.json()["code"], busy.json()["message"]) == (
        "no_room_free", "Все кабинеты услуги «УЗИ» заняты 22.12.2021 в 10:10: выберите другое время")
    assert await written(db) == before


async def test_a_group_service_fills_its_slot_from_the_widget(client, db, fake, connected, clinic):
    yoga = await _item(db, "nomenclature", {"name": "Лечебная физкультура", "kind": "service",
                                            "duration_minutes": 60, "group_capacity": 2})
    for lead in (33001, 33002):
        ok = await client.post(BOOK, headers=token(fake), json={
            "lead_id": lead, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "11:00",
            "service_id": yoga, "client_name": f"Клиент {lead}"})
        assert ok.status_code == 201, ok.text
        slots = await client.get(SLOTS, params={"date": "2021-12-22", "service_id": yoga}, headers=token(fake))
        mine = slots.json()["doctors"][0]
        if lead == 33001:
            assert "11:00" in mine["slots"] and mine["taken"] == {"11:00": 1}
        else:
            assert "11:00" not in mine["slots"] and mine["taken"] == {}
    full = await client.post(BOOK, headers=token(fake), json={
        "lead_id": 33003, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "11:00", "service_id": yoga})
    assert full.status_code == 409, full.text
    assert full.json()["code"] == "group_full"
    assert await db.fetchval("SELECT count(*) FROM doc_requests WHERE posted AND group_key IS NOT NULL") == 2
