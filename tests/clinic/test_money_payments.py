"""Денежные средства (issue 15 point 2): a Payment names the cash desk or bank account the money came
into and posting raises the money there, under «Оплата от покупателей» unless another item is named;
a payment without an account, into another organization's account or of no amount is refused with
nothing written; payments entered before the register get their organization's account and their
money movements from the migration."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from erp.documents import payment
from erp.platform.document import Doc
from erp.platform.posting.inputs import Inputs
from erp.platform.totals import check_totals
from erp.registers.money import money
from tests.clinic.conftest import counts, predefined
from tests.clinic.test_invoices_payments import invoice, pay
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures)

MIGRATION = importlib.import_module("erp.migrations.erp_2026_12_06t18_06_05_000000")
MOMENT = dt.datetime(2021, 12, 23, 10, tzinfo=ZoneInfo("Europe/Moscow"))


async def money_in(api, clinic, kind: str, account: int) -> D:
    """What the money register holds in one account now."""
    rows = await api.balance("money", organization_id=clinic.org, account_kind=kind, account_id=account)
    return D(rows[0]["amount"]) if rows else D(0)


def test_the_rule_puts_the_money_into_the_account_of_the_method_on_plain_data():
    header = {"organization_id": 1, "client_id": 2, "amount": D("500.00"), "method": "cash", "cash_desk_id": 4,
              "bank_account_id": 9, "cash_flow_item_id": 6, "invoice_id": None}
    moves = payment.movements(Doc("payments", 7, "1", MOMENT, True, False, header, ()), Inputs({}))
    (receipt,) = moves[money]
    assert receipt.record_type == 1 and receipt.dimensions == {
        "organization_id": 1, "account_kind": "cash-desks", "account_id": 4}
    assert receipt.resources == {"amount": D("500.00")} and receipt.attributes == {"cash_flow_item_id": 6}
    bank = payment.movements(Doc("payments", 7, "1", MOMENT, True, False, {**header, "method": "bank"}, ()),
                             Inputs({}))[money][0]
    assert (bank.dimensions["account_kind"], bank.dimensions["account_id"]) == ("bank-accounts", 9)


def test_the_rules_want_an_account_of_the_organization_on_plain_data():
    header = {"organization_id": 1, "client_id": 2, "amount": D("5.00"), "method": "cash", "cash_desk_id": None}
    new = Doc("payments", None, "", MOMENT, True, False, header, ())
    (error,) = payment.rules(None, new, Inputs({}))
    assert error.code == "money_account_required" and error.details["fields"] == {"cash_desk_id": "выберите кассу"}
    other = Doc("payments", None, "", MOMENT, True, False, {**header, "cash_desk_id": 3}, ())
    (error,) = payment.rules(None, other, Inputs({"account": {"organization_id": 2, "name": "Касса филиала"}}))
    assert error.code == "money_account_of_another_organization"
    assert error.details["fields"] == {"cash_desk_id": "касса «Касса филиала» принадлежит другой организации"}
    assert payment.rules(None, other, Inputs({"account": {"organization_id": 1, "name": "Основная касса"}})) == []


async def test_a_payment_raises_the_money_of_its_desk_or_account_under_the_customers_item(api, clinic):
    items = await predefined(api, "cash-flow-items", "Оплата от покупателей")
    bank = await api.create("payments", pay(clinic, "1200.00"), post=True)
    cash = await api.create("payments", pay(clinic, "300.50", method="cash"), post=True)
    assert bank["bank_account_id"] == clinic.account and bank["cash_desk_id"] is None
    assert cash["cash_desk_id"] == clinic.desk and cash["cash_flow_item_id"] == items["id"]
    assert await money_in(api, clinic, "bank-accounts", clinic.account) == D("1200.00")
    assert await money_in(api, clinic, "cash-desks", clinic.desk) == D("300.50")

    moves = await api.get(f"/api/documents/payments/{cash['id']}/movements")
    assert [(m["account_kind"], m["account_id"], m["amount"], m["cash_flow_item_id"], m["record_type"])
            for m in moves["money"]] == [("cash-desks", clinic.desk, "300.50", items["id"], 1)]

    await api.post(f"/api/documents/payments/{cash['id']}/unpost")
    assert await money_in(api, clinic, "cash-desks", clinic.desk) == D("0.00")
    # a cash payment names the desk only, whatever else came with it
    switched = await api.put(f"/api/documents/payments/{bank['id']}",
                             {**pay(clinic, "1200.00", method="cash"), "bank_account_id": clinic.account})
    assert switched["bank_account_id"] is None and switched["cash_desk_id"] == clinic.desk
    assert await money_in(api, clinic, "bank-accounts", clinic.account) == D("0.00")
    assert await money_in(api, clinic, "cash-desks", clinic.desk) == D("1200.00")


async def test_a_payment_named_another_item_keeps_it(api, clinic):
    rent = await api.item("cash-flow-items", {"name": "Возврат аренды"})
    paid = await api.create("payments", pay(clinic, "50.00", cash_flow_item_id=rent["id"]), post=True)
    moves = await api.get(f"/api/documents/payments/{paid['id']}/movements")
    assert moves["money"][0]["cash_flow_item_id"] == rent["id"]


async def test_bad_payments_are_refused_in_russian_and_nothing_is_written(api, clinic, db):
    other = await api.item("organizations", {"name": "Клиника-2", "vat_rate": "none", "number_prefix": "К2"})
    foreign = await api.item("cash-desks", {"name": "Касса филиала", "organization_id": other["id"]})
    before = await counts(db)
    error = await api.create("payments", pay(clinic, "10.00", method="cash", cash_desk_id=None), status=422,
                             post=True)
    assert error["code"] == "money_account_required" and error["details"]["fields"] == {
        "cash_desk_id": "выберите кассу"}
    error = await api.create("payments", pay(clinic, "10.00", bank_account_id=None), status=422)
    assert error["code"] == "money_account_required" and "bank_account_id" in error["details"]["fields"]
    error = await api.create("payments", pay(clinic, "10.00", method="cash", cash_desk_id=foreign["id"]),
                             status=422, post=True)
    assert error["code"] == "money_account_of_another_organization"
    assert error["details"]["fields"]["cash_desk_id"] == "касса «Касса филиала» принадлежит другой организации"
    for amount in ("0", "-5.00"):
        error = await api.create("payments", pay(clinic, amount), status=422, post=True)
        assert "amount" in error["details"]["fields"] and "больше нуля" in error["message"]
    assert await counts(db) == before


async def test_a_payment_on_an_invoice_takes_its_bank_account(api, clinic):
    other = await api.item("bank-accounts", {"name": "Второй", "organization_id": clinic.org,
                                             "account_number": "40702810938000000099"})
    line = {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}
    bill = await api.create("invoices", invoice(clinic, line, bank_account_id=other["id"]), post=True)
    filled = await api.get(f"/api/documents/invoices/{bill['id']}/based/payments")
    assert filled["bank_account_id"] == other["id"] and filled["method"] == "bank"
    paid = await api.create("payments", {**filled, "date": "2021-12-24T10:00:00"}, post=True)
    assert await money_in(api, clinic, "bank-accounts", other["id"]) == D(paid["amount"])


async def test_the_form_offers_the_desk_and_the_movements_name_it(browser, api, clinic):  # noqa: F811
    form = (await browser.get("/documents/payments/new")).text
    assert 'name="cash_desk_id"' in form and 'name="bank_account_id"' in form
    assert "Основная касса" in form  # the organization's only desk is filled in
    other = await api.item("organizations", {"name": "Клиника-2", "vat_rate": "none", "number_prefix": "К2"})
    await api.item("cash-desks", {"name": "Касса филиала", "organization_id": other["id"]})
    offered = (await browser.get("/lookup/cash-desks", params={
        "q": "", "field": "payments.cash_desk_id", "organization_id": clinic.org})).text
    assert "Основная касса" in offered and "Касса филиала" not in offered  # the picker offers the organization's
    cash = await api.create("payments", pay(clinic, "300.00", method="cash"), post=True)
    page = (await browser.get(f"/documents/payments/{cash['id']}/movements")).text
    assert "Денежные средства" in page and "Оплата от покупателей" in page
    assert '<td class="">Касса\n</td><td class="">Основная касса</td>' in page  # the account by its name


async def test_the_migration_gives_earlier_payments_their_account_and_money(api, clinic, db):
    """Payments entered before the register: a bank one gets the main account, a cash one the first
    desk (an organization without one gets «Основная касса»), a bank one of an organization without
    any bank account stays without; the posted ones get their money receipts and the totals agree."""
    other = await api.item("organizations", {"name": "Клиника-2", "vat_rate": "none", "number_prefix": "К2"})
    second = await api.item("bank-accounts", {"name": "Второй", "organization_id": clinic.org,
                                              "account_number": "40702810938000000099"})
    bank = await api.create("payments", pay(clinic, "100.00"), post=True)
    cash = await api.create("payments", pay(clinic, "40.00", method="cash"), post=True)
    draft = await api.create("payments", pay(clinic, "7.00"))
    other_desk = await api.item("cash-desks", {"name": "Временная", "organization_id": other["id"]})
    elsewhere = await api.create("payments", {**pay(clinic, "25.00", method="cash"), "organization_id": other["id"],
                                              "cash_desk_id": other_desk["id"]}, post=True)
    # as they were before the register: no account, no item, no money
    await db.execute("UPDATE doc_payments SET cash_desk_id = NULL, bank_account_id = NULL, cash_flow_item_id = NULL")
    await db.execute("UPDATE doc_payments SET method = 'bank' WHERE id = $1", draft["id"])
    await db.execute("DELETE FROM cat_cash_desks WHERE organization_id = $1", other["id"])
    for table in (money.movements_table, money.month_table, money.day_table, money.balance_table):
        await db.execute(f"DELETE FROM {table}")
    await db.execute("UPDATE doc_payments SET organization_id = $1 WHERE id = $2", other["id"], elsewhere["id"])
    lone = await db.fetchval("INSERT INTO doc_payments (number, number_prefix, number_year, date, posted,"
                             " organization_id, client_id, amount, method) VALUES ('К20000000009', 'К2', 2021,"
                             " $1, true, $2, $3, 9.00, 'bank') RETURNING id", MOMENT, other["id"], clinic.client)

    async with db.transaction():
        await MIGRATION.assign(db)

    rows = {r["id"]: dict(r) for r in await db.fetch(
        "SELECT id, cash_desk_id, bank_account_id, cash_flow_item_id FROM doc_payments")}
    assert (rows[bank["id"]]["bank_account_id"], rows[bank["id"]]["cash_desk_id"]) == (clinic.account, None)
    assert second["id"] != clinic.account  # the main account («Основной»), not the newest
    assert (rows[cash["id"]]["cash_desk_id"], rows[draft["id"]]["bank_account_id"]) == (clinic.desk, clinic.account)
    made = await db.fetchrow("SELECT id, name, code FROM cat_cash_desks WHERE organization_id = $1", other["id"])
    assert made["name"] == "Основная касса" and made["code"]
    assert rows[elsewhere["id"]]["cash_desk_id"] == made["id"]
    assert rows[lone]["bank_account_id"] is None and rows[lone]["cash_desk_id"] is None
    items = await predefined(api, "cash-flow-items", "Оплата от покупателей")
    assert {r["cash_flow_item_id"] for r in rows.values()} == {items["id"]}
    assert await money_in(api, clinic, "bank-accounts", clinic.account) == D("100.00")  # the draft moved nothing
    assert await money_in(api, clinic, "cash-desks", clinic.desk) == D("40.00")
    assert await check_totals(db, money) == []
    # the payment left without an account asks for one when it is posted again
    error = await api.post(f"/api/documents/payments/{lone}/post", status=422)
    assert error["code"] == "money_account_required"
    async with db.transaction():  # running it again changes nothing
        await MIGRATION.assign(db)
    assert await money_in(api, clinic, "cash-desks", clinic.desk) == D("40.00")
