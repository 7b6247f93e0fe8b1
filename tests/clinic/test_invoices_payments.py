"""Acceptance point 6 (GoodsReceipt raising stock is in test_service_rendering): an Invoice («Счёт на оплату»)
puts its amount due into invoice payments with VAT per line; a Payment
(«Поступление оплаты») for it lowers what is due and what the client owes, and
the invoice's status follows: unpaid → partially paid → paid."""

from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import debt, rendering
from tests.clinic.test_work_schedule import line, ws


def invoice(clinic, *lines: dict, **header) -> dict:
    return {"date": "2021-12-22T13:00:00", "organization_id": clinic.org, "bank_account_id": clinic.account,
            "client_id": clinic.client, "due_date": "2021-12-29", **header, "lines": list(lines)}


def pay(clinic, amount: str, invoice_id: int | None = None, method: str = "bank", **header) -> dict:
    """A payment into the clinic's bank account, or its cash desk for cash."""
    account = {"cash_desk_id": clinic.desk} if method == "cash" else {"bank_account_id": clinic.account}
    return {"date": "2021-12-23T10:00:00", "organization_id": clinic.org, "client_id": clinic.client,
            "amount": amount, "method": method, "invoice_id": invoice_id, **account, **header}


async def status(api, invoice_id: int) -> tuple[str, str]:
    doc = await api.get(f"/api/documents/invoices/{invoice_id}")
    return doc["status"], doc["amount_due"]


async def test_vat_per_line_at_the_organizations_rate_or_without_vat(api, clinic):
    vat_org = await api.item("organizations", {"name": "Клиника НДС", "inn": "7812345675", "kpp": "781201001",
                                               "vat_rate": "20"})
    doc = await api.create("invoices", invoice(
        clinic, {"nomenclature_id": clinic.service, "quantity": "2", "price": "600"},
        {"nomenclature_id": clinic.goods, "quantity": "1", "price": "1100", "vat_rate": "10"},
        {"nomenclature_id": clinic.goods, "quantity": "1", "price": "50", "vat_rate": "none"},
        organization_id=vat_org["id"], bank_account_id=None), post=True)
    assert [(ln["vat_rate"], ln["vat_amount"], ln["amount"]) for ln in doc["lines"]] == [
        ("20", "200.00", "1200.00"), ("10", "100.00", "1100.00"), ("none", "0.00", "50.00")]
    assert (doc["amount_total"], doc["vat_total"], doc["status"], doc["amount_due"]) == (
        "2350.00", "300.00", "unpaid", "2350.00")
    assert (await api.balance("invoice-payments", invoice_id=doc["id"]))[0]["amount"] == "2350.00"
    without = await api.create("invoices", invoice(
        clinic, {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500", "discount_percent": "10"}))
    assert [(ln["vat_rate"], ln["vat_amount"], ln["amount"]) for ln in without["lines"]] == [
        ("none", "0.00", "1350.00")]
    assert (without["vat_total"], without["status"], without["amount_due"]) == ("0.00", "unpaid", "1350.00")
    assert await api.balance("invoice-payments", invoice_id=without["id"]) == []


async def test_payments_lower_the_amount_due_and_the_debt_and_the_status_follows(api, clinic):
    rendered = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.service, "quantity": "1", "price": "1200"}), post=True)
    assert await debt(api, clinic) == "1200.00"
    filled = await api.get(f"/api/documents/service-renderings/{rendered['id']}/based/invoices")
    assert (filled["client_id"], filled["organization_id"]) == (clinic.client, clinic.org)
    inv = await api.create("invoices", {**filled, "bank_account_id": clinic.account, "date": "2021-12-22T13:00:00"},
                           post=True)
    assert (inv["based_on"], inv["amount_total"], inv["status"]) == (
        {"kind": "service-renderings", "id": rendered["id"]}, "1200.00", "unpaid")
    first = await api.create("payments", pay(clinic, "500.00", inv["id"]), post=True)
    assert first["method"] == "bank"
    assert await status(api, inv["id"]) == ("partially_paid", "700.00")
    assert await debt(api, clinic) == "700.00"
    second = await api.create("payments", pay(clinic, "700.00", inv["id"], method="cash"), post=True)
    assert await status(api, inv["id"]) == ("paid", "0.00")
    assert await debt(api, clinic) == "0"
    report = await api.get("/api/reports/invoices", status="paid")
    assert [(r["id"], r["date"], r["amount_total"], r["amount_due"]) for r in report] == [
        (inv["id"], "2021-12-22T13:00:00+03:00", "1200.00", "0.00")]
    await api.post(f"/api/documents/payments/{second['id']}/unpost")
    assert await status(api, inv["id"]) == ("partially_paid", "700.00")
    assert await debt(api, clinic) == "700.00"
    # a payment without an invoice lowers only the debt
    await api.create("payments", pay(clinic, "100.00", method="cash"), post=True)
    assert (await debt(api, clinic), await status(api, inv["id"])) == ("600.00", ("partially_paid", "700.00"))


async def test_invoice_based_on_a_request(api, clinic):
    await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, "2021-12-22", "08:15", "13:00")]),
                     post=True)
    request = await api.create("requests", {
        "doctor_id": clinic.efimova, "client_id": clinic.client, "starts_at": "2021-12-22T09:05:00",
        "amocrm_lead_id": 219219, "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]},
        post=True)
    filled = await api.get(f"/api/documents/requests/{request['id']}/based/invoices")
    assert (filled["client_id"], filled["amocrm_lead_id"], filled["organization_id"]) == (
        clinic.client, 219219, clinic.org)
    assert [(ln["nomenclature_id"], ln["quantity"], ln["price"]) for ln in filled["lines"]] == [
        (clinic.service, "1.000", "1500.00")]
    inv = await api.create("invoices", filled, post=True)
    assert (inv["amount_total"], inv["amocrm_lead_id"], inv["based_on"]["kind"]) == ("1500.00", 219219, "requests")
    assert inv["bank_account_id"] == clinic.account
    # an empty request is billed as "Номенклатура AmoCRM"; a rendering based on a request brings its lead
    await api.patch(f"/api/catalogs/nomenclature/{clinic.amocrm_service}", {"price": "150.00"})
    empty = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": "2021-12-22T11:00:00",
                                          "amocrm_lead_id": 219220}, post=True)
    filled = await api.get(f"/api/documents/requests/{empty['id']}/based/invoices")
    assert [(ln["nomenclature_id"], ln["quantity"], ln["price"]) for ln in filled["lines"]] == [
        (clinic.amocrm_service, "1.000", "150.00")]
    rendering = await api.create("service-renderings", await api.get(
        f"/api/documents/requests/{empty['id']}/based/service-renderings"), post=True)
    filled = await api.get(f"/api/documents/service-renderings/{rendering['id']}/based/invoices")
    assert (filled["amocrm_lead_id"], filled["organization_id"], filled["lines"][0]["price"]) == (
        219220, clinic.org, "150.00")


async def test_bad_payments_and_invoices_are_refused_and_write_nothing(api, db, clinic):
    other = await api.item("organizations", {"name": "Другая клиника", "inn": "7812345675", "kpp": "781201001"})
    theirs = await api.item("clients", {"name": "Клиент другой клиники", "organization_id": other["id"]})
    inv = await api.create("invoices", invoice(clinic, {"nomenclature_id": clinic.service, "quantity": "1",
                                                        "price": "100"}), post=True)
    before = await counts(db)
    for amount in ("0", "-10.00"):
        error = await api.create("payments", pay(clinic, amount, inv["id"]), status=422, post=True)
        assert error["details"]["fields"] == {"amount": "сумма оплаты должна быть больше нуля"}
    foreign = await api.create("invoices", invoice(clinic, {"nomenclature_id": clinic.service, "quantity": "1",
                                                            "price": "100"}, client_id=theirs["id"]),
                               status=422, post=True)
    assert foreign["details"]["fields"] == {"client_id": "клиент обслуживается другой организацией"}
    assert "client_id" in foreign["message"]
    wrong = await api.create("payments", pay(clinic, "10.00", inv["id"], client_id=clinic.supplier), status=422)
    assert "invoice_id" in wrong["details"]["fields"]
    assert await counts(db) == before
