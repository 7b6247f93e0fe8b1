"""Issue 18, point 8, on the widget's path: a booking from the lead card may take a room and a piece of
equipment; a busy room is a 409 naming it and writes nothing, as a taken doctor is."""

from __future__ import annotations

from erp.configuration import registry
from erp.platform import catalog_service
from tests.amocrm.test_widget_api import BOOK, token, written


async def _resource(db, name: str, kind: str) -> int:
    reg = registry()
    return (await catalog_service.create(db, reg, reg.catalogs["resources"], {"name": name, "kind": kind}))["id"]


async def test_a_widget_booking_takes_the_room_and_a_busy_room_is_409(client, db, fake, connected, clinic):
    room = await _resource(db, "Кабинет 3", "room")
    ultrasound = await _resource(db, "УЗИ-аппарат", "equipment")
    first = await client.post(BOOK, headers=token(fake), json={
        "lead_id": 219219, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:05",
        "room_id": room, "equipment_id": ultrasound})
    assert first.status_code == 201, first.text
    booked = await db.fetchrow("SELECT room_id, equipment_id FROM doc_requests WHERE id = $1",
                               first.json()["request_id"])
    assert (booked["room_id"], booked["equipment_id"]) == (room, ultrasound)
    before = await written(db)
    # another doctor, the same room at an overlapping time
    clash = await client.post(BOOK, headers=token(fake), json={
        "lead_id": 219220, "date": "2021-12-22", "doctor_id": clinic.ishaeva, "time": "09:20", "room_id": room,
        "client_name": "Новый Клиент"})
    assert clash.status_code == 409, clash.text
    assert (clash.json()["code"], clash.json()["message"]) == (
        "room_busy", "Кабинет «Кабинет 3» уже занят в это время другой заявкой")
    assert await written(db) == before, "not even the new client"
    bad = await client.post(BOOK, headers=token(fake), json={
        "lead_id": 219221, "date": "2021-12-22", "doctor_id": clinic.ishaeva, "time": "09:20", "room_id": "3"})
    assert bad.status_code == 422 and bad.json()["details"]["fields"] == {"room_id": "выберите кабинет из списка"}
    assert await written(db) == before
