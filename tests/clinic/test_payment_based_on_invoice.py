"""Поступление оплаты на основании счёта: the payment takes the invoice's client,
organization and what is still due; a paid invoice has nothing left to pay;
the payment's method is required; the invoice picker of the payment form
offers only the chosen client's invoices that are still unpaid."""

from tests.clinic.conftest import counts
from tests.clinic.test_invoices_payments import invoice, pay


async def _invoice(api, clinic, price: str, **header) -> dict:
    return await api.create("invoices", invoice(clinic, {"nomenclature_id": clinic.service, "quantity": "1",
                                                         "price": price}, **header), post=True)


async def test_a_payment_based_on_an_invoice_takes_what_is_still_due(api, clinic):
    inv = await _invoice(api, clinic, "1200")
    await api.create("payments", pay(clinic, "500.00", inv["id"]), post=True)
    filled = await api.get(f"/api/documents/invoices/{inv['id']}/based/payments")
    assert {k: filled[k] for k in ("organization_id", "client_id", "invoice_id", "amount", "method")} == {
        "organization_id": clinic.org, "client_id": clinic.client, "invoice_id": inv["id"],
        "amount": "700.00", "method": "bank"}
    paid = await api.create("payments", {**filled, "date": "2021-12-24T10:00:00"}, post=True)
    assert paid["based_on"] == {"kind": "invoices", "id": inv["id"]}
    assert (await api.get(f"/api/documents/invoices/{inv['id']}"))["status"] == "paid"


async def test_a_paid_invoice_gives_409_invoice_paid(api, clinic):
    inv = await _invoice(api, clinic, "300")
    await api.create("payments", pay(clinic, "300.00", inv["id"]), post=True)
    error = await api.get(f"/api/documents/invoices/{inv['id']}/based/payments", expect=409)
    assert error["code"] == "invoice_paid" and "оплачен полностью" in error["message"]


async def test_the_payment_method_is_required(api, db, clinic):
    before = await counts(db)
    error = await api.create("payments", pay(clinic, "10.00", method=None), status=422)
    assert error["details"]["fields"] == {"method": "обязательное поле не заполнено"}
    error = await api.create("payments", pay(clinic, "10.00", method=""), status=422)
    assert list(error["details"]["fields"]) == ["method"]
    assert await counts(db) == before
    assert await db.fetchval("SELECT is_nullable FROM information_schema.columns"
                             " WHERE table_name = 'doc_payments' AND column_name = 'method'") == "NO"
