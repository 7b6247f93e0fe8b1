"""Document forms: header and lines, the command bar, field errors next to
the field, a posting error with its full list, based-on, movements and the
subordination structure."""

from __future__ import annotations

import re

from tests.ui.conftest import DAY, schedule_month


def receipt_form(clinic, quantity: str = "10", price: str = "11.50") -> dict:
    return {"date": "2030-01-10T09:00", "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
            "comment": "", "lines-0-nomenclature_id": clinic.goods, "lines-0-quantity": quantity,
            "lines-0-price": price, "lines-1-nomenclature_id": "", "lines-1-quantity": "", "lines-1-price": ""}


async def test_a_goods_receipt_is_posted_from_its_form(browser, api, clinic):
    page = (await browser.get("/documents/goods-receipts/new")).text
    for label in ("Поставщик", "Склад", "Номенклатура", "Количество", "Цена", "Провести и закрыть", "Записать"):
        assert label in page
    r = await browser.post("/documents/goods-receipts/new", {**receipt_form(clinic), "action": "post"})
    doc_url = r.headers["location"].split("?")[0]
    doc = (await browser.get(r.headers["location"])).text
    assert "Документ проведён" in doc and 'data-state="posted"' in doc
    assert "Шприц 5 мл" in doc and "115,00" in doc  # 10 × 11.50, shown as a Russian number
    stock = await api.balance("stock", warehouse_id=clinic.warehouse)
    assert [(s["quantity"], s["cost"]) for s in stock] == [("10.000", "115.00")]
    moves = (await browser.get(doc_url + "/movements", headers={"HX-Request": "true"})).text
    assert "Товары на складах" in moves and "Приход" in moves and "Шприц 5 мл" in moves and "115,00" in moves


async def test_field_errors_appear_next_to_the_field_and_nothing_is_written(browser, clinic, db):
    form = {**receipt_form(clinic, quantity="-2", price="abc"), "supplier_id": "", "action": "post"}
    r = await browser.post("/documents/goods-receipts/new", form, status=422)
    assert "Документ не записан: исправьте отмеченные поля" in r.text
    supplier = r.text[r.text.index('id="h-supplier_id"'):][:900]
    assert "обязательное поле не заполнено" in supplier
    price_cell = r.text[r.text.index('name="lines-0-price"'):][:600]
    assert "ожидается число" in price_cell
    assert 'value="abc"' in r.text  # the form comes back as typed
    assert await db.fetchval("SELECT count(*) FROM doc_goods_receipts") == 0


async def test_a_stock_shortage_shows_its_full_list_in_names(browser, api, clinic, db):
    await api.create("goods-receipts", {"date": "2030-01-09T09:00:00", "supplier_id": clinic.supplier,
                                        "warehouse_id": clinic.warehouse,
                                        "lines": [{"nomenclature_id": clinic.goods, "quantity": "2", "price": "25"}]},
                     post=True)
    form = {"date": "2030-01-10T10:00", "organization_id": clinic.org, "client_id": clinic.client,
            "doctor_id": clinic.efimova, "warehouse_id": clinic.warehouse, "comment": "",
            "lines-0-nomenclature_id": clinic.goods, "lines-0-quantity": "5", "lines-0-price": "25",
            "lines-0-discount_percent": "", "lines-0-discount_amount": "", "lines-0-note": "", "action": "post"}
    r = await browser.post("/documents/service-renderings/new", form, status=409)
    assert "Документ не проведён: недостаточно остатков" in r.text
    assert re.search(r"Основной склад, Шприц 5 мл: доступно 2, требуется 5", r.text)
    assert await db.fetchval("SELECT count(*) FROM doc_service_renderings") == 0


async def test_a_back_dated_sale_short_at_a_past_moment_shows_the_moment(browser, api, clinic, db):
    for day, quantity in (("2030-01-09", "2"), ("2030-01-20", "10")):
        await api.create("goods-receipts", {"date": f"{day}T09:00:00", "supplier_id": clinic.supplier,
                                            "warehouse_id": clinic.warehouse, "lines": [
                                                {"nomenclature_id": clinic.goods, "quantity": quantity,
                                                 "price": "25"}]}, post=True)
    # 12 are in stock now, but on 10.01 there were only the 2 received on 09.01
    form = {"date": "2030-01-10T10:00", "organization_id": clinic.org, "client_id": clinic.client,
            "doctor_id": clinic.efimova, "warehouse_id": clinic.warehouse, "comment": "",
            "lines-0-nomenclature_id": clinic.goods, "lines-0-quantity": "5", "lines-0-price": "25",
            "lines-0-discount_percent": "", "lines-0-discount_amount": "", "lines-0-note": "", "action": "post"}
    r = await browser.post("/documents/service-renderings/new", form, status=409)
    assert "Документ не проведён: недостаточно остатков" in r.text
    assert re.search(r"Основной склад, Шприц 5 мл: на 10\.01\.2030 10:00 не хватает 3 \(доступно 2, требуется 5\)",
                     r.text)
    assert await db.fetchval("SELECT count(*) FROM doc_service_renderings") == 0


async def test_service_rendering_based_on_a_request_then_movements_and_structure(browser, api, clinic):
    await schedule_month(api, clinic)
    request = await api.create("requests", {"client_id": clinic.client, "doctor_id": clinic.efimova,
                                            "starts_at": f"{DAY}T09:00:00",
                                            "lines": [{"nomenclature_id": clinic.service, "quantity": "1",
                                                       "price": "1500"}]}, post=True)
    page = (await browser.get(f"/documents/requests/{request['id']}")).text
    assert "Создать на основании" in page
    assert f"/documents/service-renderings/new?based_on_kind=requests&amp;based_on_id={request['id']}" in page
    filled = (await browser.get(f"/documents/service-renderings/new?based_on_kind=requests"
                                f"&based_on_id={request['id']}")).text
    assert "Основание:" in filled and "Приём терапевта" in filled and "Иванов Иван Иванович" in filled
    form = {"date": f"{DAY}T10:00", "organization_id": clinic.org, "client_id": clinic.client,
            "doctor_id": clinic.efimova, "warehouse_id": clinic.warehouse, "comment": "",
            "based_on_kind": "requests", "based_on_id": request["id"],
            "lines-0-nomenclature_id": clinic.service, "lines-0-quantity": "1", "lines-0-price": "1500",
            "lines-0-discount_percent": "10", "lines-0-discount_amount": "", "lines-0-note": "", "action": "post"}
    r = await browser.post("/documents/service-renderings/new", form)
    url = r.headers["location"].split("?")[0]
    doc = (await browser.get(url)).text
    assert "1 350,00" in doc.replace("\xa0", " ")  # 1500 − 10 %, with a non-breaking space
    moves = (await browser.get(url + "/movements")).text
    for register in ("Продажи", "Взаиморасчёты с клиентами", "Товары на складах"):
        assert register in moves
    tree = (await browser.get(url + "/structure", headers={"HX-Request": "true"})).text
    assert "Структура подчинённости" in tree
    assert tree.index("Заявка") < tree.index("Оказание услуг")  # the request is the root, the rendering below it
    assert 'aria-current="true"' in tree


async def test_unpost_and_mark_for_deletion_from_the_command_bar(browser, api, clinic):
    receipt = await api.create("goods-receipts", {"date": "2030-01-09T09:00:00", "supplier_id": clinic.supplier,
                                                  "warehouse_id": clinic.warehouse, "lines": [
                                                      {"nomenclature_id": clinic.goods, "quantity": "1",
                                                       "price": "25"}]}, post=True)
    url = f"/documents/goods-receipts/{receipt['id']}"
    await browser.post(url, {"action": "mark"}, status=409)  # a posted document is not marked
    r = await browser.post(url, {"action": "unpost"})
    assert "Проведение отменено" in (await browser.get(r.headers["location"])).text
    r = await browser.post(url, {"action": "mark"})
    page = (await browser.get(r.headers["location"])).text
    assert "Документ помечен на удаление" in page and "Снять пометку удаления" in page
    listing = (await browser.get("/documents/goods-receipts")).text
    assert 'data-state="marked"' in listing


async def test_post_and_close_returns_to_the_list(browser, clinic):
    r = await browser.post("/documents/goods-receipts/new", {**receipt_form(clinic), "action": "post_close"})
    assert r.headers["location"] == "/documents/goods-receipts"
    assert 'data-state="posted"' in (await browser.get("/documents/goods-receipts")).text


async def test_the_form_asks_before_leaving_with_unsaved_changes_and_has_live_totals(browser):
    page = (await browser.get("/documents/service-renderings/new")).text
    assert "data-dirty-guard" in page and "data-total" in page and "data-line-template" in page
    script = (await browser.get("/static/ui/app.js")).text
    assert "beforeunload" in script and "recomputeTotals" in script


async def test_a_catalog_item_is_created_changed_and_a_predefined_one_is_never_marked(browser, db):
    r = await browser.post("/catalogs/visit-statuses/new", {"name": "Перенесён", "color": "#aa00ff",
                                                            "sort_order": "4"})
    item = (await browser.get(r.headers["location"])).text
    assert "Элемент записан" in item and 'value="#aa00ff"' in item
    booked = await db.fetchval("SELECT id FROM cat_visit_statuses WHERE predefined = 'booked'")
    page = (await browser.get(f"/catalogs/visit-statuses/{booked}")).text
    assert "Предопределённый" in page and 'value="mark"' not in page
    r = await browser.post(f"/catalogs/visit-statuses/{booked}", {"action": "mark"}, status=409)
    assert "Предопределённый элемент нельзя пометить на удаление" in r.text
    await browser.post(f"/catalogs/visit-statuses/{booked}", {"name": "Записан", "color": "#123456",
                                                              "sort_order": "1"})
    assert await db.fetchval("SELECT color FROM cat_visit_statuses WHERE id = $1", booked) == "#123456"
    bad = await browser.post("/catalogs/clients/new", {"name": "", "kind": "person", "inn": "123"}, status=422)
    assert "наименование не заполнено" in bad.text and "ИНН физического лица состоит из 12 цифр" in bad.text


async def test_reference_pickers_search_as_you_type(browser, clinic):
    r = await browser.get("/lookup/clients?q=иван", headers={"HX-Request": "true"})
    assert f'data-id="{clinic.client}"' in r.text and "Иванов Иван Иванович" in r.text
    assert "МедСнаб" not in r.text
    r = await browser.get("/lookup/nomenclature?q=шприц")
    assert "Шприц 5 мл" in r.text


async def test_a_new_document_starts_with_the_default_organization_and_its_bank_account(browser, clinic):
    page = (await browser.get("/documents/invoices/new")).text
    assert f'name="organization_id" value="{clinic.org}"' in page and 'value="Клиника"' in page
    assert f'name="bank_account_id" value="{clinic.account}"' in page and 'value="Основной"' in page
