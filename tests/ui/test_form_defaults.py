"""New documents start with the obvious (the only warehouse), and money is
shown and typed the Russian way («1 500,00») in every editable money field."""

from decimal import Decimal

from tests.ui.test_forms import receipt_form


async def test_a_new_document_gets_the_only_warehouse_and_not_one_of_two(browser, api, clinic):
    for kind in ("goods-receipts", "service-renderings"):
        page = (await browser.get(f"/documents/{kind}/new")).text
        assert f'name="warehouse_id" value="{clinic.warehouse}"' in page and 'value="Основной склад"' in page
    await api.item("warehouses", {"name": "Аптечный склад"})
    page = (await browser.get("/documents/goods-receipts/new")).text
    assert 'name="warehouse_id" value=""' in page


async def test_money_fields_show_and_accept_russian_formatting(browser, api, clinic):
    for typed in ("1 500,00", "1\u00a0500,5", "1,500.25"):
        r = await browser.post("/documents/goods-receipts/new",
                               {**receipt_form(clinic, quantity="2", price=typed), "action": "write"})
        doc_id = int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])
        stored = await api.get(f"/api/documents/goods-receipts/{doc_id}")
        assert Decimal(stored["lines"][0]["price"]) == Decimal(typed.replace("\u00a0", "").replace(" ", "")
                                                                .replace(",", "" if "." in typed else "."))
        page = (await browser.get(f"/documents/goods-receipts/{doc_id}")).text
        shown = {"1 500,00": "1 500,00", "1\u00a0500,5": "1 500,50", "1,500.25": "1 500,25"}[typed]
        assert f'name="lines-0-price" value="{shown}"' in page
