"""The audit log as an accountant reads it (issue 14, point 25): references by
name, choices by their Russian titles, dates the Russian way, a document's
lines as a small table instead of JSON."""

import re

from tests.clinic.test_invoices_payments import invoice


async def test_a_documents_changes_read_in_names_titles_and_russian_dates(browser, api, clinic):
    line = {"nomenclature_id": clinic.service, "quantity": "2", "price": "1500"}
    doc = await api.create("invoices", invoice(clinic, line))
    await api.put(f"/api/documents/invoices/{doc['id']}",
                  {**invoice(clinic, {**line, "quantity": "3"}), "client_id": clinic.supplier})
    page = (await browser.get("/admin/audit-log", params={"object_kind": "document:invoices"})).text
    table = page[page.index("data-audit-log"):page.index("</table>", page.rindex("data-lines-change"))]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table))
    assert "Клиент : Иванов Иван Иванович → ООО «МедСнаб»" in text  # names, not ids
    assert "Дата : — → 22.12.2021 13:00" in text and "Сумма : 3 000,00 → 4 500,00" in text
    lines = re.findall(r"<table class=\"mini[^\"]*\" data-lines-change>(.*?)</table>", page, re.S)
    assert lines, "the lines are small tables"
    cells = [[c.replace("\u00a0", " ") for c in re.findall(r"<t[dh]>([^<]*)</t[dh]>", t)] for t in lines]
    assert cells[0][:3] == ["Номенклатура", "Количество", "Цена"], "the lines' titles, in the form's order"
    assert any(c[-8:-5] == ["Приём терапевта", "3", "1 500,00"] and "Без НДС" in c for c in cells), cells
    assert "nomenclature_id" not in text and '"price"' not in text  # no JSON


async def test_a_catalog_items_choice_reads_as_its_title(browser, api):
    client = await api.item("clients", {"name": "ИП Петров", "kind": "person"})
    await api.patch(f"/api/catalogs/clients/{client['id']}", {"kind": "sole_trader"})
    page = (await browser.get("/admin/audit-log", params={"object_kind": "catalog:clients", "action": "update"})).text
    assert "<s>Физическое лицо</s> → Индивидуальный предприниматель" in page
