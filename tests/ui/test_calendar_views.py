"""Issue 18, point 11, as the server renders it: the month view counts each day's Requests and free
time per doctor (on the clinic's days, across month ends and a leap February); the week view puts all
doctors of each day side by side; the rooms or the equipment replace the doctors when asked; the
«Записать» button; and a Request made from a selected range that overlaps a busy one is a Russian 409."""

from __future__ import annotations

import re

from tests.ui.conftest import DAY, schedule_month

CLIENT_LINE = {"quantity": "1", "price": "1500"}


def month_day(html: str, day: str) -> str:
    start = html.index(f'data-day="{day}"')
    return html[html.rindex("<td", 0, start):html.index("</td>", start)]


def owners(cell: str) -> dict[str, tuple[int, int]]:
    """Each listed doctor's id: (Requests that day, free minutes)."""
    return {who: (int(n), int(free)) for who, n, free in
            re.findall(r'data-owner="(\d+)" data-count="(\d+)" data-free="(\d+)"', cell)}


async def book(api, clinic, starts: str, minutes: int, post: bool = True, **extra) -> dict:
    return await api.create("requests", {"client_id": clinic.client, "doctor_id": clinic.efimova, "starts_at": starts,
                                         "duration_minutes": minutes, **extra,
                                         "lines": [{"nomenclature_id": clinic.service, **CLIENT_LINE}]}, post=post)


async def test_the_month_view_counts_requests_and_free_time_per_doctor_across_month_ends(browser, api, clinic):
    # February 2028 has 29 days; its grid runs from Monday 31.01 to Sunday 05.03.
    for month, lines in (("2028-01", [("2028-01-31", "08:00", "13:00")]),
                         ("2028-02", [("2028-02-01", "00:30", "02:00"), ("2028-02-29", "09:00", "12:00")])):
        await api.create("work-schedules", {"date": f"{month}-01T00:00:00", "month": f"{month}-01", "lines": [
            {"doctor_id": clinic.efimova, "day": day, "start": a, "end": b} for day, a, b in lines]}, post=True)
    await book(api, clinic, "2028-01-31T12:30:00", 30)
    await book(api, clinic, "2028-02-01T01:00:00", 30)  # 31.01 22:00 UTC: still the 1st on the clinic's clock
    await book(api, clinic, "2028-02-29T09:00:00", 30)
    await book(api, clinic, "2028-02-29T10:00:00", 30)
    await book(api, clinic, "2028-02-29T11:00:00", 30, post=False)  # a draft holds no time and is not counted

    page = (await browser.get("/schedule/month?date=2028-02-10")).text
    assert "Февраль 2028" in page
    days = re.findall(r'<td class="([\w -]+)"\s+data-day="([\d-]+)" data-count="(\d+)"', page)
    assert days[0][1] == "2028-01-31" and days[-1][1] == "2028-03-05" and len(days) == 35
    assert [d for c, d, _n in days if "in-month" in c] == [f"2028-02-{n:02d}" for n in range(1, 30)]
    assert [h for h in re.findall(r'<th scope="col">(\w+)</th>', page)] == ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
    efimova = str(clinic.efimova)
    assert owners(month_day(page, "2028-02-29")) == {efimova: (2, 120)}  # 3 h less two half-hours
    assert owners(month_day(page, "2028-02-01")) == {efimova: (1, 60)}
    assert owners(month_day(page, "2028-01-31")) == {efimova: (1, 270)}  # the day before, in the grid too
    assert "Ефимова Е.В." in month_day(page, "2028-02-29") and "своб. 2:00" in month_day(page, "2028-02-29")
    assert owners(month_day(page, "2028-02-28")) == {}  # she does not work, nobody booked
    assert 'href="/schedule?date=2028-02-29' in month_day(page, "2028-02-29")  # a day opens the day view
    assert 'href="/schedule/month?date=2028-01-01' in page and 'href="/schedule/month?date=2028-03-01' in page

    january = (await browser.get("/schedule/month?date=2028-01")).text
    assert "Январь 2028" in january
    classes = {d: c for c, d, _n in re.findall(r'<td class="([\w -]+)"\s+data-day="([\d-]+)" data-count="(\d+)"',
                                                january)}
    assert classes["2028-01-01"] == "in-month weekend"  # a Saturday
    assert owners(month_day(january, "2028-01-31")) == {efimova: (1, 270)}
    assert classes["2028-02-01"] == "other-month" and classes["2027-12-27"] == "other-month"
    assert owners(month_day(january, "2028-02-01")) == {efimova: (1, 60)}

    rooms = (await browser.get("/schedule/month?date=2028-02&resource=room")).text
    assert owners(month_day(rooms, "2028-02-29")) == {str(clinic.room): (0, 13 * 60)}  # always available: 08–21
    assert '<option value="room" selected>' in rooms


async def test_the_week_view_shows_every_doctor_of_each_day_beside_a_fixed_time_column(browser, api, clinic):
    await schedule_month(api, clinic)
    page = (await browser.get(f"/schedule/week?date={DAY}&step=30")).text
    columns = re.findall(r'class="column( day-start)?" data-doctor="(\d+)"\s+data-field="doctor_id" '
                         r'data-owner="\d+" data-day="([\d-]+)"', page)
    # Ефимова and Ишаева work that week, Петрова does not; each day has both, the day's first starts a group.
    assert [(d, day) for _s, d, day in columns] == [
        (str(doctor), f"2030-01-{n}") for n in range(14, 21) for doctor in (clinic.efimova, clinic.ishaeva)]
    assert [bool(s) for s, _d, _day in columns] == [True, False] * 7
    assert len(re.findall(r'class="day-head day-start"', page)) == 7 and "Пн, 14.01.2030" in page
    assert page.count('class="times"') == 1 and 'class="calendar by-day"' in page
    assert '<option value="" selected>Все врачи</option>' in page
    for odd in ("date=x", "date=9999-12", "date=2028-13", "date=0001-01", "resource=%3Cscript%3E",
                "doctor_id=-1", "doctor_id=99999999999999999999", "doctor_id=abc"):
        for view in ("/schedule/week", "/schedule/month", "/schedule"):
            page = (await browser.get(f"{view}?{odd}")).text  # odd input falls back to today: a 200, never a 500
            assert "Расписание" in page and "<script>" not in page
    css = (await browser.get("/static/ui/app.css")).text
    assert ".calendar .corner, .calendar .times { position: sticky; left: 0; }" in css


async def test_rooms_replace_the_doctors_when_chosen(browser, api, clinic):
    await schedule_month(api, clinic)
    second = await api.item("resources", {"name": "Кабинет 2", "kind": "room", "always_available": False})
    scanner = await api.item("resources", {"name": "УЗИ-аппарат", "kind": "equipment"})
    await api.create("resource-schedules", {"date": f"{DAY[:8]}01T00:00:00", "month": f"{DAY[:8]}01", "lines": [
        {"resource_id": second["id"], "day": DAY, "start": "12:00", "end": "14:00"}]}, post=True)
    await book(api, clinic, f"{DAY}T09:00:00", 30, room_id=clinic.room)
    page = (await browser.get(f"/schedule?date={DAY}&step=30&resource=room")).text
    heads = re.findall(r'<div class="col-head" role="columnheader">([^<]+)</div>', page)
    assert heads == ["Кабинет 1", "Кабинет 2"]  # no doctors, no equipment
    room = page[page.index(f'data-room="{clinic.room}"'):page.index(f'data-room="{second["id"]}"')]
    assert "09:00–09:30" in room and "Ефимова Е.В." in room  # the block names the doctor
    assert f'href="/documents/requests/new?room_id={clinic.room}&amp;starts_at={DAY}T10:00"' in room
    other = page[page.index(f'data-room="{second["id"]}"'):]
    assert f'href="/documents/requests/new?room_id={second["id"]}&amp;starts_at={DAY}T12:00"' in other
    assert f'<div class="cell" data-time="{DAY}T11:30"></div>' in other  # outside its own schedule
    week = (await browser.get(f"/schedule/week?date={DAY}&step=60&resource=equipment")).text
    assert week.count(f'data-equipment="{scanner["id"]}"') == 7 and "Кабинет 1" not in week


async def test_the_book_button_and_a_range_that_overlaps_a_busy_time_is_refused(browser, api, clinic, db):
    await schedule_month(api, clinic)
    busy = await book(api, clinic, f"{DAY}T09:00:00", 30, room_id=clinic.room)
    day = (await browser.get(f"/schedule?date={DAY}")).text
    assert re.search(r'<a class="button default" id="book" data-book href="/documents/requests/new">Записать</a>', day)
    week = (await browser.get(f"/schedule/week?date={DAY}&doctor_id={clinic.ishaeva}")).text
    assert f'data-book href="/documents/requests/new?doctor_id={clinic.ishaeva}"' in week
    assert "data-book" in (await browser.get(f"/schedule/month?date={DAY}")).text
    # What «Записать» opens for the range 08:30–09:30 of Ефимова (calendar.js builds the same link).
    form = (await browser.get(f"/documents/requests/new?doctor_id={clinic.efimova}&starts_at={DAY}T08:30"
                              "&duration_minutes=60")).text
    assert 'name="duration_minutes"' in form and 'value="60"' in form and f'value="{DAY}T08:30"' in form
    fields = {"date": f"{DAY}T08:00", "client_id": clinic.client, "starts_at": f"{DAY}T08:30", "duration_minutes": "60",
              "amocrm_lead_id": "", "visit_status_id": "", "comment": "", "lines-0-nomenclature_id": clinic.service,
              "lines-0-quantity": "1", "lines-0-price": "1500", "action": "post"}
    count = await db.fetchval("SELECT count(*) FROM doc_requests")
    taken = await browser.post("/documents/requests/new", {**fields, "doctor_id": clinic.efimova}, status=409)
    assert "Это время у врача уже занято другой заявкой" in taken.text
    # The same range selected on the room's column, with another doctor: the room is what is busy.
    room = await browser.post("/documents/requests/new", {**fields, "doctor_id": clinic.ishaeva,
                                                          "room_id": clinic.room}, status=409)
    assert "Кабинет «Кабинет 1» уже занят в это время другой заявкой" in room.text
    assert await db.fetchval("SELECT count(*) FROM doc_requests") == count  # nothing written
    fine = await browser.post("/documents/requests/new", {**fields, "doctor_id": clinic.ishaeva,
                                                          "starts_at": f"{DAY}T10:00"})
    doc_id = int(fine.headers["location"].split("/")[3].split("?")[0])
    row = await db.fetchrow("SELECT posted, ends_at - starts_at AS length FROM doc_requests WHERE id = $1", doc_id)
    assert row["posted"] and row["length"].total_seconds() == 3600
    # Dragged onto another room's column, the block changes the room and keeps the doctor.
    other = await api.item("resources", {"name": "Кабинет 2", "kind": "room"})
    r = await browser.post(f"/schedule/requests/{busy['id']}/move", {
        "room_id": other["id"], "starts_at": f"{DAY}T11:00", "view": "day", "date": DAY, "step": "30",
        "resource": "room"}, status=200, htmx=True)
    assert "11:00–11:30" in r.text[r.text.index(f'data-room="{other["id"]}"'):]
    moved = await db.fetchrow("SELECT room_id, doctor_id FROM doc_requests WHERE id = $1", busy["id"])
    assert moved["room_id"] == other["id"] and moved["doctor_id"] == clinic.efimova
