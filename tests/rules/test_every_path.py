"""Issue 14, point 5: every rule runs on every path. A draft saved while the rule held is posted
after the rule turned against it, and gets the same 4xx as creating it would; a posted document
saved again (PUT) and a calendar move get it too. WorkSchedules respect the period lock."""

from tests.clinic.conftest import counts
from tests.clinic.test_work_schedule import line, ws

DAY = "2021-12-22"


async def work(api, clinic, start: str = "08:15", end: str = "13:00") -> dict:
    return await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, DAY, start, end),
                                                                line(clinic.ishaeva, DAY, "08:00", "16:00")]),
                            post=True)


async def draft_request(api, clinic, at: str = "09:00") -> dict:
    return await api.create("requests", {"doctor_id": clinic.efimova, "client_id": clinic.client,
                                         "starts_at": f"{DAY}T{at}:00"})


async def test_a_doctor_deactivated_after_the_draft_was_saved(api, db, browser, clinic):
    await work(api, clinic)
    draft = await draft_request(api, clinic)
    posted = await api.create("requests", {"doctor_id": clinic.ishaeva, "starts_at": f"{DAY}T10:00:00"}, post=True)
    await api.patch(f"/api/catalogs/doctors/{clinic.efimova}", {"active": False})
    created = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T11:00:00"},
                               status=422, post=True)
    assert created["details"]["fields"] == {"doctor_id": "врач не ведёт приём (не активен)"}
    before = await counts(db)
    refused = await api.post(f"/api/documents/requests/{draft['id']}/post", status=422)
    assert (refused["code"], refused["details"]) == (created["code"], created["details"])
    assert (await api.get(f"/api/documents/requests/{draft['id']}"))["posted"] is False
    # dragging Ишаева's posted visit onto the inactive doctor's column is refused with the reason
    moved = await browser.post(f"/schedule/requests/{posted['id']}/move",
                               {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T11:00"}, status=422, htmx=True)
    assert "врач не ведёт приём (не активен)" in moved.text
    assert await counts(db) == before
    assert (await api.get(f"/api/documents/requests/{posted['id']}"))["doctor_id"] == clinic.ishaeva


async def test_a_period_locked_after_the_draft_was_saved(api, db, clinic):
    await work(api, clinic)
    draft = await draft_request(api, clinic)  # dated today, for a visit on 22.12.2021
    await api.call("PUT", "/api/period-lock", json={"date": "2021-12-31"})
    created = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T11:00:00"},
                               status=409, post=True)
    before = await counts(db)
    refused = await api.post(f"/api/documents/requests/{draft['id']}/post", status=409)
    assert refused["code"] == created["code"] == "period_closed"
    assert refused["message"] == created["message"] == (
        "Период закрыт: дата запрета изменения 31.12.2021. Нельзя записать на приём 22.12.2021.")
    again = await api.put(f"/api/documents/requests/{draft['id']}?post=true",
                          {"doctor_id": clinic.efimova, "client_id": clinic.client, "starts_at": f"{DAY}T09:00:00"},
                          status=409)
    assert again["code"] == "period_closed"
    assert await counts(db) == before


async def test_a_working_schedule_changed_after_the_draft_was_saved(api, db, clinic):
    schedule = await work(api, clinic)
    draft = await draft_request(api, clinic, "12:00")
    await api.put(f"/api/documents/work-schedules/{schedule['id']}",
                  ws("2021-12-01", [line(clinic.efimova, DAY, "15:30", "20:00")]))
    created = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T12:00:00"},
                               status=409, post=True)
    before = await counts(db)
    refused = await api.post(f"/api/documents/requests/{draft['id']}/post", status=409)
    assert refused["code"] == created["code"] == "doctor_not_working"
    assert refused["details"] == created["details"] == {"working_intervals": [["15:30", "20:00"]]}
    assert await counts(db) == before


async def test_a_client_moved_to_another_organization_after_the_invoice_was_saved(api, db, clinic):
    other = await api.item("organizations", {"name": "Клиника-2", "full_name": "ООО «Клиника-2»",
                                             "inn": "7702070139", "kpp": "770201001", "vat_rate": "none",
                                             "number_prefix": "Д"})
    await api.patch(f"/api/catalogs/clients/{clinic.client}", {"organization_id": clinic.org})
    lines = [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]
    draft = await api.create("invoices", {"date": "2021-12-22T10:00:00", "organization_id": clinic.org,
                                          "client_id": clinic.client, "lines": lines})
    posted = await api.create("invoices", {"date": "2021-12-22T11:00:00", "organization_id": clinic.org,
                                           "client_id": clinic.client, "lines": lines}, post=True)
    await api.patch(f"/api/catalogs/clients/{clinic.client}", {"organization_id": other["id"]})
    created = await api.create("invoices", {"date": "2021-12-22T12:00:00", "organization_id": clinic.org,
                                            "client_id": clinic.client, "lines": lines}, status=422, post=True)
    assert created["details"]["fields"] == {"client_id": "клиент обслуживается другой организацией"}
    before = await counts(db)
    refused = await api.post(f"/api/documents/invoices/{draft['id']}/post", status=422)
    assert refused["details"] == created["details"]
    resaved = await api.put(f"/api/documents/invoices/{posted['id']}", {
        "date": "2021-12-22T11:00:00", "organization_id": clinic.org, "client_id": clinic.client,
        "comment": "исправлен", "lines": lines}, status=422)
    assert resaved["details"] == created["details"]
    assert await counts(db) == before


async def test_work_schedules_respect_the_period_lock(api, db, clinic):
    posted = await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, DAY, "08:15", "13:00")],
                                                   date="2022-01-10T09:00:00"), post=True)
    draft = await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, "2021-12-23", "08:15", "13:00")],
                                                  date="2022-01-10T10:00:00"))
    await api.call("PUT", "/api/period-lock", json={"date": "2021-12-31"})
    before = await counts(db)
    # the documents are dated in January, but what they say is about closed December days
    late = ws("2021-12-01", [line(clinic.efimova, "2021-12-24", "08:15", "13:00")], date="2022-01-11T09:00:00")
    created = await api.create("work-schedules", late, status=409, post=True)
    assert created["code"] == "period_closed"
    assert created["message"] == ("Период закрыт: дата запрета изменения 31.12.2021. "
                                  "Нельзя изменить график работы на 24.12.2021.")
    refused = await api.post(f"/api/documents/work-schedules/{draft['id']}/post", status=409)
    assert refused["code"] == "period_closed" and "23.12.2021" in refused["message"]
    changed = await api.put(f"/api/documents/work-schedules/{posted['id']}", ws(
        "2021-12-01", [line(clinic.efimova, DAY, "08:15", "11:00")], date="2022-01-10T09:00:00"), status=409)
    assert changed["code"] == "period_closed" and "22.12.2021" in changed["message"]
    unposted = await api.post(f"/api/documents/work-schedules/{posted['id']}/unpost", status=409)
    assert unposted["code"] == "period_closed"
    assert await counts(db) == before
    # a comment, or a day after the lock, can still change
    await api.put(f"/api/documents/work-schedules/{posted['id']}", {
        **ws("2021-12-01", [line(clinic.efimova, DAY, "08:15", "13:00")], date="2022-01-10T09:00:00"),
        "comment": "без изменений в закрытом периоде"})
    await api.create("work-schedules", ws("2022-01-01", [line(clinic.efimova, "2022-01-12", "08:15", "13:00")],
                                          date="2022-01-11T09:00:00"), post=True)
