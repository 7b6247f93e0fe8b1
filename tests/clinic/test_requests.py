"""Acceptance point 4: a posted Request (Заявка) books the doctor's time. Two
posted Requests of one doctor never overlap, even when 32 try at once; time
outside the doctor's working intervals is refused; the duration comes from the
request, else its first service, else ERP_DEFAULT_APPOINTMENT_MINUTES."""

import asyncio

from erp.app.application import create_app
from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import receipt
from tests.clinic.test_work_schedule import line, ws
from tests.conftest import concurrent_client

DAY = "2021-12-22"


async def work(api, clinic) -> None:
    await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, DAY, "08:15", "13:00"),
                                                         line(clinic.efimova, DAY, "15:30", "20:00")]), post=True)


async def test_defaults_duration_and_time_zone(api, clinic):
    await work(api, clinic)
    bare = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T09:05:00",
                                         "amocrm_lead_id": 219219}, post=True)
    assert (bare["client_id"], bare["amocrm_lead_id"], bare["duration_minutes"]) == (clinic.amocrm_client, 219219, 30)
    assert (bare["starts_at"], bare["ends_at"]) == (f"{DAY}T09:05:00+03:00", f"{DAY}T09:35:00+03:00")
    # the first service line's duration (40 min), unless the request gives its own (its goods line is reserved)
    await receipt(api, clinic, (clinic.goods, "1", "25.00"))
    from_service = await api.create("requests", {
        "doctor_id": clinic.efimova, "client_id": clinic.client, "starts_at": f"{DAY}T07:00:00Z",
        "lines": [{"nomenclature_id": clinic.goods, "quantity": "1", "price": "25"},
                  {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]}, post=True)
    assert (from_service["starts_at"], from_service["ends_at"]) == (f"{DAY}T10:00:00+03:00", f"{DAY}T10:40:00+03:00")
    assert from_service["client_id"] == clinic.client
    assert [ln["quantity"] for ln in from_service["lines"]] == ["1.000", "1.000"]
    own = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T11:00:00",
                                        "duration_minutes": 15,
                                        "lines": [{"nomenclature_id": clinic.service}]}, post=True)
    assert own["ends_at"] == f"{DAY}T11:15:00+03:00"
    assert own["lines"][0]["quantity"] == "1.000"
    # a request between two others, touching both, is fine
    await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T09:35:00",
                                  "duration_minutes": 25}, post=True)


async def test_overlaps_and_time_off_work_are_refused_with_409(api, db, clinic):
    await work(api, clinic)
    await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T09:05:00"}, post=True)
    before = await counts(db)
    taken = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T09:30:00"},
                             status=409, post=True)
    assert taken["message"] == "Это время у врача уже занято другой заявкой"
    for starts, minutes in (("07:45", 30), ("12:45", 30), ("13:00", 30), ("14:00", 30), ("12:30", 200)):
        off = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T{starts}:00",
                                            "duration_minutes": minutes}, status=409, post=True)
        assert off["message"].startswith("Врач не работает в это время"), off
        assert off["details"]["working_intervals"] == [["08:15", "13:00"], ["15:30", "20:00"]]
    nobody = await api.create("requests", {"doctor_id": clinic.ishaeva, "starts_at": f"{DAY}T09:00:00"},
                              status=409, post=True)
    assert nobody["code"] == "doctor_not_working"
    assert await counts(db) == before
    # a draft may be saved anywhere, but not posted there; moving a posted one onto taken time fails too
    draft = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T09:15:00"})
    await api.post(f"/api/documents/requests/{draft['id']}/post", status=409)
    moved = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T16:00:00"}, post=True)
    await api.put(f"/api/documents/requests/{moved['id']}", {"doctor_id": clinic.efimova,
                                                             "starts_at": f"{DAY}T09:00:00"}, status=409)
    assert (await api.get(f"/api/documents/requests/{moved['id']}"))["starts_at"] == f"{DAY}T16:00:00+03:00"


async def test_32_concurrent_postings_of_one_slot_give_one_booking(api, db, clinic, settings, database_url):
    await work(api, clinic)
    drafts = [await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T10:00:00",
                                            "amocrm_lead_id": 1000 + i})
              for i in range(32)]
    # an app with a connection for every caller, so that all 32 postings really race
    async with concurrent_client(create_app(settings, database_url, pool_size=32)) as client:
        responses = await asyncio.gather(*(
            client.post(f"/api/documents/requests/{d['id']}/post", headers=api.headers) for d in drafts))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(409) == 31 and statuses.count(200) == 1, statuses
    assert {r.json()["message"] for r in responses if r.status_code == 409} == {
        "Это время у врача уже занято другой заявкой"}
    assert await db.fetchval("SELECT count(*) FROM doc_requests WHERE posted") == 1
