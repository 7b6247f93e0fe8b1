"""Issue 14, point 28: a visit that has not started cannot be marked «Пришел», and a Request whose
services were already rendered cannot be moved, whichever path tries (REST, the calendar)."""

import datetime as dt
from zoneinfo import ZoneInfo

from tests.clinic.conftest import counts
from tests.clinic.test_work_schedule import line, ws

DAY = "2021-12-22"


async def came(db) -> int:
    return await db.fetchval("SELECT id FROM cat_visit_statuses WHERE predefined = 'came'")


async def test_a_visit_in_the_future_cannot_be_marked_arrived(api, db, browser, clinic):
    status = await came(db)
    tomorrow = (dt.datetime.now(ZoneInfo("Europe/Moscow")) + dt.timedelta(days=1)).date().isoformat()
    visit = {"doctor_id": clinic.efimova, "client_id": clinic.client, "starts_at": f"{tomorrow}T10:00:00"}
    before = await counts(db)
    refused = await api.create("requests", {**visit, "visit_status_id": status}, status=409)
    assert refused["code"] == "visit_not_started"
    assert refused["message"].startswith(f"Приём {tomorrow[8:]}.{tomorrow[5:7]}.{tomorrow[:4]} в 10:00 ещё не начался")
    assert await counts(db) == before
    booked = await api.create("requests", visit)
    put = await api.put(f"/api/documents/requests/{booked['id']}", {**visit, "visit_status_id": status}, status=409)
    assert put["code"] == "visit_not_started"
    menu = await browser.post(f"/schedule/requests/{booked['id']}/status", {"visit_status_id": status}, status=409,
                              htmx=True)
    assert "ещё не начался" in menu.text
    assert (await api.get(f"/api/documents/requests/{booked['id']}"))["visit_status_id"] != status
    # a visit that has started (here: in 2021) is marked as usual
    await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, DAY, "08:15", "13:00")]), post=True)
    past = await api.create("requests", {**visit, "starts_at": f"{DAY}T09:00:00", "visit_status_id": status},
                            post=True)
    assert past["visit_status_id"] == status


async def test_a_rendered_request_is_not_moved_on_any_path(api, db, browser, clinic):
    await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, DAY, "08:15", "13:00"),
                                                         line(clinic.ishaeva, DAY, "08:00", "16:00")]), post=True)
    visit = {"doctor_id": clinic.efimova, "client_id": clinic.client, "starts_at": f"{DAY}T09:00:00",
             "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]}
    request = await api.create("requests", visit, post=True)
    rendering = await api.create("service-renderings", {
        "date": f"{DAY}T09:45:00", "organization_id": clinic.org, "client_id": clinic.client,
        "doctor_id": clinic.efimova, "based_on": {"kind": "requests", "id": request["id"]},
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]}, post=True)
    before = await counts(db)
    put = await api.put(f"/api/documents/requests/{request['id']}", {**visit, "starts_at": f"{DAY}T11:00:00"},
                        status=409)
    assert put["code"] == "request_rendered"
    number = rendering["number"].lstrip("0")
    assert put["message"].startswith(f"По заявке уже оказаны услуги (Оказание услуг № {number}): "
                                     "перенести приём нельзя")
    other_doctor = await api.put(f"/api/documents/requests/{request['id']}", {**visit, "doctor_id": clinic.ishaeva},
                                 status=409)
    assert other_doctor["code"] == "request_rendered"
    dragged = await browser.post(f"/schedule/requests/{request['id']}/move",
                                 {"doctor_id": clinic.ishaeva, "starts_at": f"{DAY}T14:00"}, status=409, htmx=True)
    assert "перенести приём нельзя" in dragged.text
    assert await counts(db) == before
    # what does not move the visit is still saved, e.g. its status
    status = await came(db)
    marked = await api.put(f"/api/documents/requests/{request['id']}", {**visit, "visit_status_id": status})
    assert marked["visit_status_id"] == status and marked["starts_at"] == f"{DAY}T09:00:00+03:00"
    # once the rendering is unposted, the visit moves again
    await api.post(f"/api/documents/service-renderings/{rendering['id']}/unpost")
    moved = await api.put(f"/api/documents/requests/{request['id']}", {**visit, "starts_at": f"{DAY}T11:00:00"})
    assert moved["starts_at"] == f"{DAY}T11:00:00+03:00"
