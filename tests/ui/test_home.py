"""Главное: today's appointments, unpaid invoices, goods below their minimum stock and failed
exchange events, each a link."""

from __future__ import annotations

import datetime as dt

from tests.ui.conftest import schedule_month


async def test_the_home_page_lists_what_needs_attention_today(browser, api, clinic):
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=3))).date().isoformat()
    await schedule_month(api, clinic, today)
    request = await api.create("requests", {"client_id": clinic.client, "doctor_id": clinic.ishaeva,
                                            "starts_at": f"{today}T08:30:00"}, post=True)
    invoice = await api.create("invoices", {"organization_id": clinic.org, "client_id": clinic.supplier,
                                            "bank_account_id": clinic.account, "lines": [
                                                {"nomenclature_id": clinic.service, "quantity": "2",
                                                 "price": "1500"}]}, post=True)
    await api.create("goods-receipts", {"supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
                                        "lines": [{"nomenclature_id": clinic.goods, "quantity": "3", "price": "25"}]},
                     post=True)
    await api.patch(f"/api/catalogs/nomenclature/{clinic.goods}",  # its minimum: 3 in stock is below it
                    {"minimums": [{"warehouse_id": clinic.warehouse, "minimum": "5"}]})
    page = (await browser.get("/")).text
    today_card = page[page.index('id="h-today"'):page.index('id="h-unpaid"')]
    assert f'href="/documents/requests/{request["id"]}"' in today_card
    assert "08:30 · Ишаева М.И. · Иванов Иван Иванович" in today_card and "Записан" in today_card
    unpaid = page[page.index('id="h-unpaid"'):page.index('id="h-stock"')]
    assert f'href="/documents/invoices/{invoice["id"]}"' in unpaid and "ООО «МедСнаб»" in unpaid
    assert "3 000,00" in unpaid.replace("\xa0", " ") and "Не оплачен" in unpaid
    stock = page[page.index('id="h-stock"'):page.index('id="h-failed"')]
    assert "Шприц 5 мл · Основной склад: 3 шт (минимум 5)" in stock
    assert f"/reports/purchase-needs?warehouse_id={clinic.warehouse}" in stock
    assert 'href="/integrations/exchange-log?state=failed"' in page
