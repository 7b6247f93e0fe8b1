"""The web UI in real Chromium against a real ``erp serve`` process.

One server (its own database) and one browser serve the whole module
(``served`` and ``chromium`` in ``tests/ui/conftest.py``); users come from
the CLI (``erp user add``) and the seed from the REST API with a bearer
token. Each test drives the screens as a person would and asserts
what that person sees. Screenshots of the main screens are written to
``$ERP_SCREENSHOTS`` (``docs/screenshots`` for the README) or a temporary
folder.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from tests.ui.conftest import BROWSER_PASSWORD as PASSWORD
from tests.ui.conftest import login, pick

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

DAY = "2030-01-14"  # Monday
LOCAL = "+03:00"  # Europe/Moscow


def test_log_in_and_out(chromium, served, shots):
    page = chromium.new_page(viewport={"width": 1360, "height": 860})
    page.goto(f"{served.base_url}/documents/invoices")
    expect(page).to_have_url(re.compile(r"/login\?next=/documents/invoices$"))
    page.get_by_label("Пользователь").fill("anna")
    page.get_by_label("Пароль").fill("wrong-password")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("alert")).to_have_text("Неверное имя пользователя или пароль")
    page.screenshot(path=shots / "login.png")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("h1")).to_have_text("Счёт на оплату")
    nav = page.get_by_role("navigation", name="Разделы")
    expect(nav.get_by_role("link")).to_have_text(["Главное", "Справочники", "Документы", "Банк и касса", "Расписание",
                                                   "Отчёты", "Интеграции", "Администрирование"])
    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_role("button", name="Войти")).to_be_visible()
    page.close()


def test_create_a_client_and_find_it_as_you_type(chromium, served, shots):
    page = login(chromium, served)
    page.get_by_role("link", name="Справочники").click()
    page.get_by_role("link", name="Клиенты").click()
    page.get_by_role("link", name="Создать").click()
    page.get_by_label("Наименование").fill("Смирнова Ольга Петровна")
    page.get_by_label("Вид").select_option(label="Физическое лицо")
    page.get_by_label("Телефон").fill("+7 912 345-67-89")
    page.get_by_role("button", name="Записать").click()
    expect(page.locator("[data-notice]")).to_have_text("Элемент записан")
    page.get_by_role("link", name="← Клиенты").click()
    page.get_by_label("Поиск").press_sequentially("смирн", delay=30)
    rows = page.locator("#list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Смирнова Ольга Петровна")
    expect(rows.first).to_contain_text("+7 912 345-67-89")
    page.get_by_label("Поиск").fill("")
    expect(page.locator("#list tbody tr")).to_have_count(4)
    page.screenshot(path=shots / "list-clients.png")
    page.close()


def test_post_a_goods_receipt_with_live_totals(chromium, served, shots):
    page = login(chromium, served)
    page.goto(f"{served.base_url}/documents/goods-receipts/new")
    pick(page, "Поставщик *", "медс", "ООО «МедСнаб»")
    pick(page, "Склад *", "осн", "Основной склад")
    table = page.locator("table[data-lines]")
    pick(page, "Номенклатура *", "шпр", "Шприц 5 мл", scope=table.locator("tr[data-line]").first)
    table.get_by_label("Количество").first.fill("40")
    table.get_by_label("Цена").first.fill("12,50")
    expect(table.locator('output[data-col="amount"]').first).to_have_text("500,00")
    expect(page.locator("output[data-total]")).to_have_text("500,00")
    table.get_by_label("Цена").first.press("Enter")  # Enter on the last cell adds a row, as in 1C
    expect(table.locator("tr[data-line]")).to_have_count(2)
    table.locator("tr[data-line]").nth(1).get_by_role("button", name="Удалить строку").click()
    page.screenshot(path=shots / "form-goods-receipt.png")
    page.on("dialog", lambda dialog: dialog.dismiss())  # "stay on the page"
    with page.expect_event("dialog") as leaving:
        page.get_by_role("link", name="Отчёты").click(no_wait_after=True)  # leaving with unsaved changes…
    assert leaving.value.type == "beforeunload"  # …asks first
    expect(page.locator("h1")).to_have_text("Поступление товаров (создание)")
    expect(table.get_by_label("Цена").first).to_have_value("12,50")
    page.get_by_role("button", name="Провести", exact=True).click()
    expect(page.locator("[data-notice]")).to_have_text("Документ проведён")
    expect(page.locator("[data-doc-state]")).to_have_text("Проведён")
    stock = served.api.get("/api/registers/stock/balance").json()
    assert [(s["quantity"], s["cost"]) for s in stock] == [("40.000", "500.00")]
    page.close()


def test_request_from_a_calendar_cell_then_service_rendering_and_its_movements(chromium, served, shots):
    page = login(chromium, served)
    page.goto(f"{served.base_url}/schedule?date={DAY}&step=15")
    column = page.locator(f'.column[data-doctor="{served.ids["efimova"]}"]')
    column.locator(f'a.cell[data-time="{DAY}T10:30"]').click()
    expect(page.locator("h1")).to_have_text("Заявка (создание)")
    expect(page.get_by_label("Врач *")).to_have_value("Ефимова Е.В.")
    expect(page.get_by_label("Время приёма *")).to_have_value(f"{DAY}T10:30")
    pick(page, "Клиент", "иван", "Иванов Иван Иванович")
    pick(page, "Номенклатура *", "приём", "Приём терапевта", scope=page.locator("tr[data-line]").first)
    expect(page.locator("tr[data-line]").first.get_by_label("Цена")).to_have_value("1 500,00")  # the item's price
    page.get_by_role("button", name="Провести", exact=True).click()
    expect(page.locator("[data-notice]")).to_have_text("Документ проведён")
    request_url = page.url.split("?")[0]

    page.goto(f"{served.base_url}/schedule?date={DAY}&step=15")
    block = page.locator(f'.column[data-doctor="{served.ids["efimova"]}"] .appointment')
    expect(block).to_contain_text("10:30–11:00")
    expect(block).to_contain_text("Иванов Иван Иванович")
    expect(block).to_contain_text("Приём терапевта")

    page.goto(request_url)
    page.get_by_text("Создать на основании").click()
    page.get_by_role("link", name="Оказание услуг").click()
    expect(page.locator("h1")).to_have_text("Оказание услуг (создание)")
    expect(page.get_by_label("Клиент *")).to_have_value("Иванов Иван Иванович")
    expect(page.locator("output[data-total]")).to_have_text("1 500,00")
    page.get_by_label("Процент скидки").first.fill("10")
    expect(page.locator("output[data-total]")).to_have_text("1 350,00")
    page.get_by_role("button", name="Провести", exact=True).click()
    expect(page.locator("[data-notice]")).to_have_text("Документ проведён")
    page.get_by_role("link", name="Движения документа").click()
    panel = page.locator("#panel")
    expect(panel.locator("h3")).to_have_text(["Продажи", "Товары на складах", "Взаиморасчёты с клиентами",
                                              "Продажи к возврату", "Товары в резерве"])
    sales = panel.locator('table[data-register="Продажи"]')
    expect(sales).to_contain_text("Приём терапевта")
    expect(sales).to_contain_text("1 350,00")
    page.screenshot(path=shots / "form-service-rendering-movements.png", full_page=True)
    page.get_by_role("link", name="Структура подчинённости").click()
    expect(panel).to_contain_text("Заявка №")
    expect(panel.locator("[aria-current=true]")).to_contain_text("Оказание услуг №")
    page.close()


def test_a_stock_shortage_shows_its_list(chromium, served, shots):
    page = login(chromium, served)
    page.goto(f"{served.base_url}/documents/service-renderings/new")
    pick(page, "Организация *", "клин", "Клиника «Здоровье»")
    pick(page, "Клиент *", "иван", "Иванов Иван Иванович")
    pick(page, "Врач *", "ефим", "Ефимова Е.В.")
    pick(page, "Склад", "осн", "Основной склад")
    row = page.locator("tr[data-line]").first
    pick(page, "Номенклатура *", "шпр", "Шприц 5 мл", scope=row)
    row.get_by_label("Количество").fill("1000")
    row.get_by_label("Цена").fill("25")
    page.get_by_role("button", name="Провести", exact=True).click()
    alert = page.locator("[data-posting-error]")
    expect(alert.locator("strong")).to_have_text("Документ не проведён: недостаточно остатков")
    shortfall = re.compile(r"Основной склад, Шприц 5 мл: доступно \d+, требуется 1\s000$")
    expect(alert.locator("li")).to_have_text([shortfall])
    expect(row.get_by_label("Количество")).to_have_value("1000")  # the form stays as typed
    page.screenshot(path=shots / "form-shortage-error.png")
    page.close()


def test_edit_and_post_a_work_schedule_in_the_grid(chromium, served, shots):
    page = login(chromium, served)
    page.goto(f"{served.base_url}/schedule/work-schedules/new?month=2030-02")
    expect(page.locator("table[data-month-grid] tbody tr")).to_have_count(28)
    page.get_by_label("Ишаева М.И., 04.02.2030").fill("09:00 - 12:00, 13:00 - 15:00")
    page.get_by_text("Заполнить по шаблону").click()
    page.get_by_label("Ишаева М.И.", exact=True).uncheck()
    page.get_by_label("с", exact=True).fill("08:00")
    page.get_by_label("по", exact=True).fill("14:00")
    page.get_by_role("button", name="Заполнить", exact=True).click()
    expect(page.get_by_label("Ефимова Е.В., 05.02.2030")).to_have_value("08:00 - 14:00")
    expect(page.get_by_label("Ефимова Е.В., 09.02.2030")).to_have_value("")  # a Saturday
    expect(page.get_by_label("Ишаева М.И., 04.02.2030")).to_have_value("09:00 - 12:00, 13:00 - 15:00")
    page.screenshot(path=shots / "work-schedule-grid.png")
    page.get_by_role("button", name="Провести", exact=True).click()
    expect(page.locator("[data-notice]")).to_have_text("Документ проведён")
    page.get_by_role("link", name="Открыть в расписании").click()
    expect(page).to_have_url(re.compile(r"/schedule\?date=2030-02-01$"))  # the schedule's first working day
    efimova = page.locator(f'.column[data-doctor="{served.ids["efimova"]}"]')
    expect(efimova.locator('a.cell[data-time="2030-02-01T13:55"]')).to_have_count(1)
    page.get_by_label("Дата").fill("2030-02-04")
    expect(page).to_have_url(re.compile(r"date=2030-02-04"))
    page.get_by_label("Шаг").select_option("60")
    expect(page).to_have_url(re.compile(r"step=60"))
    ishaeva = page.locator(f'.column[data-doctor="{served.ids["ishaeva"]}"]')
    expect(ishaeva.locator("a.cell.work")).to_have_count(5)  # 09, 10, 11, 13, 14 o'clock
    expect(ishaeva.locator('.cell[data-time="2030-02-04T12:00"]')).not_to_have_class(re.compile("work"))
    page.close()


def test_drag_an_appointment_and_a_refused_move_snaps_back(chromium, served, shots):
    request = served.create("requests", {"client_id": served.ids["supplier"], "doctor_id": served.ids["efimova"],
                                         "starts_at": f"{DAY}T09:00:00"})
    page = login(chromium, served)
    page.goto(f"{served.base_url}/schedule?date={DAY}&step=15")
    block = page.locator(f'.appointment[data-id="{request["id"]}"]')
    target = page.locator(f'.column[data-doctor="{served.ids["ishaeva"]}"] .cell[data-time="{DAY}T11:15"]')
    block.drag_to(target, source_position={"x": 30, "y": 4})
    moved = page.locator(f'.column[data-doctor="{served.ids["ishaeva"]}"] .appointment[data-id="{request["id"]}"]')
    expect(moved).to_contain_text("11:15–11:45")
    row = served.api.get(f"/api/documents/requests/{request['id']}").json()
    assert row["doctor_id"] == served.ids["ishaeva"] and row["starts_at"] == f"{DAY}T11:15:00{LOCAL}" and row["posted"]

    grey = page.locator(f'.column[data-doctor="{served.ids["efimova"]}"] .cell[data-time="{DAY}T14:00"]')
    moved.drag_to(grey, source_position={"x": 30, "y": 4})
    expect(page.locator("#toast")).to_contain_text("Врач не работает в это время")
    expect(moved).to_contain_text("11:15–11:45")  # back where it was
    assert served.api.get(f"/api/documents/requests/{request['id']}").json()["doctor_id"] == served.ids["ishaeva"]
    page.goto(f"{served.base_url}/documents/requests")
    row = page.locator(f'#list tbody tr[data-href="/documents/requests/{request["id"]}"]')
    expect(row.locator('[data-state="posted"]')).to_have_count(1)  # re-posted by the move
    listed = page.locator("#list tbody tr").count()  # other tests of the module may have booked more, all posted
    expect(page.locator('#list [data-state="posted"]')).to_have_count(listed)
    page.screenshot(path=shots / "list-documents.png")
    page.close()


def test_change_a_visit_status_from_the_block_menu(chromium, served, shots):
    past = "2025-01-13"  # only a visit that has started can be «Пришел»
    served.create("work-schedules", {"date": "2025-01-01T00:00:00", "month": "2025-01-01", "lines": [
        {"doctor_id": served.ids["ishaeva"], "day": past, "start": "08:00", "end": "16:00"}]})
    request = served.create("requests", {"client_id": served.ids["client"], "doctor_id": served.ids["ishaeva"],
                                         "starts_at": f"{past}T14:00:00"})
    page = login(chromium, served)
    page.goto(f"{served.base_url}/schedule?date={past}&step=15")
    block = page.locator(f'.appointment[data-id="{request["id"]}"]')
    expect(block).to_have_css("background-color", "rgb(74, 144, 217)")  # Записан
    block.get_by_label("Статус визита").click()
    block.get_by_role("button", name="Пришел", exact=True).click()
    block = page.locator(f'.appointment[data-id="{request["id"]}"]')
    expect(block).to_have_attribute("data-status", "Пришел")
    expect(block).to_have_css("background-color", "rgb(60, 179, 113)")
    page.screenshot(path=shots / "calendar-day.png")
    page.get_by_role("link", name="Неделя").click()
    expect(page.locator(".day-head.day-start")).to_have_count(7)  # each day its doctors side by side
    page.screenshot(path=shots / "calendar-week.png")
    page.close()


def test_see_the_sales_chart(chromium, served, shots):
    served.create("service-renderings", {"date": f"{DAY}T16:00:00", "organization_id": served.ids["org"],
                                         "client_id": served.ids["supplier"], "doctor_id": served.ids["ishaeva"],
                                         "lines": [{"nomenclature_id": served.ids["service"], "quantity": "3",
                                                    "price": "2000"}]})
    page = login(chromium, served)
    page.get_by_role("link", name="Отчёты").click()
    page.get_by_role("link", name="Продажи").click()
    page.get_by_label("Период с").fill("2030-01-01")
    page.get_by_label("по", exact=True).fill("2030-01-31")
    page.get_by_role("button", name="Сформировать").click()
    chart = page.get_by_role("img", name=re.compile("Продажи по группе «Врач»"))
    expect(chart).to_be_visible()
    expect(chart.locator("[data-bar]").first).to_have_attribute("data-label", "Ишаева М.И.")
    expect(chart.locator("[data-bar] text").nth(1)).to_have_text("6 000,00")
    page.screenshot(path=shots / "report-sales-chart.png")
    page.close()


def test_download_an_excel_export_and_read_it_back(chromium, served):
    page = login(chromium, served)
    page.goto(f"{served.base_url}/catalogs/nomenclature")
    page.get_by_label("Поиск").press_sequentially("шприц", delay=30)
    expect(page.locator("#list tbody tr")).to_have_count(1)
    export = page.get_by_role("link", name="Excel", exact=True)
    # The link carries the whole search once the last keystroke's list has arrived.
    expect(export).to_have_attribute("href", re.compile(r"\?q=" + re.escape(quote("шприц")) + "(&|$)"))
    with page.expect_download(timeout=30_000) as info:
        export.click()
    download = info.value
    assert download.suggested_filename == "nomenclature.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Код", "Наименование", "Вид")
    assert [r[1:3] for r in rows[1:]] == [("Шприц 5 мл", "Товар")]
    page.close()


def test_a_manager_is_refused_an_admin_page(chromium, served, shots):
    page = login(chromium, served, "maria")
    expect(page.get_by_role("navigation", name="Разделы").get_by_role("link", name="Администрирование")) \
        .to_have_count(0)
    response = page.goto(f"{served.base_url}/admin/users")
    assert response.status == 403
    expect(page.get_by_role("alert")).to_have_text("Недостаточно прав: этот раздел вам недоступен")
    page.close()


def test_the_home_page_and_the_integrations_page(chromium, served, shots):
    page = login(chromium, served)
    expect(page.locator("#h-unpaid")).to_contain_text("Неоплаченные счета")
    page.screenshot(path=shots / "home.png")
    page.get_by_role("link", name="Интеграции").click()
    expect(page.locator("h1")).to_have_text("Интеграция с amoCRM")
    expect(page.get_by_role("button", name="Подключить")).to_be_visible()
    page.screenshot(path=shots / "integrations.png")
    page.close()
