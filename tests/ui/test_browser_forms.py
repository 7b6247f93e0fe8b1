"""Document forms in real Chromium against a real ``erp serve``: rows of a
tabular section copied and removed with the totals following, and the form
used from the keyboard (Tab order, labels, visible focus, Enter and
Ctrl+Enter as 1C users expect). The server, its seed and the browser are
``served`` and ``chromium`` in ``tests/ui/conftest.py``, one per module."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.ui.conftest import login, pick

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def lines_of(served, kind: str, page) -> list[tuple[int, Decimal, Decimal]]:
    """The stored lines of the document open in ``page``: (item, quantity, price)."""
    doc_id = re.search(rf"/documents/{kind}/(\d+)", page.url).group(1)
    doc = served.api.get(f"/api/documents/{kind}/{doc_id}").json()
    return [(line["nomenclature_id"], Decimal(line["quantity"]), Decimal(line["price"])) for line in doc["lines"]]


def test_copy_a_goods_receipt_line_then_remove_one_and_the_totals_follow(chromium, served):
    page = login(chromium, served)
    page.goto(f"{served.base_url}/documents/goods-receipts/new")
    pick(page, "Поставщик *", "медс", "ООО «МедСнаб»")
    pick(page, "Склад *", "осн", "Основной склад")
    rows = page.locator("table[data-lines] tr[data-line]")
    pick(page, "Номенклатура *", "шпр", "Шприц 5 мл", scope=rows.first)
    rows.first.get_by_label("Количество").fill("40")
    rows.first.get_by_label("Цена").fill("12,50")
    expect(page.locator("output[data-total]")).to_have_text("500,00")

    rows.first.get_by_role("button", name="Скопировать строку").click()
    expect(rows).to_have_count(2)
    copy = rows.nth(1)
    expect(copy.get_by_label("Номенклатура *")).to_have_value("Шприц 5 мл")
    expect(copy.get_by_label("Количество")).to_have_value("40")
    expect(copy.get_by_label("Цена")).to_have_value("12,50")
    expect(copy.locator('output[data-col="amount"]')).to_have_text("500,00")
    expect(page.locator("[data-line-no]")).to_have_text(["1", "2"])
    expect(page.locator("output[data-total]")).to_have_text("1 000,00")
    copy.get_by_label("Количество").fill("10")
    expect(copy.locator('output[data-col="amount"]')).to_have_text("125,00")
    expect(page.locator("output[data-total]")).to_have_text("625,00")
    page.get_by_role("button", name="Записать", exact=True).click()
    expect(page.locator("[data-notice]")).to_have_text("Документ записан")
    goods = served.ids["goods"]
    assert lines_of(served, "goods-receipts", page) == [(goods, 40, Decimal("12.50")), (goods, 10, Decimal("12.50"))]

    expect(page.locator("output[data-total]")).to_have_text("625,00")  # as stored
    rows.first.get_by_role("button", name="Удалить строку").click()
    expect(rows).to_have_count(1)
    expect(page.locator("[data-line-no]")).to_have_text(["1"])
    expect(page.locator("output[data-total]")).to_have_text("125,00")
    page.get_by_role("button", name="Провести", exact=True).click()
    expect(page.locator("[data-notice]")).to_have_text("Документ проведён")
    assert lines_of(served, "goods-receipts", page) == [(goods, 10, Decimal("12.50"))]
    page.close()


def test_copy_a_service_rendering_line_keeps_its_discount(chromium, served):
    page = login(chromium, served)
    page.goto(f"{served.base_url}/documents/service-renderings/new")
    rows = page.locator("table[data-lines] tr[data-line]")
    pick(page, "Номенклатура *", "приём", "Приём терапевта", scope=rows.first)
    expect(rows.first.get_by_label("Цена")).to_have_value("1 500,00")  # the item's price comes with it
    expect(rows.first.get_by_label("Количество")).to_have_value("1")  # and one of it
    expect(page.locator("output[data-total]")).to_have_text("1 500,00")
    rows.first.get_by_label("Количество").fill("2")
    rows.first.get_by_label("Процент скидки").fill("10")
    expect(rows.first.get_by_label("Сумма скидки")).to_have_value("300")
    expect(page.locator("output[data-total]")).to_have_text("2 700,00")
    rows.first.get_by_role("button", name="Скопировать строку").click()
    copy = rows.nth(1)
    expect(copy.get_by_label("Номенклатура *")).to_have_value("Приём терапевта")
    expect(copy.get_by_label("Процент скидки")).to_have_value("10")
    expect(copy.get_by_label("Сумма скидки")).to_have_value("300")
    expect(copy.locator('output[data-col="amount"]')).to_have_text("2 700,00")
    expect(page.locator("output[data-total]")).to_have_text("5 400,00")
    copy.get_by_label("Процент скидки").fill("")
    copy.get_by_label("Сумма скидки").fill("")
    expect(page.locator("output[data-total]")).to_have_text("5 700,00")  # 2 700 + 3 000 without a discount
    rows.first.get_by_role("button", name="Удалить строку").click()
    expect(page.locator("output[data-total]")).to_have_text("3 000,00")
    page.close()



CONTROL = re.compile(r'^\s*- (textbox|combobox|checkbox|spinbutton|listbox)(?: "([^"]*)")?', re.M)
FOCUS = """() => { const el = document.activeElement, s = getComputedStyle(el);
  return [el.id || el.getAttribute("aria-label") || el.textContent.trim(),
          [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(" ")]; }"""
AT_REST = """(form) => Object.fromEntries([...form.querySelectorAll("input, select, textarea, button")].map((el) => {
  const s = getComputedStyle(el);
  return [el.id || el.getAttribute("aria-label") || el.textContent.trim(),
          [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(" ")]; }))"""


def unlabelled(form) -> list[str]:
    """Controls of ``form`` that assistive technology announces without a name."""
    found = CONTROL.findall(form.aria_snapshot())
    assert found, "the form has controls"
    return [role for role, name in found if not name.strip()]


def tab_walk(page, stop: str, limit: int = 40) -> list[tuple[str, str]]:
    """Press Tab until ``stop`` has focus: each control reached once, with its computed focus style."""
    reached: list[tuple[str, str]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        who, style = page.evaluate(FOCUS)
        if not reached or reached[-1][0] != who:  # a date-time field takes one Tab per part
            reached.append((who, style))
        if who == stop:
            return reached
    raise AssertionError(f"Tab never reached {stop}: {reached}")


def choose_by_keyboard(page, field, typed: str, option: str) -> None:
    field.press_sequentially(typed, delay=20)
    picker = field.locator("xpath=ancestor::*[@data-picker][1]")
    expect(picker.get_by_role("option", name=option)).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(picker.get_by_role("option", name=option)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(field).to_have_value(option)


def test_a_document_form_by_keyboard_alone(chromium, served):
    served.create("goods-receipts", {"date": "2030-01-10T09:00:00", "supplier_id": served.ids["supplier"],
                                     "warehouse_id": served.ids["warehouse"], "comment": "из API",
                                     "lines": [{"nomenclature_id": served.ids["goods"], "quantity": "1",
                                                "price": "25"}]})
    page = login(chromium, served)
    page.goto(f"{served.base_url}/documents/service-renderings/new")
    assert unlabelled(page.get_by_role("form", name="Оказание услуг (создание)")) == []
    page.goto(f"{served.base_url}/documents/goods-receipts/new")
    form = page.get_by_role("form", name="Поступление товаров (создание)")
    assert unlabelled(form) == []

    at_rest = form.evaluate(AT_REST)
    page.get_by_role("button", name="Провести", exact=True).focus()
    walk = tab_walk(page, "Удалить строку")
    assert [who for who, _ in walk] == [
        "doc-date", "h-organization_id", "h-supplier_id", "h-warehouse_id", "h-supplier_order_id", "h-comment",
        "Добавить",
        "line-0-nomenclature_id", "line-0-quantity", "line-0-price", "Скопировать строку", "Удалить строку"]
    for who, style in walk:
        assert style != at_rest[who], f"{who}: focus looks the same as no focus ({style})"
        assert style.startswith("solid 3px rgb(26, 115, 232)"), f"{who}: {style}"

    supplier, warehouse = page.get_by_label("Поставщик *"), page.get_by_label("Склад *")
    rows = page.locator("table[data-lines] tr[data-line]")
    supplier.focus()
    choose_by_keyboard(page, supplier, "медс", "ООО «МедСнаб»")
    page.keyboard.press("Enter")  # Enter moves to the next field, as in 1C…
    expect(warehouse).to_be_focused()
    choose_by_keyboard(page, warehouse, "осн", "Основной склад")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Заказ поставщику")).to_be_focused()  # an order of this supplier, if any
    page.keyboard.press("Enter")
    expect(page.get_by_label("Комментарий")).to_be_focused()
    page.keyboard.type("набрано с клавиатуры")
    page.keyboard.press("Enter")  # …and never sends the form
    expect(rows.first.get_by_label("Номенклатура *")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/documents/goods-receipts/new$"))
    choose_by_keyboard(page, rows.first.get_by_label("Номенклатура *"), "шпр", "Шприц 5 мл")
    page.keyboard.press("Enter")
    expect(rows.first.get_by_label("Количество")).to_be_focused()
    page.keyboard.type("8")
    page.keyboard.press("Enter")
    price = rows.first.get_by_label("Цена")
    expect(price).to_be_focused()
    expect(price).to_have_value("25,00")  # the item's price came with it…
    page.keyboard.type("3,25")  # …and what is typed replaces it
    expect(price).to_have_value("3,25")
    expect(page.locator("output[data-total]")).to_have_text("26,00")
    page.keyboard.press("Enter")  # Enter in the last cell of the last line adds a line
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_label("Номенклатура *")).to_be_focused()
    expect(page.locator("[data-line-no]")).to_have_text(["1", "2"])

    page.keyboard.press("Control+Enter")  # Провести и закрыть
    expect(page).to_have_url(re.compile(r"/documents/goods-receipts$"))
    typed = page.locator("#list tbody tr", has_text="набрано с клавиатуры")
    expect(typed.locator('[data-state="posted"]')).to_have_count(1)
    expect(typed).to_contain_text("ООО «МедСнаб»")

    page.locator("#list tbody tr").first.focus()  # the later one, from the API, heads the list
    page.keyboard.press("ArrowDown")
    expect(typed).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#list tbody tr", has_text="из API")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # opens the row
    expect(page.locator("h1")).to_contain_text("Поступление товаров")
    expect(page.get_by_label("Комментарий")).to_have_value("набрано с клавиатуры")
    page.close()


def test_the_audit_log_fits_a_1400_pixel_window(chromium, served):
    """Issue 14, point 25: a document's lines show as small tables, and the page needs no sideways scrolling."""
    ids = served.ids
    lines = [{"nomenclature_id": ids["service"], "quantity": str(n), "price": "1500"} for n in range(1, 6)]
    doc = served.create("invoices", {"date": "2030-01-10T10:00:00", "organization_id": ids["org"],
                                     "client_id": ids["client"], "comment": "Счёт " * 40, "lines": lines})
    r = served.api.put(f"/api/documents/invoices/{doc['id']}",
                       json={"date": "2030-01-10T10:00:00", "organization_id": ids["org"],
                             "client_id": ids["supplier"], "lines": lines[:2]})
    assert r.status_code == 200, r.text
    page = login(chromium, served)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{served.base_url}/admin/audit-log?object_kind=document:invoices")
    expect(page.locator("[data-changes]").first).to_contain_text("ООО «МедСнаб»")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    expect(page.locator("table[data-lines-change]").first).to_be_visible()
    page.close()
