"""«Ввод начальных остатков» in real Chromium against a real ``erp serve``: the form shows the columns of
the chosen «Раздел учёта» (a new row too), a section is typed by hand and posted, and another is filled
from an Excel workbook chosen on the form, then posted."""

from __future__ import annotations

import re

import pytest

from tests.imports.conftest import xlsx
from tests.ui.conftest import login, pick

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def balance(served, register: str, **key) -> str:
    rows = served.api.get(f"/api/registers/{register}/balance", params=key).json()
    return rows[0]["amount"] if rows and "amount" in rows[0] else (rows[0]["quantity"] if rows else "0")


def test_a_section_shows_its_columns_is_typed_or_filled_from_excel_and_posted(chromium, served, tmp_path):
    page = login(chromium, served)
    page.goto(f"{served.base_url}/documents/opening-balances/new")
    pick(page, "Организация *", "здор", "Клиника «Здоровье»")
    head = page.locator("table[data-lines] thead")
    expect(head.get_by_text("Склад", exact=True)).to_be_visible()
    expect(head.get_by_text("Клиент", exact=True)).to_be_hidden()

    page.get_by_label("Раздел учёта *").select_option("clients")
    expect(head.get_by_text("Клиент", exact=True)).to_be_visible()
    expect(head.get_by_text("Склад", exact=True)).to_be_hidden()
    rows = page.locator("table[data-lines] tr[data-line]")
    page.get_by_role("button", name="Добавить", exact=True).click()
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_label("Клиент", exact=True)).to_be_visible()  # a new row follows the section
    expect(rows.nth(1).get_by_label("Количество", exact=True)).to_be_hidden()
    rows.nth(1).get_by_role("button", name="Удалить строку").click()

    pick(page, "Клиент", "иван", "Иванов Иван Иванович", scope=rows.first)
    rows.first.get_by_label("Сумма *").fill("1 500,00")
    page.get_by_role("button", name="Провести", exact=True).click()
    expect(page.locator("[data-notice]")).to_have_text("Документ проведён")
    assert balance(served, "settlements", client_id=served.ids["client"]) == "1500.00"

    # the stock section from a workbook chosen on the form; nothing is written until it is posted
    page.goto(f"{served.base_url}/documents/opening-balances/new")
    pick(page, "Организация *", "здор", "Клиника «Здоровье»")
    book = tmp_path / "остатки.xlsx"
    book.write_bytes(xlsx(["Склад", "Номенклатура", "Количество", "Сумма"], ["Основной склад", "Шприц 5 мл", 40, 400]))
    page.get_by_label("Книга Excel (.xlsx) для заполнения табличной части").set_input_files(str(book))
    page.get_by_role("button", name="Заполнить из Excel").click()
    expect(page.locator("[data-notice]")).to_contain_text("Табличная часть заполнена из Excel: строк 1")
    expect(rows.first.get_by_label("Номенклатура", exact=True)).to_have_value("Шприц 5 мл")
    expect(rows.first.get_by_label("Количество", exact=True)).to_have_value("40")
    assert balance(served, "stock", nomenclature_id=served.ids["goods"]) == "0"
    page.get_by_role("button", name="Провести", exact=True).click()
    expect(page.locator("[data-notice]")).to_have_text("Документ проведён")
    assert re.match(r"40(\.0+)?$", balance(served, "stock", nomenclature_id=served.ids["goods"]))
