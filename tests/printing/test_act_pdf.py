"""Acceptance points 2 and 12 (unposted): «Акт об оказании услуг» from a
ServiceRendering, and the "Не проведён" watermark on an unposted document."""

import re

from tests.printing.conftest import generated_count, pdf_pages, pdf_text, rendering_data


async def test_act_prints_parties_services_totals_clause_and_both_signatures(api, clinic):
    doc = await api.create("service-renderings", rendering_data(
        clinic, (clinic.service, "1", "1500"), (clinic.service, "2", "150"), client_id=clinic.company), post=True)
    text = pdf_text(await api.pdf(f"/api/documents/service-renderings/{doc['id']}/print/act"))

    assert "Акт об оказании услуг № 1 от 22 декабря 2021 г." in text
    assert ("Исполнитель: ООО «Клиника Здоровье», ИНН 7707083893, КПП 773601001, "
            "191000, Санкт-Петербург, Невский пр., д. 1") in text
    assert "Заказчик: ООО «МедСнаб», ИНН 7812345675, КПП 781201001" in text
    assert "№ Наименование работ, услуг Кол-во Ед. Цена Сумма" in text
    assert "1 Приём терапевта 1 усл 1 500,00 1 500,00" in text
    assert "2 Приём терапевта 2 усл 150,00 300,00" in text
    assert "Итого: 1 800,00 Без налога (НДС): -" in text
    assert "Всего оказано услуг 2, на сумму 1 800,00 руб." in text
    assert "Одна тысяча восемьсот рублей 00 копеек" in text
    assert ("Вышеперечисленные услуги выполнены полностью и в срок. Заказчик претензий по объёму, "
            "качеству и срокам оказания услуг не имеет.") in text
    assert re.search(r"ИСПОЛНИТЕЛЬ .*Руководитель .*Смирнов А\.А\.", text)
    assert re.search(r"ЗАКАЗЧИК .*ООО «МедСнаб»", text)
    assert "Не проведён" not in text


async def test_act_vat_follows_the_organizations_rate(api, clinic):
    await api.call("PATCH", f"/api/catalogs/organizations/{clinic.org}", json={"vat_rate": "20"})
    doc = await api.create("service-renderings", rendering_data(clinic, (clinic.service, "1", "1200")), post=True)
    text = pdf_text(await api.pdf(f"/api/documents/service-renderings/{doc['id']}/print/act"))
    assert "Итого: 1 200,00 В том числе НДС (20%): 200,00" in text


async def test_act_shows_discounts_when_lines_have_them(api, clinic):
    data = rendering_data(clinic, (clinic.service, "2", "1000"))
    data["lines"][0]["discount_percent"] = "10"
    doc = await api.create("service-renderings", data, post=True)
    text = pdf_text(await api.pdf(f"/api/documents/service-renderings/{doc['id']}/print/act"))
    assert "Кол-во Ед. Цена Скидка Сумма" in text
    assert "1 Приём терапевта 2 усл 1 000,00 200,00 1 800,00" in text


async def test_unposted_documents_print_with_the_watermark_on_every_page(api, clinic, db):
    items = [await api.item("nomenclature", {"name": f"Процедура {i:02d}", "kind": "service", "unit": "усл"})
             for i in range(1, 46)]
    doc = await api.create("service-renderings", rendering_data(
        clinic, *[(item["id"], "1", "100") for item in items]))
    assert doc["posted"] is False
    pages = pdf_pages(await api.pdf(f"/api/documents/service-renderings/{doc['id']}/print/act"))
    assert len(pages) >= 2
    assert all("Не проведён" in page for page in pages)
    stored = await db.fetchrow("SELECT posted, form, document_type FROM generated_documents")
    assert dict(stored) == {"posted": False, "form": "act", "document_type": "Акт"}
    await api.post(f"/api/documents/service-renderings/{doc['id']}/post")
    assert "Не проведён" not in pdf_text(await api.pdf(f"/api/documents/service-renderings/{doc['id']}/print/act"))
    assert await generated_count(db) == 2


async def test_a_form_of_another_kind_is_refused(api, clinic):
    doc = await api.create("service-renderings", rendering_data(clinic, (clinic.service, "1", "100")))
    error = await api.get(f"/api/documents/service-renderings/{doc['id']}/print/invoice", status=422)
    assert error["code"] == "unknown_print_form"
    assert "нет печатной формы «invoice»" in error["message"]
    missing = await api.get("/api/documents/service-renderings/999/print/act", status=404)
    assert missing["code"] == "document_not_found"
