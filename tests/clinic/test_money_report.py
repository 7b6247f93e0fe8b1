"""«Денежные средства» (issue 15 point 6): the money in each desk and account on a date is the money
register's own balance; the cash flow of a period splits each account's turnover by cash-flow item
(read from the movements, the item being an attribute) and adds up to the register's turnover; the
drill-down lists exactly the documents behind a figure; Excel holds the same numbers; bad input is
a Russian 4xx with a code, never a 500; every role that reads reports reads it, nobody else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from erp.registers.money import money
from tests.clinic.conftest import predefined
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures)
from tests.ui.test_reports import sheet_rows

REPORT = "/api/reports/money"
TZ = ZoneInfo("Europe/Moscow")
DESK, BANK = "cash-desks", "bank-accounts"


def account(clinic, method: str) -> dict:
    return {"cash_desk_id": clinic.desk} if method == "cash" else {"bank_account_id": clinic.account}


async def income(api, clinic, amount: str, method: str, date: str) -> dict:
    return await api.create("payments", {"date": date, "organization_id": clinic.org, "client_id": clinic.client,
                                         "amount": amount, "method": method, **account(clinic, method)}, post=True)


async def spend(api, clinic, amount: str, method: str, date: str, operation: str = "to_supplier",
                **header) -> dict:
    return await api.create("outgoing-payments", {
        "date": date, "organization_id": clinic.org, "operation": operation, "method": method,
        **account(clinic, method), "recipient_id": clinic.supplier, "amount": amount, **header}, post=True)


async def month_of_money(api, clinic) -> dict:
    """January 2030: 1000 cash and 500 by bank in, 300 to the supplier and 100 other expenses from the desk,
    the rent of 200 from the bank, 250 handed from the desk to the bank (no item); a December payment
    of 40 cash before it all."""
    rent = await api.item("cash-flow-items", {"name": "Аренда"})
    docs = {
        "december": await income(api, clinic, "40.00", "cash", "2029-12-20T10:00:00"),
        "cash_in": await income(api, clinic, "1000.00", "cash", "2030-01-10T10:00:00"),
        "bank_in": await income(api, clinic, "500.00", "bank", "2030-01-11T10:00:00"),
        "supplier": await spend(api, clinic, "300.00", "cash", "2030-01-12T10:00:00"),
        "other": await spend(api, clinic, "100.00", "cash", "2030-01-15T10:00:00", operation="other_expense"),
        "rent": await spend(api, clinic, "200.00", "bank", "2030-01-20T10:00:00", operation="other_expense",
                            cash_flow_item_id=rent["id"]),
        "transfer": await api.create("money-transfers", {
            "date": "2030-01-25T17:00:00", "organization_id": clinic.org, "amount": "250.00", "method": "cash",
            "cash_desk_id": clinic.desk, "method_to": "bank", "bank_account_to_id": clinic.account}, post=True),
    }
    return docs | {"rent_item": rent}


def _key(row: dict) -> tuple:
    return row["organization_id"], row["account_kind"], row["account_id"]


async def test_the_balances_are_the_registers_balance_on_every_date(api, clinic, db):
    await month_of_money(api, clinic)
    for day in ("2029-12-19", "2029-12-20", "2030-01-10", "2030-01-12", "2030-01-25", "2030-01-31"):
        report = await api.get(REPORT, date=day)
        at = dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, TZ)
        register = {(r["organization_id"], r["account_kind"], r["account_id"]): r["amount"]
                    for r in await money.balance(db, at=at) if r["amount"]}
        assert {_key(r): D(r["amount"]) for r in report["rows"]} == register, day
        assert D(report["total"]) == sum(register.values(), D(0))
    report = await api.get(REPORT, date="2030-01-31")
    assert [(r["organization"], r["account_kind"], r["account"], r["amount"]) for r in report["rows"]] == [
        ("Клиника", DESK, "Основная касса", "390.00"), ("Клиника", BANK, "Основной", "550.00")]
    assert report["total"] == "940.00"
    assert (await api.get(REPORT, date="2029-12-19"))["rows"] == []
    other = await api.item("organizations", {"name": "Филиал", "full_name": "ООО «Филиал»", "inn": "7707083893",
                                             "kpp": "773601002", "ogrn": "1027700132195", "vat_rate": "none"})
    assert (await api.get(REPORT, date="2030-01-31", organization_id=other["id"]))["rows"] == []
    assert len((await api.get(REPORT, date="2030-01-31", organization_id=clinic.org))["rows"]) == 2


async def test_the_cash_flow_splits_each_accounts_turnover_by_item(api, clinic, db):
    docs = await month_of_money(api, clinic)
    customers = await predefined(api, "cash-flow-items", "Оплата от покупателей")
    suppliers = await predefined(api, "cash-flow-items", "Оплата поставщикам")
    others = await predefined(api, "cash-flow-items", "Прочие расходы")
    flow = await api.get(f"{REPORT}/flow", start="2030-01-01", end="2030-01-31")
    desk, bank = flow["accounts"]
    assert (desk["account_kind"], desk["account"], desk["opening"], desk["incoming"], desk["outgoing"],
            desk["closing"]) == (DESK, "Основная касса", "40.00", "1000.00", "650.00", "390.00")
    assert [(i["cash_flow_item_id"], i["cash_flow_item"], i["incoming"], i["outgoing"]) for i in desk["items"]] == [
        (customers["id"], "Оплата от покупателей", "1000.00", "0.00"),
        (suppliers["id"], "Оплата поставщикам", "0.00", "300.00"),
        (others["id"], "Прочие расходы", "0.00", "100.00"),
        (None, "Без статьи", "0.00", "250.00")]
    assert (bank["opening"], bank["incoming"], bank["outgoing"], bank["closing"]) == (
        "0.00", "750.00", "200.00", "550.00")
    assert [(i["cash_flow_item"], i["incoming"], i["outgoing"]) for i in bank["items"]] == [
        ("Аренда", "0.00", "200.00"), ("Оплата от покупателей", "500.00", "0.00"), ("Без статьи", "250.00", "0.00")]
    assert [(i["cash_flow_item"], i["incoming"], i["outgoing"]) for i in flow["items"]] == [
        ("Аренда", "0.00", "200.00"), ("Оплата от покупателей", "1500.00", "0.00"),
        ("Оплата поставщикам", "0.00", "300.00"), ("Прочие расходы", "0.00", "100.00"),
        ("Без статьи", "250.00", "250.00")]
    assert (flow["opening"], flow["incoming"], flow["outgoing"], flow["closing"]) == (
        "40.00", "1750.00", "850.00", "940.00")

    # every figure is the register's: balances at both ends, turnovers, and the items add up to them
    since, until = dt.datetime(2030, 1, 1, tzinfo=TZ), dt.datetime(2030, 1, 31, 23, 59, 59, 999999, tzinfo=TZ)
    register = {_key(r): r for r in await money.balance_and_turnovers(db, since, until)}
    for row in flow["accounts"]:
        mine = register[_key(row)]
        assert (D(row["opening"]), D(row["incoming"]), D(row["outgoing"]), D(row["closing"])) == (
            mine["amount_opening"], mine["amount_receipt"], mine["amount_expense"], mine["amount_closing"])
        assert sum(D(i["incoming"]) for i in row["items"]) == D(row["incoming"])
        assert sum(D(i["outgoing"]) for i in row["items"]) == D(row["outgoing"])

    # a period after: January's closing is February's opening, and nothing moved
    february = await api.get(f"{REPORT}/flow", start="2030-02-01", end="2030-02-28")
    assert [(a["opening"], a["incoming"], a["outgoing"], a["closing"], a["items"]) for a in february["accounts"]] == [
        ("390.00", "0.00", "0.00", "390.00", []), ("550.00", "0.00", "0.00", "550.00", [])]
    # a period of one day: only what happened on it
    day = await api.get(f"{REPORT}/flow", start="2030-01-12", end="2030-01-12")
    assert [(a["account_kind"], a["opening"], a["outgoing"], a["closing"]) for a in day["accounts"]] == [
        (DESK, "1040.00", "300.00", "740.00"), (BANK, "500.00", "0.00", "500.00")]
    # the start defaults to the first of the end's month
    assert (await api.get(f"{REPORT}/flow", end="2030-01-31"))["start"] == "2030-01-01"
    assert docs["rent"]["cash_flow_item_id"] == docs["rent_item"]["id"]


async def test_the_drill_down_lists_exactly_the_documents_behind_each_figure(api, clinic):
    docs = await month_of_money(api, clinic)
    suppliers = await predefined(api, "cash-flow-items", "Оплата поставщикам")
    base = {"organization_id": clinic.org, "start": "2030-01-01", "end": "2030-01-31"}
    desk = await api.get(f"{REPORT}/documents", account_kind=DESK, account_id=clinic.desk, **base)
    assert (desk["account"], desk["organization"], desk["opening"], desk["closing"]) == (
        "Основная касса", "Клиника", "40.00", "390.00")
    assert [(r["kind"], r["id"], r["incoming"], r["outgoing"], r["balance"]) for r in desk["rows"]] == [
        ("payments", docs["cash_in"]["id"], "1000.00", None, "1040.00"),
        ("outgoing-payments", docs["supplier"]["id"], None, "300.00", "740.00"),
        ("outgoing-payments", docs["other"]["id"], None, "100.00", "640.00"),
        ("money-transfers", docs["transfer"]["id"], None, "250.00", "390.00")]
    assert (desk["incoming"], desk["outgoing"], desk["truncated"]) == ("1000.00", "650.00", False)
    number = docs["supplier"]["number"].lstrip("0")
    assert desk["rows"][1]["document"] == f"Списание денежных средств {number} от 12.01.2030"
    assert desk["rows"][1]["cash_flow_item"] == "Оплата поставщикам"

    # one item, one direction: exactly its documents, and no running balance
    paid = await api.get(f"{REPORT}/documents", account_kind=DESK, account_id=clinic.desk, direction="out",
                         cash_flow_item_id=suppliers["id"], **base)
    assert [(r["id"], r["outgoing"], r["balance"]) for r in paid["rows"]] == [(docs["supplier"]["id"], "300.00", None)]
    assert (paid["incoming"], paid["outgoing"], paid["opening"], paid["closing"]) == (
        "0.00", "300.00", "40.00", "390.00")
    bare = await api.get(f"{REPORT}/documents", account_kind=BANK, account_id=clinic.account, without_item="true",
                         **base)
    assert [(r["kind"], r["id"], r["incoming"]) for r in bare["rows"]] == [
        ("money-transfers", docs["transfer"]["id"], "250.00")]
    rent = await api.get(f"{REPORT}/documents", account_kind=BANK, account_id=clinic.account,
                         cash_flow_item_id=docs["rent_item"]["id"], **base)
    assert [r["id"] for r in rent["rows"]] == [docs["rent"]["id"]]
    incoming = await api.get(f"{REPORT}/documents", account_kind=BANK, account_id=clinic.account, direction="in",
                             **base)
    assert [r["id"] for r in incoming["rows"]] == [docs["bank_in"]["id"], docs["transfer"]["id"]]
    assert incoming["incoming"] == "750.00"
    # the drill-down of every item of the flow adds up to the item's figure
    flow = await api.get(f"{REPORT}/flow", start="2030-01-01", end="2030-01-31")
    for acc in flow["accounts"]:
        for item in acc["items"]:
            chosen = ({"without_item": "true"} if item["cash_flow_item_id"] is None
                      else {"cash_flow_item_id": item["cash_flow_item_id"]})
            found = await api.get(f"{REPORT}/documents", account_kind=acc["account_kind"],
                                  account_id=acc["account_id"], **chosen, **base)
            assert (found["incoming"], found["outgoing"]) == (item["incoming"], item["outgoing"])
            assert sum(D(r["incoming"] or 0) for r in found["rows"]) == D(item["incoming"])

    # unposting takes the document out of every figure
    await api.post(f"/api/documents/outgoing-payments/{docs['supplier']['id']}/unpost")
    paid = await api.get(f"{REPORT}/documents", account_kind=DESK, account_id=clinic.desk, direction="out",
                         cash_flow_item_id=suppliers["id"], **base)
    assert paid["rows"] == [] and paid["closing"] == "690.00"


async def test_bad_input_is_a_russian_4xx_with_a_code_never_a_500(api, clinic, client, users):
    headers = await users.headers("admin")
    for path, dates in ((REPORT, ("date",)), (f"{REPORT}/flow", ("start", "end")),
                        (f"{REPORT}/documents", ("start", "end"))):
        for name in dates:
            for bad in ("10000-01-01", "9999-12-31", "2030-02-30", "завтра", "2030-01-01\x00"):
                r = await client.get(path, params={name: bad, "organization_id": clinic.org,
                                                   "account_kind": DESK, "account_id": clinic.desk},
                                     headers=headers)
                assert 400 <= r.status_code < 500, (path, name, bad, r.status_code)
                body = r.json()
                assert body["code"] and any("а" <= ch <= "я" for ch in body["message"].lower()), body
        for name in ("organization_id", "account_id", "cash_flow_item_id")[:1 if path != f"{REPORT}/documents" else 3]:
            for bad in (str(2**63), "-1", "0", "abc", "1\x00"):
                r = await client.get(path, params={name: bad}, headers=headers)
                assert 400 <= r.status_code < 500 and r.json()["code"], (path, name, bad, r.status_code)
    error = await api.get(f"{REPORT}/flow", expect=422, start="2030-02-01", end="2030-01-01")
    assert error["details"]["fields"] == {"end": "конец периода раньше начала"}
    error = await api.get(f"{REPORT}/documents", expect=422, account_kind=DESK)
    assert error["details"]["fields"] == {"organization_id": "обязательный параметр не передан",
                                          "account_id": "обязательный параметр не передан"}
    error = await api.get(REPORT, expect=422, date="9999-12-31")
    assert error["code"] == "validation_error"
    assert error["details"]["fields"] == {"date": "дата вне допустимого диапазона (02.01.1900–31.12.9998)"}
    bad_kind = await client.get(f"{REPORT}/documents", params={"organization_id": clinic.org, "account_id": 1,
                                                                "account_kind": "sofa"}, headers=headers)
    assert bad_kind.status_code in (400, 422) and bad_kind.json()["code"] in ("bad_request", "validation_error")
    assert "account_kind" in bad_kind.json()["details"]["fields"]
    # the widest period is fine
    assert (await api.get(f"{REPORT}/flow", start="1900-01-03", end="9998-12-31"))["accounts"] == []


async def test_every_reader_reads_it_and_nobody_else(api, clinic, client, users):
    await month_of_money(api, clinic)
    for role in ("manager", "accountant", "admin"):
        r = await client.get(REPORT, params={"date": "2030-01-31"}, headers=await users.headers(role))
        assert r.status_code == 200 and r.json()["total"] == "940.00", role
    for path in (REPORT, f"{REPORT}/flow", f"{REPORT}/documents"):
        assert (await client.get(path)).status_code == 401


async def test_the_pages_drill_down_export_and_speak_english(browser, api, clinic, login_as):  # noqa: F811
    docs = await month_of_money(api, clinic)
    page = (await browser.get("/reports")).text
    assert 'href="/reports/money"' in page and 'href="/reports/money/flow"' in page
    page = (await browser.get("/reports/money?date=2030-01-31")).text.replace("\xa0", " ")
    assert "Денежные средства на 31.01.2030" in page and 'data-report="money"' in page
    assert "Основная касса" in page and "390,00" in page and "940,00" in page and 'data-chart="bars"' in page
    link = (f"/reports/money/documents?organization_id={clinic.org}&amp;account_kind={DESK}"
            f"&amp;account_id={clinic.desk}&amp;start=2030-01-01&amp;end=2030-01-31")
    assert link in page
    rows = sheet_rows((await browser.get("/reports/money?date=2030-01-31&format=xlsx")).content)
    assert rows[0] == ("Организация", "Вид счёта", "Касса или счёт", "Остаток")
    assert [(r[1], r[2], float(r[3])) for r in rows[1:]] == [
        ("Касса", "Основная касса", 390.0), ("Банковский счёт", "Основной", 550.0), (None, None, 940.0)]

    flow = (await browser.get("/reports/money/flow?start=2030-01-01&end=2030-01-31")).text.replace("\xa0", " ")
    assert "Движение денежных средств с 01.01.2030 по 31.01.2030" in flow and 'data-report="money-flow"' in flow
    assert "Оплата поставщикам" in flow and "Без статьи" in flow and 'data-chart="bars"' in flow
    suppliers = await predefined(api, "cash-flow-items", "Оплата поставщикам")
    item_link = f"{link}&amp;cash_flow_item_id={suppliers['id']}&amp;direction=out"
    assert item_link in flow
    rows = sheet_rows((await browser.get("/reports/money/flow?start=2030-01-01&end=2030-01-31&format=xlsx")).content)
    assert rows[0] == ("Организация", "Касса или счёт, статья", "Остаток на начало", "Поступление", "Списание",
                       "Остаток на конец")
    assert rows[1] == ("Клиника", "Касса: Основная касса", 40, 1000, 650, 390)
    assert ("    Оплата поставщикам", 0, 300) in [(r[1], r[3], r[4]) for r in rows]
    assert rows[-1][0] == "Итого" and rows[-1][2:] == (40, 1750, 850, 940)

    drill = (await browser.get(item_link.replace("&amp;", "&"))).text.replace("\xa0", " ")
    assert "Движения по кассе или счёту: Касса «Основная касса», Клиника" in drill
    assert f'href="/documents/outgoing-payments/{docs["supplier"]["id"]}"' in drill
    assert f'href="/documents/payments/{docs["cash_in"]["id"]}"' not in drill
    assert "Начальный остаток: 40,00" in drill and "Конечный остаток: 390,00" in drill
    rows = sheet_rows((await browser.get(link.replace("&amp;", "&") + "&format=xlsx")).content)
    assert rows[0] == ("Дата", "Документ", "Статья", "Поступление", "Списание", "Остаток")
    assert [(r[3], r[4], r[5]) for r in rows[1:]] == [(None, None, 40), (1000, None, 1040), (None, 300, 740),
                                                      (None, 100, 640), (None, 250, 390), (1000, 650, None),
                                                      (None, None, 390)]
    assert "ожидается дата ГГГГ-ММ-ДД" in (await browser.get("/reports/money?date=10000-01-01", status=422)).text

    manager = await login_as("manager")
    assert "Основная касса" in (await manager.get("/reports/money?date=2030-01-31")).text
    await browser.post("/locale", {"lang": "en", "next": "/reports"})
    english = (await browser.get("/reports/money/flow?start=2030-01-01&end=2030-01-31")).text
    assert "Cash flow" in english and "No item" in english and "Closing balance" in english
    assert "Cash and bank balances" in (await browser.get("/reports/money?date=2030-01-31")).text
