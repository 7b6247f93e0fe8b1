"""Списание денежных средств and Перемещение денежных средств (issue 15 point 3): money paid out of a
cash desk or bank account to a supplier or a client, and moved between the organization's own
accounts; a desk or account never goes negative (the platform's 409 naming it, nothing written); bad
input is a Russian 422 with a stable code and writes nothing; unposting and editing re-post; the UI
offers both kinds from their declarations, with the list, its Excel export and the movements."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from erp.documents import money_transfer, outgoing_payment
from erp.platform.document import Doc
from erp.platform.posting.inputs import Inputs
from erp.platform.shortfalls import BalanceShortage
from erp.registers.money import money
from erp.registers.settlements import settlements
from erp.registers.supplier_settlements import supplier_settlements
from tests.clinic.conftest import counts, predefined
from tests.clinic.test_invoices_payments import pay
from tests.clinic.test_money_payments import money_in
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures)

MOMENT = dt.datetime(2021, 12, 24, 10, tzinfo=ZoneInfo("Europe/Moscow"))
DESK, BANK = "cash-desks", "bank-accounts"


def outgoing(clinic, amount: str, method: str = "cash", **header) -> dict:
    """Paying the supplier ``amount`` from the clinic's cash desk (or its bank account)."""
    account = {"cash_desk_id": clinic.desk} if method == "cash" else {"bank_account_id": clinic.account}
    return {"date": "2021-12-24T10:00:00", "organization_id": clinic.org, "operation": "to_supplier",
            "method": method, **account, "recipient_id": clinic.supplier, "amount": amount,
            "purpose": "Оплата по счёту № 15 от 20.12.2021", **header}


def transfer(clinic, amount: str, source: str = "cash", target: str = "bank", **header) -> dict:
    sides = {"cash_desk_id": clinic.desk} if source == "cash" else {"bank_account_id": clinic.account}
    sides |= {"cash_desk_to_id": clinic.desk} if target == "cash" else {"bank_account_to_id": clinic.account}
    return {"date": "2021-12-24T11:00:00", "organization_id": clinic.org, "method": source, "method_to": target,
            **sides, "amount": amount, **header}


# -- the posting rules on plain data -------------------------------------------------------------


def _doc(kind: str, header: dict) -> Doc:
    return Doc(kind, 9, "К0000000009", MOMENT, True, False, header, ())


def _money(amount: str) -> dict:
    return {"account": {"organization_id": 1, "name": "Основная касса"},
            "money": {(1, DESK, 4): {"amount": D(amount)}}}


def test_an_outgoing_payment_takes_the_money_from_its_desk_on_plain_data():
    header = {"organization_id": 1, "operation": "to_supplier", "method": "cash", "cash_desk_id": 4,
              "bank_account_id": None, "recipient_id": 5, "amount": D("300.00"), "cash_flow_item_id": 8}
    moves = outgoing_payment.movements(_doc("outgoing-payments", header), Inputs(_money("300.00")))
    (expense,) = moves[money]
    assert expense.record_type == -1 and expense.dimensions == {
        "organization_id": 1, "account_kind": DESK, "account_id": 4}
    assert expense.resources == {"amount": D("300.00")} and expense.attributes == {"cash_flow_item_id": 8}
    (paid,) = moves[supplier_settlements]  # the organization owes the supplier that much less
    assert paid.record_type == -1 and paid.dimensions == {"organization_id": 1, "counterparty_id": 5}
    assert paid.resources == {"amount": D("300.00")} and settlements not in moves

    refund = outgoing_payment.movements(_doc("outgoing-payments", {**header, "operation": "to_client"}),
                                        Inputs(_money("1000.00")))
    (owed,) = refund[settlements]  # the client's money returned: the client owes it again
    assert supplier_settlements not in refund
    assert owed.record_type == 1 and owed.dimensions == {"organization_id": 1, "client_id": 5}

    with pytest.raises(BalanceShortage) as short:
        outgoing_payment.movements(_doc("outgoing-payments", header), Inputs(_money("299.99")))
    assert short.value.status == 409 and short.value.code == "balance_shortage"
    (details,) = short.value.details["shortfalls"]
    assert details["dimensions"] == {"organization_id": 1, "account_kind": DESK, "account_id": 4}
    assert (details["available"], details["required"]) == ("299.99", "300.00")
    assert details["names"] == {"account_kind": "касса", "account_id": "Основная касса"}
    assert "«Основная касса»" in short.value.message and "доступно 299.99, требуется 300.00" in short.value.message


def test_a_transfer_moves_the_money_and_its_rules_on_plain_data():
    header = {"organization_id": 1, "method": "cash", "cash_desk_id": 4, "method_to": "bank",
              "bank_account_to_id": 6, "amount": D("250.00"), "cash_flow_item_id": None}
    out, into = money_transfer.movements(_doc("money-transfers", header), Inputs(_money("250.00")))[money]
    assert (out.record_type, out.dimensions["account_kind"], out.dimensions["account_id"]) == (-1, DESK, 4)
    assert (into.record_type, into.dimensions["account_kind"], into.dimensions["account_id"]) == (1, BANK, 6)
    assert out.resources == into.resources == {"amount": D("250.00")}
    with pytest.raises(BalanceShortage):
        money_transfer.movements(_doc("money-transfers", header), Inputs(_money("249.99")))

    same = {**header, "method_to": "cash", "cash_desk_to_id": 4}
    (error,) = money_transfer.rules(None, _doc("money-transfers", same), Inputs({}))
    assert error.code == "same_money_account" and set(error.details["fields"]) == {"cash_desk_to_id"}
    foreign = Inputs({"account": {"organization_id": 1, "name": "Основная касса"},
                      "account_to": {"organization_id": 2, "name": "40702810938000000002 в ПАО Сбербанк"}})
    (error,) = money_transfer.rules(None, _doc("money-transfers", header), foreign)
    assert error.code == "money_account_of_another_organization"
    assert error.details["fields"] == {
        "bank_account_to_id": "банковский счёт «40702810938000000002 в ПАО Сбербанк» принадлежит другой организации"}


# -- through the API -----------------------------------------------------------------------------


async def test_paying_a_supplier_from_the_desk_lowers_its_money_under_the_suppliers_item(api, clinic):
    await api.create("payments", pay(clinic, "1000.00", method="cash"), post=True)
    suppliers = await predefined(api, "cash-flow-items", "Оплата поставщикам")
    paid = await api.create("outgoing-payments", outgoing(clinic, "300.00"), post=True)
    assert paid["posted"] is True and paid["number"].startswith("К")
    assert paid["cash_flow_item_id"] == suppliers["id"] and paid["bank_account_id"] is None
    assert await money_in(api, clinic, DESK, clinic.desk) == D("700.00")
    moves = await api.get(f"/api/documents/outgoing-payments/{paid['id']}/movements")
    assert [(m["record_type"], m["account_kind"], m["account_id"], m["amount"], m["cash_flow_item_id"])
            for m in moves["money"]] == [(-1, DESK, clinic.desk, "300.00", suppliers["id"])]

    # an edit re-posts: the document's own 300 do not count against it
    edited = await api.put(f"/api/documents/outgoing-payments/{paid['id']}", outgoing(clinic, "1000.00"))
    assert edited["amount"] == "1000.00" and await money_in(api, clinic, DESK, clinic.desk) == D("0.00")
    await api.post(f"/api/documents/outgoing-payments/{paid['id']}/unpost")
    assert await money_in(api, clinic, DESK, clinic.desk) == D("1000.00")
    await api.post(f"/api/documents/outgoing-payments/{paid['id']}/post")
    assert await money_in(api, clinic, DESK, clinic.desk) == D("0.00")

    others = await predefined(api, "cash-flow-items", "Прочие расходы")
    await api.create("payments", pay(clinic, "500.00"), post=True)
    rent = await api.create("outgoing-payments", outgoing(clinic, "120.00", method="bank", operation="other_expense",
                                                         purpose="Аренда за декабрь"), post=True)
    assert rent["cash_flow_item_id"] == others["id"]
    assert await money_in(api, clinic, BANK, clinic.account) == D("380.00")


async def test_a_desk_going_negative_is_a_409_naming_it_and_nothing_is_written(api, clinic, db):
    await api.create("payments", pay(clinic, "700.00", method="cash"), post=True)
    before = await counts(db)
    short = await api.create("outgoing-payments", outgoing(clinic, "800.00"), status=409, post=True)
    assert short["code"] == "balance_shortage"
    (details,) = short["details"]["shortfalls"]
    assert details["register"] == "money" and details["dimensions"]["account_id"] == clinic.desk
    assert (details["available"], details["required"]) == ("700.00", "800.00")
    assert "«Основная касса»" in short["message"]
    assert await counts(db) == before

    draft = await api.create("outgoing-payments", outgoing(clinic, "800.00"))  # a draft asks nothing
    error = await api.post(f"/api/documents/outgoing-payments/{draft['id']}/post", status=409)
    assert error["code"] == "balance_shortage"
    assert (await api.get(f"/api/documents/outgoing-payments/{draft['id']}"))["posted"] is False
    assert await money_in(api, clinic, DESK, clinic.desk) == D("700.00")

    # the money paid out cannot be taken back by unposting the payment that brought it
    await api.create("outgoing-payments", outgoing(clinic, "600.00"), post=True)
    first = (await api.get("/api/documents/payments"))["items"][0]
    error = await api.post(f"/api/documents/payments/{first['id']}/unpost", status=409)
    assert error["code"] == "balance_shortage"
    assert "Касса или банковский счёт «Основная касса»" in error["message"]  # the engine's own check names it too
    assert await money_in(api, clinic, DESK, clinic.desk) == D("100.00")


async def test_bad_outgoing_payments_are_refused_in_russian_and_nothing_is_written(api, clinic, db):
    await api.create("payments", pay(clinic, "1000.00", method="cash"), post=True)
    other = await api.item("organizations", {"name": "Клиника-2", "vat_rate": "none", "number_prefix": "К2"})
    foreign = await api.item("bank-accounts", {"name": "Чужой", "organization_id": other["id"],
                                               "account_number": "40702810938000000002"})
    someone = await api.item("clients", {"name": "ООО «Другой поставщик»", "kind": "company"})
    goods = await api.create("goods-receipts", {
        "date": "2021-12-20T10:00:00", "supplier_id": someone["id"], "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": clinic.goods, "quantity": "10", "price": "20"}]}, post=True)
    before = await counts(db)
    for amount in ("0", "-10.00"):
        error = await api.create("outgoing-payments", outgoing(clinic, amount), status=422, post=True)
        assert error["details"]["fields"] == {"amount": "сумма должна быть больше нуля"}
    error = await api.create("outgoing-payments", outgoing(clinic, "10.00", cash_desk_id=None), status=422)
    assert error["code"] == "money_account_required" and error["details"]["fields"] == {
        "cash_desk_id": "выберите кассу"}
    error = await api.create("outgoing-payments", outgoing(clinic, "10.00", "bank", bank_account_id=foreign["id"]),
                             status=422, post=True)
    assert error["code"] == "money_account_of_another_organization"
    assert "принадлежит другой организации" in error["details"]["fields"]["bank_account_id"]
    error = await api.create("outgoing-payments", outgoing(clinic, "10.00", goods_receipt_id=goods["id"]),
                             status=422, post=True)
    assert error["code"] == "receipt_of_another_supplier" and "goods_receipt_id" in error["details"]["fields"]
    error = await api.create("outgoing-payments", outgoing(clinic, "10.00", recipient_id=None), status=422)
    assert "recipient_id" in error["details"]["fields"]
    assert await counts(db) == before

    ours = await api.create("goods-receipts", {
        "date": "2021-12-20T11:00:00", "organization_id": clinic.org, "supplier_id": clinic.supplier,
        "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": clinic.goods, "quantity": "1", "price": "200"}]}, post=True)
    paid = await api.create("outgoing-payments", outgoing(clinic, "200.00", goods_receipt_id=ours["id"]), post=True)
    assert paid["goods_receipt_id"] == ours["id"]


async def test_paying_a_supplier_lowers_the_debt_to_it(api, clinic):
    await api.create("payments", pay(clinic, "1000.00", method="cash"), post=True)
    goods = await api.create("goods-receipts", {
        "date": "2021-12-20T11:00:00", "organization_id": clinic.org, "supplier_id": clinic.supplier,
        "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": clinic.goods, "quantity": "10", "price": "50"}]}, post=True)

    async def owed() -> str:
        rows = await api.balance("supplier-settlements", organization_id=clinic.org, counterparty_id=clinic.supplier)
        return rows[0]["amount"] if rows else "0"

    assert await owed() == "500.00"
    paid = await api.create("outgoing-payments", outgoing(clinic, "300.00", goods_receipt_id=goods["id"]), post=True)
    assert await owed() == "200.00"
    await api.put(f"/api/documents/outgoing-payments/{paid['id']}", outgoing(clinic, "600.00"))
    assert await owed() == "-100.00"  # paid more than delivered: an advance
    await api.post(f"/api/documents/outgoing-payments/{paid['id']}/unpost")
    assert await owed() == "500.00"
    await api.create("outgoing-payments", outgoing(clinic, "50.00", operation="other_expense"), post=True)
    assert await owed() == "500.00"  # another expense owes nobody less


async def test_a_refund_to_a_client_gives_the_client_a_debt_back(api, clinic):
    await api.create("payments", pay(clinic, "500.00", method="cash"), post=True)  # paid in advance
    assert (await api.balance("settlements", client_id=clinic.client))[0]["amount"] == "-500.00"
    customers = await predefined(api, "cash-flow-items", "Оплата от покупателей")
    refund = await api.create("outgoing-payments", outgoing(clinic, "200.00", operation="to_client",
                                                            recipient_id=clinic.client), post=True)
    assert refund["cash_flow_item_id"] == customers["id"]
    assert (await api.balance("settlements", client_id=clinic.client))[0]["amount"] == "-300.00"
    assert await money_in(api, clinic, DESK, clinic.desk) == D("300.00")


async def test_a_transfer_moves_money_between_own_accounts(api, clinic, db):
    await api.create("payments", pay(clinic, "1000.00", method="cash"), post=True)
    handed = await api.create("money-transfers", transfer(clinic, "600.00"), post=True)
    assert handed["cash_desk_to_id"] is None and handed["bank_account_id"] is None  # the methods' accounts only
    assert await money_in(api, clinic, DESK, clinic.desk) == D("400.00")
    assert await money_in(api, clinic, BANK, clinic.account) == D("600.00")
    moves = await api.get(f"/api/documents/money-transfers/{handed['id']}/movements")
    assert [(m["record_type"], m["account_kind"], m["amount"]) for m in moves["money"]] == [
        (-1, DESK, "600.00"), (1, BANK, "600.00")]

    other = await api.item("organizations", {"name": "Клиника-2", "vat_rate": "none", "number_prefix": "К2"})
    elsewhere = await api.item("cash-desks", {"name": "Касса филиала", "organization_id": other["id"]})
    before = await counts(db)
    short = await api.create("money-transfers", transfer(clinic, "400.01"), status=409, post=True)
    assert short["code"] == "balance_shortage" and short["details"]["shortfalls"][0]["available"] == "400.00"
    same = await api.create("money-transfers", transfer(clinic, "10.00", target="cash"), status=422, post=True)
    assert same["code"] == "same_money_account" and "cash_desk_to_id" in same["details"]["fields"]
    error = await api.create("money-transfers", transfer(clinic, "0"), status=422)
    assert error["details"]["fields"] == {"amount": "сумма должна быть больше нуля"}
    error = await api.create("money-transfers", transfer(clinic, "10.00", "bank", "cash",
                                                         cash_desk_to_id=elsewhere["id"]), status=422)
    assert error["code"] == "money_account_of_another_organization"
    error = await api.create("money-transfers", transfer(clinic, "10.00", bank_account_to_id=None), status=422)
    assert error["code"] == "money_account_required"
    assert await counts(db) == before

    # the bank spends what came in (after it came: at 10:00, before the 11:00 transfer, the bank was empty);
    # the transfer cannot be unposted from under it
    early = await api.create("outgoing-payments", outgoing(clinic, "550.00", "bank"), status=409, post=True)
    assert early["details"]["shortfalls"][0]["moment"] == "2021-12-24T10:00:00+03:00"
    await api.create("outgoing-payments", outgoing(clinic, "550.00", "bank", date="2021-12-24T12:00:00"), post=True)
    error = await api.post(f"/api/documents/money-transfers/{handed['id']}/unpost", status=409)
    assert error["code"] == "balance_shortage"
    back = await api.create("money-transfers", transfer(clinic, "50.00", "bank", "cash"), post=True)
    assert back["posted"] and await money_in(api, clinic, BANK, clinic.account) == D("0.00")
    assert await money_in(api, clinic, DESK, clinic.desk) == D("450.00")


async def test_the_ui_offers_both_kinds_with_list_excel_and_movements(browser, login_as, api, clinic, db):  # noqa: F811
    await api.create("payments", pay(clinic, "700.00", method="cash"), post=True)
    index = (await browser.get("/documents")).text
    assert 'href="/documents/outgoing-payments"' in index and 'href="/documents/money-transfers"' in index
    form = (await browser.get("/documents/outgoing-payments/new")).text
    for label in ("Организация", "Вид операции", "Оплата поставщику", "Касса", "Банковский счёт", "Получатель",
                  "Статья движения денежных средств", "Назначение платежа", "Поступление товаров",
                  "Провести и закрыть"):
        assert label in form, label
    fields = {"date": "2030-01-10T09:00", "organization_id": clinic.org, "operation": "to_supplier",
              "method": "cash", "cash_desk_id": clinic.desk, "bank_account_id": "", "recipient_id": clinic.supplier,
              "amount": "250,00", "cash_flow_item_id": "", "purpose": "Оплата поставщику", "goods_receipt_id": "",
              "comment": ""}
    r = await browser.post("/documents/outgoing-payments/new", {**fields, "action": "post"})
    page = (await browser.get(r.headers["location"])).text
    assert "Документ проведён" in page and 'data-state="posted"' in page
    assert await money_in(api, clinic, DESK, clinic.desk) == D("450.00")

    short = await browser.post("/documents/outgoing-payments/new", {**fields, "amount": "500", "action": "post"},
                               status=409)
    assert "Документ не проведён: недостаточно остатков" in short.text
    assert "Клиника, касса, Основная касса: доступно 450" in short.text
    assert await db.fetchval("SELECT count(*) FROM doc_outgoing_payments") == 1

    listing = (await browser.get("/documents/outgoing-payments")).text
    assert "ООО «МедСнаб»" in listing and "250,00" in listing
    sheet = load_workbook(io.BytesIO((await browser.get("/documents/outgoing-payments/export.xlsx")).content)).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "ООО «МедСнаб»" in cells and any("250" in c for c in cells)
    doc_id = await db.fetchval("SELECT id FROM doc_outgoing_payments")
    moves = (await browser.get(f"/documents/outgoing-payments/{doc_id}/movements")).text
    assert "Денежные средства" in moves and "Основная касса" in moves and "Оплата поставщикам" in moves

    transfer_form = (await browser.get("/documents/money-transfers/new")).text
    for label in ("Списать из", "Зачислить на", "Касса получателя", "Банковский счёт получателя"):
        assert label in transfer_form, label

    await browser.post("/locale", {"lang": "en", "next": "/documents"})
    english = (await browser.get("/documents")).text
    assert "Outgoing payment" in english and "Money transfer" in english
    manager = await login_as("manager")
    assert "ООО «МедСнаб»" in (await manager.get("/documents/outgoing-payments")).text  # reads the list
    await manager.get("/documents/outgoing-payments/new", status=403)  # but does not write
    await manager.get("/documents/money-transfers/new", status=403)
