"""Acceptance point 10: bad input is refused with a 422 or 409 whose Russian
message names the field (or the lock date), and nothing is written. (Payments
that are not positive, an invoice for another organization's client and a
schedule line outside its month are in their documents' tests.)"""

from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import rendering
from tests.clinic.test_work_schedule import line, ws


async def test_a_request_in_a_closed_period_names_the_lock_date(api, users, db, clinic):
    await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, "2021-12-22", "08:15", "13:00")]),
                     post=True)
    booked = await api.create("requests", {"date": "2021-12-20T10:00:00", "doctor_id": clinic.efimova,
                                           "starts_at": "2021-12-22T09:05:00"}, post=True)
    manager = await users.headers("manager")
    refused = await api.client.put("/api/period-lock", json={"date": "2021-12-31"}, headers=manager)
    assert refused.status_code == 403
    await api.call("PUT", "/api/period-lock", json={"date": "2021-12-31"})
    before = await counts(db)
    closed = await api.create("requests", {"date": "2021-12-21T10:00:00", "doctor_id": clinic.efimova,
                                           "starts_at": "2021-12-22T11:00:00"}, status=409, post=True)
    assert closed["code"] == "period_closed"
    assert "дата запрета изменения 31.12.2021" in closed["message"]
    assert closed["details"]["lock_date"] == "2021-12-31"
    # today's request for a visit in the closed period is refused as well
    visit = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": "2021-12-22T11:00:00"},
                             status=409, post=True)
    assert visit["message"] == "Период закрыт: дата запрета изменения 31.12.2021. Нельзя записать на приём 22.12.2021."
    assert "starts_at" in visit["details"]["fields"]
    unpost = await api.post(f"/api/documents/requests/{booked['id']}/unpost", status=409)
    assert "31.12.2021" in unpost["message"]
    moved = await api.put(f"/api/documents/requests/{booked['id']}", {
        "date": "2021-12-20T10:00:00", "doctor_id": clinic.efimova, "starts_at": "2021-12-22T10:00:00"}, status=409)
    assert "31.12.2021" in moved["message"]
    assert await counts(db) == before


async def test_quantities_discounts_and_an_inactive_doctor(api, db, clinic):
    await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, "2021-12-22", "08:15", "13:00")]),
                     post=True)
    await api.patch(f"/api/catalogs/doctors/{clinic.efimova}", {"active": False})
    before = await counts(db)
    svc = {"nomenclature_id": clinic.service, "price": "1000"}
    for quantity in ("0", "-1"):
        request = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": "2021-12-22T09:05:00",
                                                "lines": [{**svc, "quantity": quantity}]}, status=422)
        assert request["details"]["fields"] == {"lines[0].quantity": "количество должно быть больше нуля"}
        for kind, doc in (("service-renderings", rendering(clinic, {**svc, "quantity": quantity})),
                          ("invoices", {"organization_id": clinic.org, "client_id": clinic.client,
                                        "lines": [{**svc, "quantity": quantity}]}),
                          ("goods-receipts", {"supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
                                              "lines": [{**svc, "quantity": quantity}]})):
            error = await api.create(kind, doc, status=422, post=True)
            assert error["details"]["fields"] == {"lines[0].quantity": "количество должно быть больше нуля"}, kind
            assert "lines[0].quantity" in error["message"]
    for discount, field, text in (
            ({"discount_percent": "100.5"}, "discount_percent", "скидка в процентах — от 0 до 100"),
            ({"discount_percent": "-5"}, "discount_percent", "скидка в процентах — от 0 до 100"),
            ({"discount_amount": "2000.01"}, "discount_amount", "скидка 2000.01 больше суммы строки 2000.00"),
            ({"discount_amount": "-1"}, "discount_amount", "скидка не может быть отрицательной"),
            ({"discount_percent": "10", "discount_amount": "50"}, "discount_amount",
             "скидка 50.00 не равна 10% от суммы строки 2000.00")):
        for kind, doc in (("service-renderings", rendering(clinic, {**svc, "quantity": "2", **discount})),
                          ("invoices", {"organization_id": clinic.org, "client_id": clinic.client,
                                        "lines": [{**svc, "quantity": "2", **discount}]})):
            error = await api.create(kind, doc, status=422, post=True)
            assert error["details"]["fields"] == {f"lines[0].{field}": text}, (kind, discount, error)
    goods = await api.create("service-renderings", {**rendering(clinic, {
        "nomenclature_id": clinic.goods, "quantity": "1", "price": "25"}), "warehouse_id": None}, status=422, post=True)
    assert goods["details"]["fields"] == {"warehouse_id": "в документе есть товары: укажите склад"}
    inactive = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": "2021-12-22T09:05:00"},
                                status=422, post=True)
    assert inactive["details"]["fields"] == {"doctor_id": "врач не ведёт приём (не активен)"}
    assert inactive["message"].startswith("doctor_id")
    assert await counts(db) == before
