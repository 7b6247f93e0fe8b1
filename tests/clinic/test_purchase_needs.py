"""Минимальный остаток и «Потребность в закупке» (issue 16 point 7): an item's minimum per warehouse
is a tabular part of its card; the report lists the goods below it with the consumption over the
last N days (renderings and write-offs, not transfers between the clinic's warehouses), the average
per day and a suggested quantity; one click makes «Заказ поставщику» drafts, one per supplier; the
home page lists the goods below their minimum. Bad input is a Russian 4xx that writes nothing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest

from erp.platform.errors import ValidationError
from erp.services import purchase_needs
from tests.clinic.conftest import Clinic, counts, make_clinic
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures, for the form tests)
from tests.ui.test_reports import sheet_rows

ITEM = "/api/catalogs/nomenclature"
MSK = dt.timezone(dt.timedelta(hours=3))


def ago(days: int) -> str:
    return (dt.datetime.now(MSK) - dt.timedelta(days=days)).replace(tzinfo=None, microsecond=0).isoformat()


@pytest.fixture
async def clinic(api) -> Clinic:
    return await make_clinic(api, cabinet=True)


async def minimums(api, item: int, *rows: tuple[int, str], status: int = 200) -> dict:
    return await api.patch(f"{ITEM}/{item}", {"minimums": [{"warehouse_id": w, "minimum": m} for w, m in rows]},
                           status=status)


async def history(api, clinic) -> int:
    """60 days of a clinic's syringes and gloves; the gloves come from another supplier."""
    gloves = (await api.item("nomenclature", {"name": "Перчатки", "kind": "goods", "price": "15"}))["id"]
    other = (await api.item("clients", {"name": "ООО «Перчатки»", "kind": "company"}))["id"]
    await api.create("goods-receipts", {"date": ago(60), "supplier_id": clinic.supplier,
                                        "warehouse_id": clinic.warehouse, "lines": [
                                            {"nomenclature_id": clinic.goods, "quantity": "100", "price": "10"}]},
                     post=True)
    await api.create("goods-receipts", {"date": ago(59), "supplier_id": other, "warehouse_id": clinic.warehouse,
                                        "lines": [{"nomenclature_id": gloves, "quantity": "10", "price": "5"}]},
                     post=True)
    write_off = {"organization_id": clinic.org, "warehouse_id": clinic.warehouse, "reason": "Израсходовано"}
    await api.create("stock-write-offs", {**write_off, "date": ago(50),
                                          "lines": [{"nomenclature_id": clinic.goods, "quantity": "10"}]}, post=True)
    await api.create("stock-write-offs", {**write_off, "date": ago(10),
                                          "lines": [{"nomenclature_id": clinic.goods, "quantity": "30"}]}, post=True)
    await api.create("service-renderings", {
        "date": ago(5), "organization_id": clinic.org, "client_id": clinic.client, "doctor_id": clinic.efimova,
        "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": clinic.goods, "quantity": "15", "price": "25"}]}, post=True)
    await api.create("stock-transfers", {  # to the clinic's own cabinet: not consumption
        "date": ago(3), "organization_id": clinic.org, "warehouse_id": clinic.warehouse,
        "warehouse_to_id": clinic.cabinet, "lines": [{"nomenclature_id": clinic.goods, "quantity": "20"}]}, post=True)
    await minimums(api, clinic.goods, (clinic.warehouse, "40"), (clinic.cabinet, "10"))
    await minimums(api, gloves, (clinic.warehouse, "12"))
    return gloves


def table(page: str) -> list[list[str]]:
    """The report's rows as the user reads them: warehouse, item, unit, minimum, balance, consumption,
    per day, suggested, last supplier."""
    if 'data-report="purchase-needs"' not in page:
        return []
    body = page[page.index('data-report="purchase-needs"'):]
    body = body[body.index("<tbody>"):body.index("</tbody>")]
    rows = []
    for tr in re.findall(r"<tr data-row=.*?</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).strip().replace("\xa0", " ") for c in cells[1:]])
    return rows


async def test_the_report_lists_what_is_below_its_minimum_with_consumption_and_a_suggestion(browser, api, clinic):  # noqa: F811
    await history(api, clinic)
    page = (await browser.get("/reports/purchase-needs")).text
    # 100 − 10 − 30 − 15 − 20 = 25 syringes; 45 consumed in 30 days (the transfer is not consumption):
    # 1.5 a day; 40 − 25 + 1.5 × 7 = 25.5, rounded up to 26. The gloves: 10 of 12, none used: 2.
    assert table(page) == [
        ["Основной склад", "Перчатки", "шт", "12", "10", "0", "0", "2", "ООО «Перчатки»"],
        ["Основной склад", "Шприц 5 мл", "шт", "40", "25", "45", "1,5", "26", "ООО «МедСнаб»"]]
    assert "минимальный остаток − остаток + среднесуточный расход × срок поставки" in page
    # 60 days take the older write-off too: 55 in 60 days, 0.917 a day; 15 + 55/60 × 7 = 21.42 → 22; lead 0: 15
    page = (await browser.get("/reports/purchase-needs?days=60&lead_days=0")).text
    assert table(page)[1][5:8] == ["55", "0,917", "15"]
    page = (await browser.get("/reports/purchase-needs?days=60")).text
    assert table(page)[1][5:8] == ["55", "0,917", "22"]
    # the cabinet holds 20 of its minimum 10: not listed, not even for the cabinet alone
    assert table((await browser.get(f"/reports/purchase-needs?warehouse_id={clinic.cabinet}")).text) == []
    rows = sheet_rows((await browser.get("/reports/purchase-needs?format=xlsx")).content)
    assert rows[0][:3] == ("Склад", "Номенклатура", "Единица")
    assert [r[1] for r in rows[1:]] == ["Перчатки", "Шприц 5 мл"] and rows[2][7] == 26
    assert "Потребность в закупке" in (await browser.get("/reports")).text
    # the REST API gives the same rows, with the same parameters and the same 422
    api_rows = await api.get("/api/reports/purchase-needs", days="60")
    assert [(r["nomenclature"], r["minimum"], r["balance"], r["consumed"], r["suggested"], r["supplier"])
            for r in api_rows] == [("Перчатки", "12.000", "10.000", "0", "2", "ООО «Перчатки»"),
                                   ("Шприц 5 мл", "40.000", "25.000", "55.000", "22", "ООО «МедСнаб»")]
    assert await api.get("/api/reports/purchase-needs", warehouse_id=str(clinic.cabinet)) == []
    refused = await api.get("/api/reports/purchase-needs", expect=422, lead_days="366")
    assert refused["code"] == "bad_report_parameters" and "lead_days" in refused["details"]["fields"]
    # the home page lists the goods below their minimum, not a single threshold
    home = (await browser.get("/")).text
    stock = home[home.index('id="h-stock"'):home.index('id="h-failed"')]
    assert "Перчатки · Основной склад: 10 шт (минимум 12)" in stock
    assert "Шприц 5 мл · Основной склад: 25 шт (минимум 40)" in stock and "(2)" in stock


async def test_one_click_makes_an_order_per_supplier_and_then_a_receipt_on_it(browser, api, db, clinic):  # noqa: F811
    gloves = await history(api, clinic)
    page = (await browser.get("/reports/purchase-needs")).text
    assert "Создать заказ поставщику" in page
    keys = [f"{clinic.warehouse}:{gloves}", f"{clinic.warehouse}:{clinic.goods}"]
    r = await browser.post("/reports/purchase-needs/order", [("days", "30"), ("lead_days", "7"), ("row", keys[0]),
                                                             ("row", keys[1]), ("organization_id", clinic.org)])
    assert r.headers["location"] == "/documents/supplier-orders"
    orders = (await api.get("/api/documents/supplier-orders"))["items"]
    made = sorted([await api.get(f"/api/documents/supplier-orders/{o['id']}") for o in orders],
                  key=lambda o: o["supplier_id"])
    assert [(o["supplier_id"], o["warehouse_id"], o["posted"],
             [(ln["nomenclature_id"], ln["quantity"], ln["price"]) for ln in o["lines"]]) for o in made] == [
        (clinic.supplier, clinic.warehouse, False, [(clinic.goods, "26.000", "10.00")]),
        (made[1]["supplier_id"], clinic.warehouse, False, [(gloves, "2.000", "5.00")])]
    # a chosen supplier takes every chosen row, and one order opens its form
    r = await browser.post("/reports/purchase-needs/order", {"days": "30", "lead_days": "7", "row": keys[1],
                                                             "supplier_id": clinic.supplier,
                                                             "organization_id": clinic.org}, status=303)
    doc_id = int(r.headers["location"].rsplit("/", 1)[1])
    form = (await browser.get(r.headers["location"])).text
    assert "Заказ поставщику" in form and "Не проведён" in form
    await api.post(f"/api/documents/supplier-orders/{doc_id}/post")
    filled = await api.get(f"/api/documents/supplier-orders/{doc_id}/based/goods-receipts")
    assert [(ln["nomenclature_id"], ln["quantity"]) for ln in filled["lines"]] == [(clinic.goods, "26.000")]


async def test_bad_input_is_a_russian_4xx_and_writes_nothing(browser, login_as, api, db, clinic):  # noqa: F811
    await history(api, clinic)
    bandage = (await api.item("nomenclature", {"name": "Бинт", "kind": "goods"}))["id"]
    before = await counts(db)
    refused = await minimums(api, bandage, (clinic.warehouse, "-1"), status=422)
    assert refused["details"]["fields"] == {"minimums[0].minimum": "минимальный остаток не может быть отрицательным"}
    refused = await minimums(api, bandage, (clinic.warehouse, "1"), (clinic.warehouse, "2"), status=422)
    assert refused["details"]["fields"] == {"minimums[1].warehouse_id": "для этого склада минимальный остаток уже"
                                                                        " задан"}
    refused = await minimums(api, clinic.service, (clinic.warehouse, "1"), status=422)
    assert "только для товаров" in refused["details"]["fields"]["minimums"]
    refused = await minimums(api, bandage, (999999, "1"), status=422)
    assert list(refused["details"]["fields"]) == ["minimums[0].warehouse_id"]
    assert await counts(db) == before
    for query in ("days=0", "days=99999", "days=abc", "lead_days=-1", "lead_days=366"):
        page = await browser.get(f"/reports/purchase-needs?{query}", status=422)
        assert "Неверные параметры отчёта" in page.text and "целое число от" in page.text
    # an item never received, with no supplier chosen: refused, naming it; nothing written
    await minimums(api, bandage, (clinic.warehouse, "5"))
    before = await counts(db)
    key = f"{clinic.warehouse}:{bandage}"
    page = await browser.post("/reports/purchase-needs/order", {"days": "30", "row": key,
                                                                "organization_id": clinic.org}, status=422)
    assert "поставщик не известен (товар ещё не поступал): «Бинт»" in page.text
    page = await browser.post("/reports/purchase-needs/order", {"days": "30", "organization_id": clinic.org},
                              status=422)
    assert "отметьте товары, которые нужно заказать" in page.text
    await browser.post("/reports/purchase-needs/order", {"days": "0", "row": key}, status=422)
    manager = await login_as("manager")
    assert "Потребность в закупке" in (await manager.get("/reports/purchase-needs")).text  # reads the report
    await manager.post("/reports/purchase-needs/order", {"days": "30", "row": key, "supplier_id": clinic.supplier,
                                                         "organization_id": clinic.org}, status=403)
    assert await counts(db) == before


async def test_a_clients_return_gives_consumption_back(browser, api, clinic):  # noqa: F811
    await api.create("goods-receipts", {"date": ago(20), "supplier_id": clinic.supplier,
                                        "warehouse_id": clinic.warehouse, "lines": [
                                            {"nomenclature_id": clinic.goods, "quantity": "10", "price": "10"}]},
                     post=True)
    sold = await api.create("service-renderings", {
        "date": ago(6), "organization_id": clinic.org, "client_id": clinic.client, "doctor_id": clinic.efimova,
        "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": clinic.goods, "quantity": "9", "price": "25"}]}, post=True)
    filled = await api.get(f"/api/documents/service-renderings/{sold['id']}/based/client-returns")
    filled["lines"][0]["quantity"] = "3"
    await api.create("client-returns", {**filled, "date": ago(5)}, post=True)
    await minimums(api, clinic.goods, (clinic.warehouse, "5"))
    # 10 − 9 + 3 = 4 left, below 5; 9 sold less 3 returned: 6 consumed in 30 days, 0.2 a day
    assert table((await browser.get("/reports/purchase-needs")).text) == [
        ["Основной склад", "Шприц 5 мл", "шт", "5", "4", "6", "0,2", "3", "ООО «МедСнаб»"]]


async def test_the_item_form_edits_the_minimums(browser, api, db, clinic):  # noqa: F811
    form = (await browser.get(f"/catalogs/nomenclature/{clinic.goods}")).text
    assert "Минимальные остатки" in form and 'data-lines="minimums"' in form
    fields = {"name": "Шприц 5 мл", "kind": "goods", "unit": "шт", "article": "", "vat_rate": "none",
              "price": "25,00", "duration_minutes": "", "parent_id": "",
              "minimums-0-warehouse_id": str(clinic.warehouse), "minimums-0-minimum": "40",
              "minimums-1-warehouse_id": str(clinic.cabinet), "minimums-1-minimum": "2,5"}
    await browser.post(f"/catalogs/nomenclature/{clinic.goods}", fields)
    item = await api.get(f"{ITEM}/{clinic.goods}")
    assert [(m["warehouse_id"], m["minimum"]) for m in item["minimums"]] == [(clinic.warehouse, "40.000"),
                                                                             (clinic.cabinet, "2.500")]
    before = await counts(db)
    bad = await browser.post(f"/catalogs/nomenclature/{clinic.goods}", {**fields, "minimums-1-minimum": "-1"},
                             status=422)
    assert "минимальный остаток не может быть отрицательным" in bad.text
    assert await counts(db) == before


def test_the_suggestion_and_the_parameters_on_plain_data():
    assert purchase_needs.suggested(D("40"), D("25"), D("45"), 30, 7) == D("26")
    assert purchase_needs.suggested(D("10"), D("9.5"), D("0"), 30, 7) == D("1")  # rounded up to a whole unit
    assert purchase_needs.suggested(D("10"), D("0"), D("3"), 30, 0) == D("10")
    assert purchase_needs.parameters(None, "", None) == purchase_needs.Parameters(30, 7, None)
    for days, lead in (("0", "7"), ("3651", "7"), ("1.5", "7"), ("30", "-1"), ("30", "366")):
        with pytest.raises(ValidationError) as refused:
            purchase_needs.parameters(days, lead, None)
        assert refused.value.code == "bad_report_parameters"
    row = {"key": "1:7", "warehouse_id": 1, "nomenclature_id": 7, "nomenclature": "Бинт", "suggested": D("3"),
           "supplier_id": None, "price": None}
    [draft] = purchase_needs.order_drafts([row], ["1:7"], 4, 2)
    assert (draft["supplier_id"], draft["lines"]) == (4, [{"nomenclature_id": 7, "quantity": "3", "price": "0.00"}])
    with pytest.raises(ValidationError) as refused:
        purchase_needs.order_drafts([row], ["1:7"], None, None)
    assert set(refused.value.details["fields"]) == {"supplier_id", "organization_id"}
