"""Acceptance point 7: the reports a clinic reads from the registers: stock with
cost on a date, a client's debt on a date, sales by doctor, service, client and
period, and invoices by payment status with what is still due."""

from tests.clinic.test_invoices_payments import invoice, pay
from tests.clinic.test_service_rendering import receipt, rendering


async def test_stock_debt_sales_and_invoices_reports(api, clinic):
    other = await api.item("clients", {"name": "Сидорова Анна Петровна"})
    await receipt(api, clinic, (clinic.goods, "10", "12.00"), date="2021-12-01T09:00:00")
    await receipt(api, clinic, (clinic.goods, "10", "13.00"), date="2021-12-10T09:00:00")
    svc = {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}
    await api.create("service-renderings", rendering(
        clinic, svc, {"nomenclature_id": clinic.goods, "quantity": "4", "price": "25"},
        date="2021-12-15T12:00:00"), post=True)
    await api.create("service-renderings", {**rendering(clinic, svc, date="2022-01-12T12:00:00"),
                                            "doctor_id": clinic.ishaeva}, post=True)
    await api.create("service-renderings", {**rendering(clinic, {**svc, "quantity": "2"}, date="2022-01-14T12:00:00"),
                                            "client_id": other["id"]}, post=True)
    await api.create("payments", pay(clinic, "1000.00", date="2022-01-20T10:00:00"), post=True)

    async def stock_on(at: str) -> list[tuple]:
        rows = await api.balance("stock", at=at, warehouse_id=clinic.warehouse)
        return [(r["nomenclature_id"], r["quantity"], r["cost"]) for r in rows]

    assert await stock_on("2021-12-09") == [(clinic.goods, "10.000", "120.00")]
    assert await stock_on("2021-12-10") == [(clinic.goods, "20.000", "250.00")]  # a date includes its day
    assert await stock_on("2021-12-15T11:59:59") == [(clinic.goods, "20.000", "250.00")]
    assert await stock_on("2021-12-15") == [(clinic.goods, "16.000", "200.00")]

    async def debt_on(at: str, client: int = clinic.client) -> str:
        rows = await api.balance("settlements", at=at, client_id=client)
        return rows[0]["amount"] if rows else "0"

    assert await debt_on("2021-12-14") == "0"
    assert await debt_on("2021-12-15") == "1600.00"
    assert await debt_on("2022-01-13") == "3100.00"
    assert await debt_on("2022-01-31") == "2100.00"
    assert await debt_on("2022-01-31", other["id"]) == "3000.00"

    async def sales(**filters) -> list[tuple]:
        rows = await api.turnovers("sales", **filters)
        return [(r.get("period"), r["doctor_id"], r["client_id"], r["nomenclature_id"], r["quantity"], r["amount"])
                for r in rows]

    year = {"start": "2021-12-01", "end": "2022-01-31"}
    assert await sales(**year, doctor_id=clinic.efimova, nomenclature_id=clinic.service, periodicity="month") == [
        ("2021-12-01", clinic.efimova, clinic.client, clinic.service, "1.000", "1500.00"),
        ("2022-01-01", clinic.efimova, other["id"], clinic.service, "2.000", "3000.00")]
    assert await sales(**year, doctor_id=clinic.ishaeva) == [
        (None, clinic.ishaeva, clinic.client, clinic.service, "1.000", "1500.00")]
    assert await sales(start="2022-01-01", end="2022-01-31", client_id=clinic.client) == [
        (None, clinic.ishaeva, clinic.client, clinic.service, "1.000", "1500.00")]
    assert await sales(start="2021-12-01", end="2021-12-31", nomenclature_id=clinic.goods) == [
        (None, clinic.efimova, clinic.client, clinic.goods, "4.000", "100.00")]

    line = {"nomenclature_id": clinic.service, "quantity": "1", "price": "1000"}
    unpaid, partly, paid = [(await api.create("invoices", invoice(clinic, line), post=True))["id"] for _ in range(3)]
    await api.create("payments", pay(clinic, "400.00", partly), post=True)
    await api.create("payments", pay(clinic, "1000.00", paid), post=True)
    await api.create("invoices", invoice(clinic, line))  # a draft is no invoice yet

    async def report(status: str | None = None) -> list[tuple]:
        rows = await api.get("/api/reports/invoices", **({"status": status} if status else {}))
        return sorted((r["id"], r["status"], r["amount_due"]) for r in rows)

    assert await report("unpaid") == [(unpaid, "unpaid", "1000.00")]
    assert await report("partially_paid") == [(partly, "partially_paid", "600.00")]
    assert await report("paid") == [(paid, "paid", "0.00")]
    assert len(await report()) == 3
    bad = await api.get("/api/reports/invoices", expect=422, status="overdue")
    assert bad["details"]["fields"] == {"status": "недопустимое значение 'overdue'"}
