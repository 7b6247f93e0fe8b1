"""Issue 16 point 9: the print forms of «Заказ поставщику» (the supplier, the organization that
orders, the goods with prices and totals, who orders), «Возврат от клиента» (the organization,
the client, the reason, what comes back at the prices it was sold at, both signatures), and the
unified forms ТОРГ-16 «Акт о списании товаров» of a write-off and ТОРГ-13 «Накладная на внутреннее
перемещение» of a transfer (the warehouses, the units with their ОКЕИ codes, the cost each line's
posting took, the total in words, the signatures; a draft prints without a cost), in the «Печать ▾»
menu of their forms."""

import re
from decimal import Decimal as D

from tests.printing.conftest import pdf_text, rendering_data
from tests.ui.conftest import browser  # noqa: F401  (the forms' «Печать ▾» menu)


async def test_a_supplier_order_prints_the_supplier_the_buyer_the_goods_and_who_orders(api, clinic, browser):  # noqa: F811
    warehouse = await api.item("warehouses", {"name": "Основной склад"})
    order = await api.create("supplier-orders", {
        "date": "2021-12-20T10:00:00", "organization_id": clinic.org, "supplier_id": clinic.company,
        "warehouse_id": warehouse["id"], "lines": [{"nomenclature_id": clinic.goods, "quantity": "100",
                                                    "price": "11.00"}]}, post=True)
    text = pdf_text(await api.pdf(f"/api/documents/supplier-orders/{order['id']}/print/supplier-order"))
    assert "Заказ поставщику № 1 от 20 декабря 2021 г." in text
    assert "Поставщик: ООО «МедСнаб», ИНН 7812345675, КПП 781201001" in text
    assert ("Покупатель: ООО «Клиника Здоровье», ИНН 7707083893, КПП 773601001, "
            "191000, Санкт-Петербург, Невский пр., д. 1") in text
    assert "1 Шприц 5 мл 100 шт 11,00 1 100,00" in text
    assert "Итого: 1 100,00" in text and "Всего к оплате: 1 100,00" in text
    assert "Всего наименований 1, на сумму 1 100,00 руб." in text
    assert "Одна тысяча сто рублей 00 копеек" in text
    assert re.search(r"Заказал .*Смирнов А\.А\.", text)
    page = (await browser.get(f"/documents/supplier-orders/{order['id']}")).text
    assert f"/print/supplier-orders/{order['id']}/supplier-order" in page


async def test_a_client_return_prints_the_client_the_reason_and_what_comes_back(api, clinic, browser):  # noqa: F811
    warehouse = await api.item("warehouses", {"name": "Основной склад"})
    await api.create("goods-receipts", {"date": "2021-12-01T09:00:00", "supplier_id": clinic.company,
                                        "warehouse_id": warehouse["id"], "organization_id": clinic.org,
                                        "lines": [{"nomenclature_id": clinic.goods, "quantity": "5",
                                                   "price": "10.00"}]}, post=True)
    sold = await api.create("service-renderings", rendering_data(
        clinic, (clinic.service, "1", "1500"), (clinic.goods, "3", "25"), warehouse_id=warehouse["id"]), post=True)
    filled = await api.get(f"/api/documents/service-renderings/{sold['id']}/based/client-returns")
    goods = [ln for ln in filled["lines"] if ln["nomenclature_id"] == clinic.goods]
    back = await api.create("client-returns", {**filled, "date": "2021-12-23T10:00:00", "reason": "Не подошёл размер",
                                               "lines": [{**goods[0], "quantity": "2"}]}, post=True)
    text = pdf_text(await api.pdf(f"/api/documents/client-returns/{back['id']}/print/client-return"))
    assert "Возврат от клиента № 1 от 23 декабря 2021 г." in text
    assert "Организация: ООО «Клиника Здоровье», ИНН 7707083893" in text
    assert "Клиент: Иванов Иван Иванович" in text
    assert "Причина возврата: Не подошёл размер" in text
    assert "1 Шприц 5 мл 2 шт 25,00 50,00" in text
    assert "Всего к возврату: 50,00" in text and "Всего возвращено 1, на сумму 50,00 руб." in text
    assert re.search(r"ПРИНЯЛ .*Смирнов А\.А\.", text) and re.search(r"СДАЛ .*Иванов Иван Иванович", text)
    page = (await browser.get(f"/documents/client-returns/{back['id']}")).text
    assert f"/print/client-returns/{back['id']}/client-return" in page


# -- ТОРГ-16 and ТОРГ-13 (issue 16 point 9): the cost each line prints is the one its posting took --------------

CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
WATERMARK = '<div class="watermark">Не проведён</div>'
BOXES = re.compile(r'<td class="torg-box">(.*?)</td>')


def row(html: str, name: str) -> list[str]:
    """The cells of the goods line of ``name``, from its number to its sum."""
    start = html.rindex("<tr>", 0, html.index(f"<td>{name}</td>"))
    return [c.strip() for c in CELL.findall(html[start:html.index("</tr>", start)])]


async def preview(api, kind: str, doc_id: int, form: str) -> str:
    return (await api.raw("GET", f"/api/documents/{kind}/{doc_id}/print/{form}", params={"format": "html"})).text


async def receive(api, clinic, warehouse: int, *lines: tuple[int, str, str], date: str = "2021-12-01T09:00:00"):
    await api.create("goods-receipts", {"date": date, "supplier_id": clinic.company, "warehouse_id": warehouse,
                                        "organization_id": clinic.org,
                                        "lines": [{"nomenclature_id": n, "quantity": q, "price": p}
                                                  for n, q, p in lines]}, post=True)


def moving(clinic, warehouse: int, *lines: tuple[int, str], **header) -> dict:
    return {"date": "2021-12-10T12:00:00", "organization_id": clinic.org, "warehouse_id": warehouse, **header,
            "lines": [{"nomenclature_id": n, "quantity": q} for n, q in lines]}


async def test_a_write_off_prints_torg16_at_the_cost_its_posting_took(api, clinic, browser, db):  # noqa: F811
    warehouse = (await api.item("warehouses", {"name": "Основной склад"}))["id"]
    antiseptic = await api.item("nomenclature", {"name": "Антисептик 100 мл", "kind": "goods", "unit": "фл",
                                                 "article": "АС-100", "price": "99.00"})
    syringe_code = (await api.get(f"/api/catalogs/nomenclature/{clinic.goods}"))["code"]
    await receive(api, clinic, warehouse, (clinic.goods, "10", "11.00"), (antiseptic["id"], "1", "3.00"),
                  (antiseptic["id"], "2", "3.50"))
    await receive(api, clinic, warehouse, (clinic.goods, "10", "14.00"), date="2021-12-02T09:00:00")
    # 20 syringes for 250.00 (12.50 each); 3 bottles for 10.00, two of which take 6.67
    act = await api.create("stock-write-offs", moving(clinic, warehouse, (clinic.goods, "4"),
                                                      (antiseptic["id"], "2"), reason="Истёк срок годности"),
                           post=True)
    # a later, dearer receipt moves the average: the act keeps what was written off
    await receive(api, clinic, warehouse, (clinic.goods, "10", "20.00"), date="2021-12-15T09:00:00")

    html = await preview(api, "stock-write-offs", act["id"], "torg16")
    for text in ("Унифицированная форма № ТОРГ-16", "Форма по ОКУД</td><td>0330216", "АКТ О СПИСАНИИ ТОВАРОВ",
                 "ООО «Клиника Здоровье», ИНН 7707083893, КПП 773601001", "Основной склад",
                 "Причина списания</td><td class=\"value\">Истёк срок годности", "УТВЕРЖДАЮ", "Смирнов А.А.",
                 "Председатель комиссии", "Члены комиссии", "Материально ответственное лицо", "код по ОКЕИ"):
        assert text in html, text
    assert BOXES.findall(html) == ["1", "10.12.2021"]  # «Номер документа», «Дата составления»
    assert row(html, "Шприц 5 мл") == ["1", "Шприц 5 мл", syringe_code, "шт", "796", "4", "12,50", "50,00"]
    assert row(html, "Антисептик 100 мл") == ["2", "Антисептик 100 мл", "АС-100", "фл", "", "2", "3,34", "6,67"]
    assert "Всего по акту списано 2 наименований товаров на сумму 56,67 руб." in html
    assert "Пятьдесят шесть рублей 67 копеек" in html
    assert WATERMARK not in html and "определяются при проведении" not in html

    text = pdf_text(await api.pdf(f"/api/documents/stock-write-offs/{act['id']}/print/torg16"))
    assert "ТОРГ-16" in text and "0330216" in text and "АКТ О СПИСАНИИ ТОВАРОВ" in text
    assert f"1 Шприц 5 мл {syringe_code} шт 796 4 12,50 50,00" in text
    assert "2 Антисептик 100 мл АС-100 фл 2 3,34 6,67" in text and "Итого 56,67" in text
    assert "Пятьдесят шесть рублей 67 копеек" in text
    stored = await db.fetchrow("SELECT file_name, document_type FROM generated_documents ORDER BY id DESC LIMIT 1")
    assert dict(stored) == {"file_name": "Акт о списании товаров № 1 от 10.12.2021.pdf",
                            "document_type": "Акт о списании товаров"}

    page = (await browser.get(f"/documents/stock-write-offs/{act['id']}")).text
    assert "Акт о списании товаров" in page and f"/print/stock-write-offs/{act['id']}/torg16" in page
    wrong = await api.get(f"/api/documents/stock-write-offs/{act['id']}/print/torg13", status=422)
    assert wrong["code"] == "unknown_print_form" and "(есть: torg16)" in wrong["message"]


async def test_a_transfer_prints_torg13_with_both_warehouses_and_the_cost_that_moved(api, clinic, browser):  # noqa: F811
    source = (await api.item("warehouses", {"name": "Основной склад"}))["id"]
    target = (await api.item("warehouses", {"name": "Процедурный кабинет"}))["id"]
    gloves = await api.item("nomenclature", {"name": "Перчатки", "kind": "goods", "unit": "пар", "price": "15"})
    await receive(api, clinic, source, (clinic.goods, "1", "3.00"), (clinic.goods, "2", "3.50"),
                  (gloves["id"], "5", "7.00"))
    moved = await api.create("stock-transfers", moving(clinic, source, (clinic.goods, "1"),
                                                       (gloves["id"], "5"), warehouse_to_id=target), post=True)
    html = await preview(api, "stock-transfers", moved["id"], "torg13")
    for text in ("Унифицированная форма № ТОРГ-13", "Форма по ОКУД</td><td>0330213",
                 "НАКЛАДНАЯ НА ВНУТРЕННЕЕ ПЕРЕМЕЩЕНИЕ, ПЕРЕДАЧУ ТОВАРОВ, ТАРЫ", "ООО «Клиника Здоровье»",
                 "Отправитель (структурное подразделение)", "Получатель (структурное подразделение)",
                 "Отпустил", "Получил"):
        assert text in html, text
    assert BOXES.findall(html) == ["1", "10.12.2021", "Основной склад", "Процедурный кабинет"]
    assert row(html, "Шприц 5 мл")[3:] == ["шт", "796", "1", "3,33", "3,33"]  # a third of 10.00
    assert row(html, "Перчатки")[3:] == ["пар", "715", "5", "7,00", "35,00"]
    assert "Всего отпущено 2 наименований на сумму 38,33 руб." in html
    assert "Тридцать восемь рублей 33 копейки" in html

    text = pdf_text(await api.pdf(f"/api/documents/stock-transfers/{moved['id']}/print/torg13"))
    assert "ТОРГ-13" in text and "0330213" in text and "Основной склад" in text and "Процедурный кабинет" in text
    assert "шт 796 1 3,33 3,33" in text and "пар 715 5 7,00 35,00" in text and "Итого 38,33" in text
    assert "Тридцать восемь рублей 33 копейки" in text and "Отпустил" in text and "Получил" in text
    page = (await browser.get(f"/documents/stock-transfers/{moved['id']}")).text
    assert "Накладная на внутреннее перемещение" in page and f"/print/stock-transfers/{moved['id']}/torg13" in page


async def test_an_unposted_document_prints_its_quantities_without_a_cost(api, clinic):
    """A draft has written off nothing: the cost is the posting's to take, so the price and sum stay empty
    (the draft's own «Себестоимость» column is only an estimate), and they appear once it is posted."""
    source = (await api.item("warehouses", {"name": "Основной склад"}))["id"]
    target = (await api.item("warehouses", {"name": "Процедурный кабинет"}))["id"]
    await receive(api, clinic, source, (clinic.goods, "10", "12.50"))
    draft = await api.create("stock-write-offs", moving(clinic, source, (clinic.goods, "4"),
                                                        reason="Бой"))
    assert draft["posted"] is False and draft["lines"][0]["cost"] == "50.00"  # what posting would take now
    transfer = await api.create("stock-transfers", moving(clinic, source, (clinic.goods, "3"),
                                                          warehouse_to_id=target))
    for kind, doc_id, form, count in (("stock-write-offs", draft["id"], "torg16", "Всего по акту списано 1"),
                                      ("stock-transfers", transfer["id"], "torg13", "Всего отпущено 1")):
        html = await preview(api, kind, doc_id, form)
        assert WATERMARK in html and "цена и сумма" in html and "определяются при проведении" in html
        assert row(html, "Шприц 5 мл")[3:] == ["шт", "796", "4" if form == "torg16" else "3", "", ""]
        assert f"{count} наименований" in html and "на сумму ______________ руб." in html
        assert "12,50" not in html and "рублей" not in html
        text = pdf_text(await api.pdf(f"/api/documents/{kind}/{doc_id}/print/{form}"))
        assert "Не проведён" in text and "определяются при проведении" in text and "12,50" not in text

    await api.post(f"/api/documents/stock-write-offs/{draft['id']}/post")
    html = await preview(api, "stock-write-offs", draft["id"], "torg16")
    assert row(html, "Шприц 5 мл")[3:] == ["шт", "796", "4", "12,50", "50,00"] and "Пятьдесят рублей 00 копеек" in html
    await api.post(f"/api/documents/stock-write-offs/{draft['id']}/unpost")  # the movements are gone again
    assert row(await preview(api, "stock-write-offs", draft["id"], "torg16"), "Шприц 5 мл")[6:] == ["", ""]


async def test_the_stock_forms_read_any_number_of_documents_in_the_same_queries(api, clinic, db):
    from zoneinfo import ZoneInfo

    from bench.posting import statements_of
    from erp.configuration import registry
    from erp.printing import forms

    warehouse = (await api.item("warehouses", {"name": "Основной склад"}))["id"]
    await receive(api, clinic, warehouse, (clinic.goods, "30", "10.00"))
    ids = [(await api.create("stock-write-offs", moving(clinic, warehouse, (clinic.goods, "1"),
                                                        (clinic.goods, "2")), post=True))["id"] for _ in range(4)]
    config, form, tz = registry(), forms.FORMS["torg16"], ZoneInfo("Europe/Moscow")
    await forms.load(db, config, form, ids, tz)  # the connection learns the row types first
    one = await statements_of(db, lambda: forms.load(db, config, form, ids[:1], tz))
    four = await statements_of(db, lambda: forms.load(db, config, form, ids, tz))
    assert len(one) == len(four) == 5  # documents with lines, organizations, warehouses, items, movements
    loaded = await forms.load(db, config, form, ids, tz)
    assert [d.stock.total for d in loaded] == [D("30.00")] * 4
