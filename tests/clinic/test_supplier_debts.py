"""Расчёты с поставщиками and «Долги поставщикам» (issue 15, points 4 and 6): a posted goods
receipt makes its organization owe the supplier the receipt's total from its date on; unposting
takes the debt back; the report shows the debt on any date, drills down to the documents and
exports to Excel; a receipt without an organization takes the default one (and its period lock);
bad dates are a Russian 422."""

from __future__ import annotations

from tests.clinic.conftest import counts
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures)
from tests.ui.test_reports import sheet_rows

REPORT = "/api/reports/supplier-debts"


async def receipt(api, clinic, *lines: tuple[str, str], date: str = "2030-01-10T10:00:00", post: bool = True,
                  **header) -> dict:
    return await api.create("goods-receipts", {
        "date": date, "organization_id": clinic.org, "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": clinic.goods, "quantity": q, "price": p} for q, p in lines], **header},
        post=post)


async def debts(api, day: str, **params) -> list[tuple[str, str, str]]:
    report = await api.get(REPORT, date=day, **params)
    assert report["date"] == day
    return [(r["organization"], r["supplier"], r["amount"]) for r in report["rows"]]


async def test_a_receipt_owes_its_supplier_from_its_date_and_unposting_takes_it_back(api, clinic):
    first = await receipt(api, clinic, ("10", "20.00"), ("2", "25.00"))  # 200 + 50
    await receipt(api, clinic, ("4", "25.00"), date="2030-01-20T15:00:00")
    assert await debts(api, "2030-01-09") == []  # before the receipt: nothing owed
    assert await debts(api, "2030-01-10") == [("Клиника", "ООО «МедСнаб»", "250.00")]  # its own day counts
    assert await debts(api, "2030-01-19") == [("Клиника", "ООО «МедСнаб»", "250.00")]
    assert await debts(api, "2030-02-01") == [("Клиника", "ООО «МедСнаб»", "350.00")]
    report = await api.get(REPORT, date="2030-02-01")
    assert report["total"] == "350.00"
    assert (report["rows"][0]["organization_id"], report["rows"][0]["supplier_id"]) == (clinic.org, clinic.supplier)

    # «Движения документа» shows the debt next to the goods
    moves = await api.get(f"/api/documents/goods-receipts/{first['id']}/movements")
    assert [(m["organization_id"], m["counterparty_id"], m["amount"]) for m in moves["supplier-settlements"]] == [
        (clinic.org, clinic.supplier, "250.00")]

    await api.post(f"/api/documents/goods-receipts/{first['id']}/unpost")
    assert await debts(api, "2030-01-15") == []
    assert await debts(api, "2030-02-01") == [("Клиника", "ООО «МедСнаб»", "100.00")]
    await api.post(f"/api/documents/goods-receipts/{first['id']}/post")
    assert await debts(api, "2030-02-01") == [("Клиника", "ООО «МедСнаб»", "350.00")]

    # an edit re-posts at the new total; a draft owes nothing
    await api.put(f"/api/documents/goods-receipts/{first['id']}", {
        "date": "2030-01-10T10:00:00", "organization_id": clinic.org, "supplier_id": clinic.supplier,
        "warehouse_id": clinic.warehouse, "lines": [{"nomenclature_id": clinic.goods, "quantity": "1",
                                                     "price": "5.00"}]})
    await receipt(api, clinic, ("1", "1000.00"), date="2030-01-11T10:00:00", post=False)
    assert await debts(api, "2030-02-01") == [("Клиника", "ООО «МедСнаб»", "105.00")]
    balance = await api.balance("supplier-settlements", counterparty_id=clinic.supplier)
    assert [b["amount"] for b in balance] == ["105.00"]


async def test_the_report_filters_by_organization_and_supplier(api, clinic):
    other = await api.item("organizations", {"name": "Филиал", "full_name": "ООО «Филиал»", "inn": "7707083893",
                                             "kpp": "773601002", "ogrn": "1027700132195", "vat_rate": "none"})
    pharma = await api.item("clients", {"name": "АО «Фарма»", "kind": "company"})
    await receipt(api, clinic, ("1", "100.00"))
    await receipt(api, clinic, ("1", "40.00"), organization_id=other["id"])
    await receipt(api, clinic, ("1", "7.50"), supplier_id=pharma["id"])
    assert await debts(api, "2030-01-31") == [("Клиника", "АО «Фарма»", "7.50"), ("Клиника", "ООО «МедСнаб»", "100.00"),
                                              ("Филиал", "ООО «МедСнаб»", "40.00")]
    assert await debts(api, "2030-01-31", organization_id=other["id"]) == [("Филиал", "ООО «МедСнаб»", "40.00")]
    assert await debts(api, "2030-01-31", supplier_id=pharma["id"]) == [("Клиника", "АО «Фарма»", "7.50")]


async def test_the_drill_down_lists_the_documents_with_the_debt_after_each(api, clinic):
    before = await receipt(api, clinic, ("1", "30.00"), date="2029-12-20T10:00:00")
    first = await receipt(api, clinic, ("2", "50.00"))
    second = await receipt(api, clinic, ("1", "20.00"), date="2030-01-25T10:00:00")
    found = await api.get(f"{REPORT}/documents", organization_id=clinic.org, supplier_id=clinic.supplier,
                          start="2030-01-01", end="2030-01-31")
    assert (found["organization"], found["supplier"]) == ("Клиника", "ООО «МедСнаб»")
    assert found["opening"] == "30.00" and found["closing"] == "150.00" and found["truncated"] is False
    assert [(r["kind"], r["id"], r["increase"], r["decrease"], r["balance"]) for r in found["rows"]] == [
        ("goods-receipts", first["id"], "100.00", None, "130.00"),
        ("goods-receipts", second["id"], "20.00", None, "150.00")]
    assert found["rows"][0]["document"] == f"Поступление товаров {first['number'].lstrip('0')} от 10.01.2030"
    assert before["id"] not in [r["id"] for r in found["rows"]]
    # the start defaults to 1 January of the end's year
    whole = await api.get(f"{REPORT}/documents", organization_id=clinic.org, supplier_id=clinic.supplier,
                          end="2030-01-15")
    assert (whole["start"], whole["opening"], whole["closing"], len(whole["rows"])) == (
        "2030-01-01", "30.00", "130.00", 1)


async def test_bad_dates_are_a_russian_422_and_a_manager_reads_the_report(api, clinic, users, client):
    for bad, text in (("10000-01-01", "ожидается дата ГГГГ-ММ-ДД"),
                      ("9999-12-31", "дата вне допустимого диапазона (02.01.1900–31.12.9998)"),
                      ("2030-02-30", "ожидается дата ГГГГ-ММ-ДД"), ("завтра", "ожидается дата ГГГГ-ММ-ДД"),
                      ("1900-01-01", "дата вне допустимого диапазона (02.01.1900–31.12.9998)")):
        error = await api.get(REPORT, expect=422, date=bad)
        assert error["details"]["fields"] == {"date": text}, bad
    # the first day the message names is in range, as a report date and as a period's start
    assert (await api.get(REPORT, date="1900-01-02"))["rows"] == []
    first = await api.get(f"{REPORT}/documents", organization_id=clinic.org, supplier_id=clinic.supplier,
                          start="1900-01-02", end="2030-01-15")
    assert first["start"] == "1900-01-02" and first["opening"] == "0.00"
    error = await api.get(f"{REPORT}/documents", expect=422, organization_id=clinic.org,
                          supplier_id=clinic.supplier, start="2030-02-01", end="2030-01-01")
    assert error["details"]["fields"] == {"end": "конец периода раньше начала"}
    error = await api.get(f"{REPORT}/documents", expect=422, organization_id=clinic.org,
                          supplier_id=clinic.supplier, start="2030-01-01", end="99999-01-01")
    assert error["details"]["fields"] == {"end": "ожидается дата ГГГГ-ММ-ДД"}
    error = await api.get(f"{REPORT}/documents", expect=422, supplier_id=clinic.supplier)
    assert error["details"]["fields"] == {"organization_id": "обязательный параметр не передан"}
    too_big = await client.get(REPORT, params={"organization_id": str(2**63)}, headers=await users.headers("admin"))
    assert 400 <= too_big.status_code < 500

    await receipt(api, clinic, ("1", "10.00"))
    manager = await client.get(REPORT, params={"date": "2030-01-31"}, headers=await users.headers("manager"))
    assert manager.status_code == 200 and manager.json()["total"] == "10.00"
    assert (await client.get(REPORT)).status_code == 401


async def test_a_receipt_without_an_organization_takes_the_default_one(api, db, clinic):
    other = await api.item("organizations", {"name": "Филиал", "full_name": "ООО «Филиал»", "inn": "7707083893",
                                             "kpp": "773601002", "ogrn": "1027700132195", "vat_rate": "none"})
    body = {"date": "2030-01-10T10:00:00", "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
            "lines": [{"nomenclature_id": clinic.goods, "quantity": "1", "price": "10.00"}]}
    # no default set: the first organization
    assert (await api.create("goods-receipts", body, post=True))["organization_id"] == clinic.org
    await api.put("/api/settings/document-defaults", {"organization_id": other["id"]})
    made = await api.create("goods-receipts", body, post=True)
    assert made["organization_id"] == other["id"]
    assert (await api.get(f"/api/documents/goods-receipts/{made['id']}"))["organization_id"] == other["id"]
    assert await debts(api, "2030-01-31") == [("Клиника", "ООО «МедСнаб»", "10.00"),
                                              ("Филиал", "ООО «МедСнаб»", "10.00")]

    # the default organization's own period lock refuses a receipt in its closed period, and nothing is written
    await api.put("/api/period-lock", {"date": "2030-01-31", "organization_id": other["id"]})
    before = await counts(db)
    refused = await api.create("goods-receipts", {**body, "date": "2030-01-15T10:00:00"}, status=409, post=True)
    assert refused["code"] == "period_closed"
    assert refused["message"].startswith("Период закрыт: дата запрета изменения 31.01.2030")
    assert await counts(db) == before
    # a receipt naming the other organization is open
    assert (await api.create("goods-receipts", {**body, "organization_id": clinic.org, "date": "2030-01-15T10:00:00"},
                             post=True))["posted"] is True


async def test_the_report_page_drills_down_and_exports(browser, api, clinic, login_as):  # noqa: F811
    first = await receipt(api, clinic, ("2", "50.00"))
    page = (await browser.get("/reports")).text
    assert 'href="/reports/supplier-debts"' in page and "Долги поставщикам" in page
    page = (await browser.get("/reports/supplier-debts?date=2030-01-31")).text.replace("\xa0", " ")
    assert "Долги поставщикам на 31.01.2030" in page and 'data-report="supplier-debts"' in page
    assert "ООО «МедСнаб»" in page and "100,00" in page and 'data-chart="bars"' in page
    link = (f"/reports/supplier-debts/documents?organization_id={clinic.org}&amp;supplier_id={clinic.supplier}"
            "&amp;start=2030-01-01&amp;end=2030-01-31")
    assert link in page
    assert "Долгов поставщикам нет" in (await browser.get("/reports/supplier-debts?date=2030-01-09")).text

    rows = sheet_rows((await browser.get("/reports/supplier-debts?date=2030-01-31&format=xlsx")).content)
    assert rows[0] == ("Организация", "Поставщик", "Долг поставщику")
    assert [(r[0], r[1], float(r[2])) for r in rows[1:]] == [("Клиника", "ООО «МедСнаб»", 100.0),
                                                             ("Итого", None, 100.0)]

    drill = (await browser.get(link.replace("&amp;", "&"))).text.replace("\xa0", " ")
    assert "Расчёты с поставщиком: ООО «МедСнаб», Клиника с 01.01.2030 по 31.01.2030" in drill
    assert f'href="/documents/goods-receipts/{first["id"]}"' in drill
    assert "Начальный остаток: 0,00" in drill and "Конечный остаток: 100,00" in drill
    rows = sheet_rows((await browser.get(link.replace("&amp;", "&") + "&format=xlsx")).content)
    assert rows[0] == ("Дата", "Документ", "Увеличение долга", "Уменьшение долга", "Долг")
    assert [(r[1], r[2], r[4]) for r in rows[1:]] == [
        ("Начальный остаток", None, 0), (f"Поступление товаров {first['number'].lstrip('0')} от 10.01.2030", 100, 100),
        ("Конечный остаток", None, 100)]

    bad = await browser.get("/reports/supplier-debts?date=10000-01-01", status=422)
    assert "ожидается дата ГГГГ-ММ-ДД" in bad.text

    # a new receipt's form starts with the organization (the only one here)
    form = (await browser.get("/documents/goods-receipts/new")).text
    assert f'name="organization_id" value="{clinic.org}"' in form

    manager = await login_as("manager")
    assert "ООО «МедСнаб»" in (await manager.get("/reports/supplier-debts?date=2030-01-31")).text
    await browser.post("/locale", {"lang": "en", "next": "/reports"})
    english = (await browser.get("/reports/supplier-debts?date=2030-01-31")).text
    assert "Supplier debts" in english and "Owed to supplier" in english
    assert "Settlements with the supplier" in (await browser.get(link.replace("&amp;", "&"))).text
