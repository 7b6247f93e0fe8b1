"""Issue 19 point 2: «Ввод начальных остатков». One document per section of the books (stock, client
debts, supplier debts, money), posted at a chosen date like any document: the balances equal what was
entered, the moving average starts from the opening cost, unposting what was already sold is refused
as a goods receipt's is, and bad input is a Russian 422 writing nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from erp.documents import opening_balance as rule
from erp.platform.document import Doc
from erp.platform.errors import ValidationError
from erp.platform.posting.inputs import Inputs
from erp.registers.money import money
from erp.registers.settlements import settlements
from erp.registers.stock import stock as stock_register
from erp.registers.supplier_settlements import supplier_settlements
from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import debt, rendering, stock

KIND = "/api/documents/opening-balances"
OPENING = "2021-11-30T23:00:00"


def opening(clinic, section: str, *lines: dict, date: str = OPENING) -> dict:
    return {"date": date, "organization_id": clinic.org, "section": section, "comment": "Переход на новую систему",
            "lines": list(lines)}


def goods(clinic, item: int, quantity: str, amount: str, warehouse: int | None = None) -> dict:
    return {"warehouse_id": warehouse or clinic.warehouse, "nomenclature_id": item, "quantity": quantity,
            "balance": amount}


async def supplier_debt(api, clinic) -> str:
    rows = await api.balance("supplier-settlements", organization_id=clinic.org, counterparty_id=clinic.supplier)
    return rows[0]["amount"] if rows else "0"


async def money_in(api, clinic, kind: str, account: int) -> str:
    rows = await api.balance("money", organization_id=clinic.org, account_kind=kind, account_id=account)
    return rows[0]["amount"] if rows else "0"


# -- the posting rule on plain data -------------------------------------------------------------------------

def _doc(section: str, *lines: dict) -> Doc:
    full = [{name: None for name in rule.FIELDS_OF_LINE} | ln for ln in lines]
    return Doc("opening-balances", 1, "", dt.datetime(2021, 11, 30, 23, tzinfo=dt.UTC), True, False,
               {"organization_id": 1, "section": section, "comment": ""}, tuple(full))


def test_the_rule_writes_each_section_into_its_register():
    moves = rule.movements(_doc("stock", {"warehouse_id": 1, "nomenclature_id": 7, "quantity": D("10"),
                                          "balance": D("120.00")}), Inputs({}))
    [receipt] = moves[stock_register]
    assert (receipt.dimensions, receipt.resources["quantity"], receipt.resources["cost"], receipt.record_type) == (
        {"warehouse_id": 1, "nomenclature_id": 7}, D("10"), D("120.00"), 1)

    # a client's debt is owed (a receipt), an advance the client paid is an expense; a zero moves nothing
    moves = rule.movements(_doc("clients", {"client_id": 5, "balance": D("300.00")},
                                {"client_id": 6, "balance": D("-50.00")}, {"client_id": 8, "balance": D("0")}),
                           Inputs({}))
    assert [(m.record_type, m.dimensions["client_id"], m.resources["amount"]) for m in moves[settlements]] == [
        (1, 5, D("300.00")), (-1, 6, D("50.00"))]
    moves = rule.movements(_doc("suppliers", {"supplier_id": 3, "balance": D("700.00")}), Inputs({}))
    assert [(m.dimensions["counterparty_id"], m.resources["amount"]) for m in moves[supplier_settlements]] == [
        (3, D("700.00"))]
    moves = rule.movements(_doc("money", {"cash_desk_id": 2, "balance": D("5000.00")},
                                {"bank_account_id": 4, "balance": D("90000.00")}), Inputs({}))
    assert [(m.dimensions["account_kind"], m.dimensions["account_id"], m.resources["amount"])
            for m in moves[money]] == [
        ("cash-desks", 2, D("5000.00")), ("bank-accounts", 4, D("90000.00"))]


def test_the_rules_refuse_services_and_other_organizations_accounts_and_keep_a_section_s_own_columns():
    errors = rule.rules(None, _doc("stock", {"warehouse_id": 1, "nomenclature_id": 9, "quantity": D("1"),
                                             "balance": D("0")}),
                        Inputs({"items": {9: {"kind": "service", "name": "Приём"}}}))
    assert errors[0].details["fields"] == {"lines[0].nomenclature_id": "«Приём» — услуга, ввести остатком можно"
                                                                         " только товар"}
    errors = rule.rules(None, _doc("money", {"bank_account_id": 4, "balance": D("1.00")}),
                        Inputs({"bank-accounts": {4: {"organization_id": 2, "name": "Чужой"}}}))
    assert errors[0].code == "money_account_of_another_organization"
    assert errors[0].details["fields"] == {
        "lines[0].bank_account_id": "банковский счёт «Чужой» принадлежит другой организации"}

    _header, lines = rule.prepare({"section": "clients"}, [{"client_id": 5, "balance": D("1.00"), "warehouse_id": 1,
                                                           "quantity": D("3")}], None)
    assert lines == [{"client_id": 5, "balance": D("1.00"), "warehouse_id": None, "quantity": None}]
    try:
        rule.prepare({"section": "stock"}, [{"warehouse_id": 1, "nomenclature_id": 7, "quantity": D("-1"),
                                             "balance": D("-5.00")}], None)
    except ValidationError as exc:
        assert exc.details["fields"] == {
            "lines[0].quantity": "количество должно быть больше нуля",
            "lines[0].balance": "сумма (себестоимость остатка) не может быть отрицательной"}
    else:
        raise AssertionError("a negative quantity was taken")


# -- end to end ---------------------------------------------------------------------------------------------

async def test_posted_sections_give_the_balances_entered(api, clinic):
    gloves = await api.item("nomenclature", {"name": "Перчатки", "kind": "goods", "price": "15"})
    doc = await api.create("opening-balances", opening(
        clinic, "stock", goods(clinic, clinic.goods, "40", "400.00"), goods(clinic, gloves["id"], "3", "0")),
        post=True)
    assert doc["posted"] is True and doc["number"].startswith("К") and doc["section"] == "stock"
    assert await stock(api, clinic, clinic.goods) == ("40.000", "400.00")
    assert await stock(api, clinic, gloves["id"]) == ("3.000", "0.00")
    moves = await api.get(f"{KIND}/{doc['id']}/movements")
    assert [(m["nomenclature_id"], m["quantity"], m["cost"]) for m in moves["stock"]] == [
        (clinic.goods, "40.000", "400.00"), (gloves["id"], "3.000", "0.00")]

    other = await api.item("clients", {"name": "Петров П.П.", "kind": "person"})
    await api.create("opening-balances", opening(
        clinic, "clients", {"client_id": clinic.client, "balance": "1500.00"}, {"client_id": other["id"],
                                                                               "balance": "-200.00"}), post=True)
    assert await debt(api, clinic) == "1500.00"
    assert await debt(api, clinic, other["id"]) == "-200.00"  # an advance: we owe the client

    await api.create("opening-balances", opening(clinic, "suppliers", {"supplier_id": clinic.supplier,
                                                                       "balance": "7300.50"}), post=True)
    assert await supplier_debt(api, clinic) == "7300.50"

    cash = await api.create("opening-balances", opening(
        clinic, "money", {"cash_desk_id": clinic.desk, "balance": "12000.00"},
        {"bank_account_id": clinic.account, "balance": "250000.00"}), post=True)
    assert await money_in(api, clinic, "cash-desks", clinic.desk) == "12000.00"
    assert await money_in(api, clinic, "bank-accounts", clinic.account) == "250000.00"

    # the list shows every one, and its Excel export is the list's
    listed = await api.get(KIND)
    assert sorted(d["section"] for d in listed["items"]) == ["clients", "money", "stock", "suppliers"]

    # unposting takes the money back; posting again brings it
    await api.post(f"{KIND}/{cash['id']}/unpost")
    assert await money_in(api, clinic, "cash-desks", clinic.desk) == "0"
    await api.post(f"{KIND}/{cash['id']}/post")
    assert await money_in(api, clinic, "cash-desks", clinic.desk) == "12000.00"


async def test_a_sale_takes_the_opening_cost_and_then_the_opening_cannot_be_unposted(api, db, clinic):
    doc = await api.create("opening-balances", opening(clinic, "stock", goods(clinic, clinic.goods, "10", "123.40")),
                           post=True)
    sold = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.goods, "quantity": "4", "price": "25"}), post=True)
    moves = await api.get(f"/api/documents/service-renderings/{sold['id']}/movements")
    assert [(m["quantity"], m["cost"]) for m in moves["stock"]] == [("4.000", "49.36")]  # 12.34 a unit
    assert await stock(api, clinic, clinic.goods) == ("6.000", "74.04")

    before = await counts(db)
    refused = await api.post(f"{KIND}/{doc['id']}/unpost", status=409)
    assert refused["code"] == "balance_shortage"
    # the same structured 409 as a goods receipt's: without the opening 4 sold units are missing
    assert refused["message"].startswith("Недостаточно остатка: Товары на складах (Склад «Основной склад»,"
                                         " Номенклатура «Шприц 5 мл»)")
    assert "Количество: остаток станет -4.000" in refused["message"]
    assert [(s["register"], s["dimensions"], s["available"]) for s in refused["details"]["shortfalls"]
            if s["resource"] == "quantity"] == [
        ("stock", {"warehouse_id": clinic.warehouse, "nomenclature_id": clinic.goods}, "-4.000")]
    assert await counts(db) == before
    assert (await api.get(f"{KIND}/{doc['id']}"))["posted"] is True

    # editing it below what was sold is refused the same way; re-dating it keeps it posted
    await api.put(f"{KIND}/{doc['id']}", opening(clinic, "stock", goods(clinic, clinic.goods, "3", "30.00")),
                  status=409)
    assert await stock(api, clinic, clinic.goods) == ("6.000", "74.04")
    moved = await api.put(f"{KIND}/{doc['id']}", opening(clinic, "stock", goods(clinic, clinic.goods, "10", "123.40"),
                                                         date="2021-11-29T10:00:00"))
    assert moved["posted"] is True and moved["date"].startswith("2021-11-29")
    assert await stock(api, clinic, clinic.goods) == ("6.000", "74.04")


async def test_opening_money_already_spent_cannot_be_unposted(api, db, clinic):
    doc = await api.create("opening-balances", opening(clinic, "money", {"cash_desk_id": clinic.desk,
                                                                         "balance": "1000.00"}), post=True)
    await api.create("outgoing-payments", {
        "date": "2021-12-02T10:00:00", "organization_id": clinic.org, "operation": "to_supplier", "method": "cash",
        "cash_desk_id": clinic.desk, "recipient_id": clinic.supplier, "amount": "600.00",
        "purpose": "Оплата поставщику"}, post=True)
    before = await counts(db)
    refused = await api.post(f"{KIND}/{doc['id']}/unpost", status=409)
    assert refused["code"] == "balance_shortage"
    assert [(s["register"], s["dimensions"]["account_id"], s["available"]) for s in refused["details"]["shortfalls"]
            ] == [("money", clinic.desk, "-600.00")]  # 600.00 paid out of the opening 1000.00
    assert await counts(db) == before


async def test_bad_input_is_a_russian_422_and_nothing_is_written(api, db, clinic):
    stranger = await api.item("organizations", {"name": "Другая", "full_name": "ООО «Другая»", "inn": "7728168971",
                                                "kpp": "772801001", "vat_rate": "none", "number_prefix": "Д"})
    foreign = await api.item("bank-accounts", {
        "name": "Чужой", "organization_id": stranger["id"], "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810700000000051"})
    before = await counts(db)
    bad = await api.create("opening-balances", opening(clinic, "stock", goods(clinic, clinic.goods, "-2", "10.00")),
                           status=422, post=True)
    assert bad["details"]["fields"] == {"lines[0].quantity": "количество должно быть больше нуля"}
    for post in (True, False):  # a draft too
        bad = await api.create("opening-balances", opening(clinic, "stock", goods(clinic, clinic.service, "1", "5")),
                               status=422, post=post)
        assert bad["details"]["fields"] == {
            "lines[0].nomenclature_id": "«Приём терапевта» — услуга, ввести остатком можно только товар"}
    bad = await api.create("opening-balances", opening(clinic, "money", {"bank_account_id": foreign["id"],
                                                                         "balance": "10.00"}), status=422, post=True)
    assert bad["code"] == "money_account_of_another_organization"
    assert bad["details"]["fields"] == {"lines[0].bank_account_id": "банковский счёт «Чужой» принадлежит другой"
                                                                     " организации"}
    bad = await api.create("opening-balances", opening(clinic, "money", {"balance": "10.00"}, {
        "cash_desk_id": clinic.desk, "bank_account_id": clinic.account, "balance": "-1"}), status=422)
    assert bad["details"]["fields"] == {
        "lines[0].cash_desk_id": "укажите кассу или банковский счёт",
        "lines[1].balance": "остаток денежных средств не может быть отрицательным",
        "lines[1].bank_account_id": "укажите что-то одно: кассу или банковский счёт"}
    bad = await api.create("opening-balances", opening(clinic, "clients", {"client_id": clinic.client,
                                                                           "balance": "1e15"}), status=422)
    assert bad["details"]["fields"]["lines[0].balance"].startswith("слишком большое число")
    bad = await api.create("opening-balances", {**opening(clinic, "clients"), "comment": "a\x00b"}, status=422)
    assert "нулевой байт" in str(bad)
    bad = await api.create("opening-balances", opening(clinic, "debts", {"balance": "1"}), status=422)
    assert "section" in bad["details"]["fields"]
    empty = await api.create("opening-balances", opening(clinic, "suppliers"), status=422, post=True)
    assert empty["code"] == "empty_opening_balances"
    assert await counts(db) == before


async def test_a_closed_period_refuses_the_opening_and_the_audit_log_sees_it(api, db, clinic):
    doc = await api.create("opening-balances", opening(clinic, "clients", {"client_id": clinic.client,
                                                                           "balance": "100.00"}), post=True)
    await api.put("/api/period-lock", {"date": "2021-12-31"})
    before = await counts(db)
    refused = await api.post(f"{KIND}/{doc['id']}/unpost", status=409)
    assert refused["code"] == "period_closed"
    await api.create("opening-balances", opening(clinic, "clients", {"client_id": clinic.client, "balance": "5"}),
                     status=409, post=True)
    assert await counts(db) == before
    logged = await db.fetch("SELECT action FROM audit_log WHERE object_kind = 'document:opening-balances'"
                            " AND object_id = $1", doc["id"])
    assert logged and {r["action"] for r in logged} >= {"post"}
