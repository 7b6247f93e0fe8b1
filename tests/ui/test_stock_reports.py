"""Issue 16 point 8: «Оборотная ведомость по товарам» (opening, receipts, expenses and closing per
item and warehouse for a period, with the unit; quantities of different units are never added up)
and «История товара» (every movement of an item with its document), drilled down from the first."""

from __future__ import annotations

from tests.ui.test_reports import sheet_rows


async def _history(api, clinic) -> dict:
    async def receipt(item: int, quantity: str, price: str, day: str) -> dict:
        return await api.create("goods-receipts", {
            "date": f"2030-01-{day}T09:00:00", "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
            "lines": [{"nomenclature_id": item, "quantity": quantity, "price": price}]}, post=True)

    saline = await api.item("nomenclature", {"name": "Физраствор", "kind": "goods", "unit": "мл", "price": "1"})
    first = await receipt(clinic.goods, "10", "20", "05")  # before the period: the opening balance
    second = await receipt(clinic.goods, "5", "26", "12")
    await receipt(saline["id"], "500", "0.10", "12")
    off = await api.create("stock-write-offs", {
        "date": "2030-01-14T10:00:00", "organization_id": clinic.org, "warehouse_id": clinic.warehouse,
        "reason": "Бой", "lines": [{"nomenclature_id": clinic.goods, "quantity": "3"}]}, post=True)
    return {"saline": saline["id"], "first": first, "second": second, "off": off}


async def test_the_stock_turnover_shows_each_stage_with_its_unit_and_totals_per_unit(browser, api, clinic):
    await _history(api, clinic)
    period = "start=2030-01-10&end=2030-01-31"
    page = (await browser.get(f"/reports/stock-turnover?{period}&warehouse_id={clinic.warehouse}")).text
    page = page.replace("\xa0", " ")
    assert "Оборотная ведомость по товарам с 10.01.2030 по 31.01.2030" in page
    rows = sheet_rows((await browser.get(f"/reports/stock-turnover?{period}&format=xlsx")).content)
    assert rows[0][:4] == ("Склад", "Номенклатура", "Единица", "Начальный остаток: Количество")
    body = {r[1]: tuple(float(v) for v in r[3:]) for r in rows[1:] if r[0] != "Итого"}
    # syringes: 10 at 20.00 before, 5 at 26.00 in, 3 out at the average 22.00
    assert body["Шприц 5 мл"] == (10, 200, 5, 130, 3, 66, 12, 264)
    assert body["Физраствор"] == (0, 0, 500, 50, 0, 0, 500, 50)
    # one totals row per unit: 12 шт and 500 мл are never one number
    totals = {r[2]: float(r[9]) for r in rows[1:] if r[0] == "Итого"}
    assert totals == {"шт": 12.0, "мл": 500.0}
    assert 'data-unit-total="шт"' in page and 'data-unit-total="мл"' in page
    # the item's row drills down into its history
    link = f'/reports/item-history?nomenclature_id={clinic.goods}&amp;warehouse_id={clinic.warehouse}'
    assert link in page


async def test_the_item_history_lists_every_movement_with_its_document(browser, api, clinic):
    made = await _history(api, clinic)
    page = (await browser.get(f"/reports/item-history?nomenclature_id={clinic.goods}&warehouse_id={clinic.warehouse}"
                              "&start=2030-01-10&end=2030-01-31")).text.replace("\xa0", " ")
    assert "История товара: Шприц 5 мл" in page
    assert "Начальный остаток: 10 · 200,00" in page and "Конечный остаток: 12 · 264,00" in page
    assert f'href="/documents/goods-receipts/{made["second"]["id"]}"' in page
    assert f'href="/documents/stock-write-offs/{made["off"]["id"]}"' in page
    assert f'href="/documents/goods-receipts/{made["first"]["id"]}"' not in page  # before the period
    rows = sheet_rows((await browser.get(f"/reports/item-history?nomenclature_id={clinic.goods}"
                                         "&start=2030-01-10&end=2030-01-31&format=xlsx")).content)
    assert rows[0] == ("Дата", "Документ", "Склад", "Приход", "Расход", "Себестоимость", "Остаток", "Сумма остатка")
    assert [(r[3], r[4], float(r[5]), float(r[6]), float(r[7])) for r in rows[1:]] == [
        (5, None, 130.0, 15.0, 330.0), (None, 3, -66.0, 12.0, 264.0)]
    assert rows[1][1].startswith("Поступление товаров №")
    empty = (await browser.get("/reports/item-history")).text
    assert "Выберите номенклатуру" in empty
