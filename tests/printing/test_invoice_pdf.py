"""Acceptance points 1, 5 and 11: «Счёт на оплату» from an Invoice as a PDF
read back with pypdf (the bank block, the heading, the parties, the lines,
totals with VAT, the count line, the amount in words, the signatures), the
HTML preview, and a 40-line invoice that breaks pages cleanly."""

import re

from tests.printing.conftest import generated_count, invoice_data, pdf_pages, pdf_text


async def test_invoice_prints_the_usual_russian_layout(api, clinic, db):
    doc = await api.create("invoices", invoice_data(
        clinic, (clinic.service, "2", "1500"), (clinic.goods, "1", "25")), post=True)
    assert doc["number"] == "К0000000001"
    text = pdf_text(await api.pdf(f"/api/documents/invoices/{doc['id']}/print/invoice"))

    # The recipient's bank block.
    for piece in ("ПАО Сбербанк г. Москва БИК 044525225", "Сч. № 30101810400000000225", "Банк получателя",
                  "ИНН 7707083893 КПП 773601001 Сч. № 40702810938000000001", "ООО «Клиника Здоровье» Получатель"):
        assert piece in text
    assert "Счёт на оплату № 1 от 22 декабря 2021 г." in text
    assert ("Поставщик (Исполнитель): ООО «Клиника Здоровье», ИНН 7707083893, КПП 773601001, "
            "191000, Санкт-Петербург, Невский пр., д. 1") in text
    assert "Покупатель (Заказчик): Иванов Иван Иванович" in text
    assert "№ Товары (работы, услуги) Кол-во Ед. Цена Сумма" in text
    assert "1 Приём терапевта 2 усл 1 500,00 3 000,00" in text
    assert "2 Шприц 5 мл 1 шт 25,00 25,00" in text
    assert "Итого: 3 025,00 Без налога (НДС): - Всего к оплате: 3 025,00" in text
    assert "Всего наименований 2, на сумму 3 025,00 руб." in text
    assert "Три тысячи двадцать пять рублей 00 копеек" in text
    assert re.search(r"Руководитель .*Смирнов А\.А\. .*Бухгалтер .*Кузнецова Т\.В\.", text)
    assert "Не проведён" not in text
    assert await generated_count(db) == 1


async def test_a_company_buyer_prints_with_its_inn_and_kpp(api, clinic):
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "3", "1500"), client_id=clinic.company),
                           post=True)
    text = pdf_text(await api.pdf(f"/api/documents/invoices/{doc['id']}/print/invoice"))
    assert "Покупатель (Заказчик): ООО «МедСнаб», ИНН 7812345675, КПП 781201001" in text
    assert "Иванов" not in text  # not the default client
    # The supplier keeps its own requisites: the buyer's INN is not printed as the recipient's.
    assert "ИНН 7707083893 КПП 773601001 Сч. № 40702810938000000001" in text
    assert "Всего наименований 1, на сумму 4 500,00 руб." in text


async def test_vat_is_printed_in_the_total_at_each_rate(api, clinic):
    vat_org = await api.item("organizations", {
        "name": "Клиника НДС", "full_name": "ООО «Клиника НДС»", "inn": "7812345675", "kpp": "781201001",
        "address": "Москва, ул. Тверская, д. 1", "vat_rate": "20"})
    account = await api.item("bank-accounts", {
        "name": "Счёт", "organization_id": vat_org["id"], "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810938000000001"})
    doc = await api.create("invoices", invoice_data(
        clinic, (clinic.service, "1", "1500"), (clinic.goods, "2", "550"),
        organization_id=vat_org["id"], bank_account_id=account["id"]), post=True)
    text = pdf_text(await api.pdf(f"/api/documents/invoices/{doc['id']}/print/invoice"))
    assert "Итого: 2 600,00 В том числе НДС (20%): 433,33 Всего к оплате: 2 600,00" in text
    assert "Без налога" not in text
    assert "Две тысячи шестьсот рублей 00 копеек" in text


async def test_html_preview_is_the_same_form_and_is_not_stored(api, clinic, db):
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "150")), post=True)
    r = await api.raw("GET", f"/api/documents/invoices/{doc['id']}/print/invoice", params={"format": "html"})
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "Счёт на оплату № 1 от 22 декабря 2021 г." in page
    assert "Сто пятьдесят рублей 00 копеек" in page
    assert "thead { display: table-header-group; }" in page  # the print CSS travels with the preview
    assert await generated_count(db) == 0


async def test_a_40_line_invoice_breaks_pages_cleanly_repeating_the_header(api, clinic):
    items = [await api.item("nomenclature", {"name": f"Услуга {i:02d}", "kind": "service", "unit": "усл"})
             for i in range(1, 41)]
    doc = await api.create("invoices", invoice_data(
        clinic, *[(item["id"], "1", f"{100 + i}") for i, item in enumerate(items, start=1)]), post=True)
    pages = pdf_pages(await api.pdf(f"/api/documents/invoices/{doc['id']}/print/invoice"))

    assert len(pages) >= 2
    header = "№ Товары (работы, услуги) Кол-во Ед. Цена Сумма"
    assert all(header in page for page in pages), "the table header repeats on every page"
    # Every row is printed once, whole, on exactly one page, in order.
    rows = [f"{i} Услуга {i:02d} 1 усл {100 + i},00 {100 + i},00" for i in range(1, 41)]
    where = [[n for n, page in enumerate(pages) if row in page] for row in rows]
    assert all(len(found) == 1 for found in where), where
    assert [found[0] for found in where] == sorted(found[0] for found in where)
    assert {found[0] for found in where} == set(range(len(pages)))
    # The totals, words and signatures stay together after the last row.
    last = pages[-1]
    assert "Всего к оплате: 4 820,00" in last and "Четыре тысячи восемьсот двадцать рублей 00 копеек" in last
    assert "Руководитель" in last and "Всего наименований 40, на сумму 4 820,00 руб." in last
    assert all(f"Страница {n} из {len(pages)}" in page for n, page in enumerate(pages, start=1))
    assert "Счёт на оплату № 1 от 22 декабря 2021 г." in pages[0]
    assert "ПАО Сбербанк г. Москва" not in pages[1], "the bank block is printed once, on the first page"


async def test_the_form_list_names_the_forms_of_each_kind(api):
    assert await api.get("/api/print/forms", kind="invoices") == [
        {"kind": "invoices", "name": "invoice", "title": "Счёт на оплату", "document_type": "Счёт"}]
    assert [f["name"] for f in await api.get("/api/print/forms")] == [
        "invoice", "act", "contract", "client-contract", "supplier-order", "client-return", "inv3", "torg16", "torg13",
        "ko1", "ko2"]
