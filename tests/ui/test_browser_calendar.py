"""The calendar of issue 18, point 11, in real Chromium against a real ``erp serve``: a range of free
cells drawn with the mouse (or shift-clicked) sets the new Request's length in the form «Записать»
opens; a range never crosses a busy cell; the week view keeps its time column in sight when the days
scroll sideways; «Показать: Кабинеты» puts the rooms in the columns; the month view opens a day.

The seed (``tests/ui/conftest.py``): Ефимова works 08:00–13:00 and Ишаева 09:00–16:00 on 14–18.01.2030.
Every wait is on a selector or a state, never a sleep, with the generous timeouts below.
"""

from __future__ import annotations

import pytest

from tests.ui.conftest import login, pick

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

WAIT = 20_000  # ms: the machine may be busy with other tests
expect.set_options(timeout=WAIT)


def opened(chromium, served, path: str):
    page = login(chromium, served)
    page.set_default_timeout(WAIT)
    page.goto(f"{served.base_url}{path}")
    expect(page.locator("[data-calendar], table.month-calendar").first).to_be_visible(timeout=WAIT)
    return page


def cell(page, doctor: int, moment: str):
    return page.locator(f'.column[data-doctor="{doctor}"] .cell[data-time="{moment}"]')


def centre(locator) -> tuple[float, float]:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box, "the cell is on the page"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def draw(page, first, last) -> None:
    """Press on ``first``, move over the cells to ``last``, release."""
    x, y = centre(first)
    page.mouse.move(x, y)
    page.mouse.down()
    x2, y2 = centre(last)
    page.mouse.move(x2, y2, steps=8)
    page.mouse.up()


def test_a_drawn_range_sets_the_length_of_the_request_it_books(chromium, served, shots):
    day, efimova = "2030-01-14", served.ids["efimova"]
    page = opened(chromium, served, f"/schedule?date={day}&step=15")
    draw(page, cell(page, efimova, f"{day}T10:00"), cell(page, efimova, f"{day}T10:45"))
    expect(page.locator(".cell.selected")).to_have_count(4)
    # the hint names the toolbar's button as the Russian screen labels it, «Записать» (not "Save")
    expect(page.locator("[data-selection]")).to_contain_text("10:00–11:00 (60 мин). Нажмите «Записать».")
    expect(page.locator("h1")).to_contain_text("Расписание")  # drawing opened nothing
    page.screenshot(path=shots / "calendar-range.png")
    page.get_by_role("link", name="Записать", exact=True).click()
    expect(page.locator("h1")).to_have_text("Заявка (создание)")
    expect(page.get_by_label("Врач *")).to_have_value("Ефимова Е.В.")
    expect(page.get_by_label("Время приёма *")).to_have_value(f"{day}T10:00")
    expect(page.get_by_label("Длительность, мин")).to_have_value("60")
    pick(page, "Клиент", "иван", "Иванов Иван Иванович")
    pick(page, "Номенклатура *", "приём", "Приём терапевта", scope=page.locator("tr[data-line]").first)
    page.get_by_role("button", name="Провести", exact=True).click()
    expect(page.locator("[data-notice]")).to_have_text("Документ проведён")
    page.goto(f"{served.base_url}/schedule?date={day}&step=15")
    block = page.locator(f'.column[data-doctor="{efimova}"] .appointment')
    expect(block).to_contain_text("10:00–11:00")  # the range's hour, not the service's 30 minutes
    page.close()


def test_a_range_stops_at_a_busy_cell_and_shift_click_across_it_is_refused(chromium, served):
    day, ishaeva = "2030-01-15", served.ids["ishaeva"]
    served.create("requests", {"client_id": served.ids["client"], "doctor_id": ishaeva,
                               "starts_at": f"{day}T11:00:00", "duration_minutes": 30})
    page = opened(chromium, served, f"/schedule?date={day}&step=30")
    draw(page, cell(page, ishaeva, f"{day}T10:00"), cell(page, ishaeva, f"{day}T12:00"))
    expect(page.locator(".cell.selected")).to_have_count(2)  # 10:00 and 10:30: it stops before 11:00
    expect(page.locator("[data-selection]")).to_contain_text("не может проходить через занятое")
    expect(page.get_by_role("link", name="Записать", exact=True)).to_have_attribute(
        "href", f"/documents/requests/new?doctor_id={ishaeva}&starts_at={day}T10%3A00&duration_minutes=60")

    page.keyboard.press("Escape")
    expect(page.locator(".cell.selected")).to_have_count(0)
    expect(page.get_by_role("link", name="Записать", exact=True)).to_have_attribute("href", "/documents/requests/new")

    cell(page, ishaeva, f"{day}T12:00").click(modifiers=["Shift"])  # a one-cell range
    expect(page.locator(".cell.selected")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text("Расписание")  # a shift-click opens nothing
    cell(page, ishaeva, f"{day}T10:30").click(modifiers=["Shift"])  # back across 11:00: refused
    expect(page.locator("[data-selection]")).to_contain_text("не может проходить через занятое")
    expect(page.locator(".cell.selected")).to_have_count(1)
    cell(page, ishaeva, f"{day}T13:00").click(modifiers=["Shift"])  # 12:00–13:30
    expect(page.locator(".cell.selected")).to_have_count(3)
    expect(page.locator("[data-selection]")).to_contain_text("12:00–13:30 (90 мин)")
    cell(page, ishaeva, f"{day}T13:00").focus()  # the keyboard: Shift+↑ gives the last cell back
    page.keyboard.press("Shift+ArrowUp")
    expect(page.locator("[data-selection]")).to_contain_text("12:00–13:00 (60 мин)")
    page.close()


def test_shift_click_then_book_opens_the_prefilled_form(chromium, served):
    day, ishaeva = "2030-01-16", served.ids["ishaeva"]
    page = opened(chromium, served, f"/schedule?date={day}&step=15")
    cell(page, ishaeva, f"{day}T14:00").click(modifiers=["Shift"])
    cell(page, ishaeva, f"{day}T14:30").click(modifiers=["Shift"])
    expect(page.locator("[data-selection]")).to_contain_text("14:00–14:45 (45 мин)")
    page.get_by_role("link", name="Записать", exact=True).click()
    expect(page.locator("h1")).to_have_text("Заявка (создание)")
    expect(page.get_by_label("Врач *")).to_have_value("Ишаева М.И.")
    expect(page.get_by_label("Время приёма *")).to_have_value(f"{day}T14:00")
    expect(page.get_by_label("Длительность, мин")).to_have_value("45")
    page.close()


def test_the_week_keeps_its_time_column_in_sight_while_the_days_scroll(chromium, served, shots):
    page = opened(chromium, served, "/schedule/week?date=2030-01-14&step=30")
    expect(page.locator(".day-head.day-start")).to_have_count(7)
    expect(page.locator(".column")).to_have_count(14)  # both doctors on each of the seven days
    wrap, times = page.locator(".calendar-wrap"), page.locator(".calendar .times")
    before = times.bounding_box()
    first = page.locator(".column").first.bounding_box()
    wrap.evaluate("w => { w.scrollLeft = 900; }")
    page.wait_for_function("() => document.querySelector('.calendar-wrap').scrollLeft >= 900", timeout=WAIT)
    after = times.bounding_box()
    moved = page.locator(".column").first.bounding_box()
    assert before and after and first and moved
    assert moved["x"] < first["x"] - 800  # the days went left
    assert abs(after["x"] - before["x"]) < 2  # the time column stayed
    box = wrap.bounding_box()
    assert box and box["x"] <= after["x"] < box["x"] + 5
    expect(page.locator(".calendar .time").first).to_be_visible()
    page.screenshot(path=shots / "calendar-week-all-doctors.png")
    page.close()


def test_show_rooms_puts_the_rooms_in_the_columns(chromium, served):
    rooms = [served.api.post("/api/catalogs/resources", json={"name": name, "kind": "room"}).json()["id"]
             for name in ("Кабинет 7", "Кабинет 8")]
    served.api.post("/api/catalogs/resources", json={"name": "Рентген", "kind": "equipment"})
    page = opened(chromium, served, "/schedule/week?date=2030-01-14&step=60")
    page.get_by_label("Показать").select_option("room")
    expect(page.locator(f'.column[data-room="{rooms[0]}"]')).to_have_count(7)
    expect(page.locator(f'.column[data-room="{rooms[1]}"]')).to_have_count(7)
    expect(page.locator(".column[data-doctor], .column[data-equipment]")).to_have_count(0)
    expect(page.locator(".col-head").first).to_have_text("Кабинет 7")
    room_cell = page.locator(f'.column[data-room="{rooms[1]}"] .cell[data-time="2030-01-17T10:00"]')
    room_cell.click(modifiers=["Shift"])
    expect(page.get_by_role("link", name="Записать", exact=True)).to_have_attribute(
        "href", f"/documents/requests/new?room_id={rooms[1]}&starts_at=2030-01-17T10%3A00&duration_minutes=60")
    page.get_by_role("link", name="Записать", exact=True).click()
    expect(page.get_by_label("Кабинет")).to_have_value("Кабинет 8")
    expect(page.get_by_label("Длительность, мин")).to_have_value("60")
    page.close()


def test_the_month_shows_who_works_each_day_and_opens_a_day(chromium, served, shots):
    page = opened(chromium, served, "/schedule/month?date=2030-01-01")
    expect(page.locator("h1")).to_have_text("Расписание: Январь 2030")
    day = page.locator('td[data-day="2030-01-17"]')
    expect(day.locator("li")).to_have_count(2)
    expect(day).to_contain_text("Ефимова Е.В.")
    expect(page.locator('td[data-day="2030-01-19"] li')).to_have_count(0)  # a Saturday: nobody works
    page.screenshot(path=shots / "calendar-month.png")
    page.get_by_role("link", name="Следующий месяц").click()
    expect(page.locator("h1")).to_have_text("Расписание: Февраль 2030")
    page.get_by_role("link", name="Предыдущий месяц").click()
    page.locator('td[data-day="2030-01-17"] a.day-link').click()
    expect(page.locator("h1")).to_have_text("Расписание: 17 января 2030, чт")
    expect(page.locator(f'.column[data-doctor="{served.ids["efimova"]}"]')).to_have_count(1)
    page.close()
