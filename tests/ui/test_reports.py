"""Reports: stock balance, settlements, sales with a chart, invoices by
status — each also as an Excel workbook with the same filters."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.ui.conftest import DAY, schedule_month


def sheet_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


async def trade(api, clinic) -> dict:
    await api.create("goods-receipts", {"date": "2030-01-10T09:00:00", "supplier_id": clinic.supplier,
                                        "warehouse_id": clinic.warehouse, "lines": [
                                            {"nomenclature_id": clinic.goods, "quantity": "10", "price": "20"}]},
                     post=True)
    await schedule_month(api, clinic)
    await api.create("service-renderings", {
        "date": f"{DAY}T10:00:00", "organization_id": clinic.org, "client_id": clinic.client,
        "doctor_id": clinic.efimova, "warehouse_id": clinic.warehouse, "lines": [
            {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"},
            {"nomenclature_id": clinic.goods, "quantity": "2", "price": "25"}]}, post=True)
    await api.create("service-renderings", {
        "date": f"{DAY}T12:00:00", "organization_id": clinic.org, "client_id": clinic.supplier,
        "doctor_id": clinic.ishaeva, "lines": [{"nomenclature_id": clinic.service, "quantity": "2",
                                                "price": "1000"}]}, post=True)
    invoice = await api.create("invoices", {"date": f"{DAY}T13:00:00", "organization_id": clinic.org,
                                            "bank_account_id": clinic.account, "client_id": clinic.client,
                                            "lines": [{"nomenclature_id": clinic.service, "quantity": "1",
                                                       "price": "1500"}]}, post=True)
    await api.create("payments", {"date": f"{DAY}T14:00:00", "organization_id": clinic.org,
                                  "client_id": clinic.client, "amount": "500", "invoice_id": invoice["id"],
                                  "bank_account_id": clinic.account},
                     post=True)
    return invoice


async def test_stock_balance_on_a_date_and_by_warehouse(browser, api, clinic):
    await trade(api, clinic)
    page = (await browser.get(f"/reports/stock?date={DAY}&warehouse_id={clinic.warehouse}")).text
    assert "Остатки товаров на 14.01.2030" in page
    row = page[page.index("Шприц 5 мл"):][:400]
    assert "8" in row and "160,00" in row  # 10 − 2 at a moving average of 20.00
    before = (await browser.get("/reports/stock?date=2030-01-09")).text
    assert "Остатков нет" in before
    rows = sheet_rows((await browser.get(f"/reports/stock?date={DAY}&format=xlsx")).content)
    assert rows[0] == ("Склад", "Номенклатура", "Количество", "Себестоимость", "В резерве", "Доступно")
    assert rows[1][:2] == ("Основной склад", "Шприц 5 мл") and float(rows[1][2]) == 8 and float(rows[1][3]) == 160
    assert float(rows[1][4]) == 0 and float(rows[1][5]) == 8, "nothing reserved: all 8 are available"


async def test_settlements_by_client(browser, api, clinic):
    await trade(api, clinic)
    page = (await browser.get(f"/reports/settlements?date={DAY}&client_id={clinic.client}")).text
    assert "Иванов Иван Иванович" in page and "ООО «МедСнаб»" not in page[page.index("<table"):]
    assert "1 050,00" in page.replace("\xa0", " ")  # 1 550 rendered − 500 paid
    rows = sheet_rows((await browser.get(f"/reports/settlements?date={DAY}&format=xlsx")).content)
    debts = {r[0]: float(r[2]) for r in rows[1:-1]}
    assert debts == {"Иванов Иван Иванович": 1050.0, "ООО «МедСнаб»": 2000.0}
    assert rows[-1][0] == "Итого" and float(rows[-1][2]) == 3050.0


async def test_sales_grouped_by_doctor_service_or_client_with_a_chart(browser, api, clinic):
    await trade(api, clinic)
    period = f"start={DAY}&end={DAY}"
    page = (await browser.get(f"/reports/sales?{period}&group=doctor")).text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'data-chart="bars"' in page
    assert 'data-label="Ишаева М.И." data-value="2000.00"' in page
    assert 'data-label="Ефимова Е.В." data-value="1550.00"' in page
    assert page.index('data-label="Ишаева М.И."') < page.index('data-label="Ефимова Е.В."')  # biggest first
    by_service = (await browser.get(f"/reports/sales?{period}&group=service")).text
    assert 'data-label="Приём терапевта" data-value="3500.00"' in by_service
    assert 'data-label="Шприц 5 мл" data-value="50.00"' in by_service
    rows = sheet_rows((await browser.get(f"/reports/sales?{period}&group=client&format=xlsx")).content)
    assert rows[0] == ("Клиент", "Количество", "Сумма", "НДС", "Себестоимость", "Маржа", "Маржа, %")
    assert {r[0]: float(r[2]) for r in rows[1:-1]} == {"ООО «МедСнаб»": 2000.0, "Иванов Иван Иванович": 1550.0}
    empty = (await browser.get("/reports/sales?start=2031-01-01&end=2031-01-31")).text
    assert "Продаж за период нет" in empty


async def test_invoices_by_status(browser, api, clinic):
    invoice = await trade(api, clinic)
    page = (await browser.get("/reports/invoices?status=partially_paid")).text
    assert f'href="/documents/invoices/{invoice["id"]}"' in page and "Оплачен частично" in page
    assert "1 000,00" in page.replace("\xa0", " ")
    assert "Счетов нет" in (await browser.get("/reports/invoices?status=paid")).text
    rows = sheet_rows((await browser.get("/reports/invoices?format=xlsx")).content)
    assert rows[0][-1] == "Статус" and rows[1][-1] == "Оплачен частично" and float(rows[1][5]) == 1000.0
