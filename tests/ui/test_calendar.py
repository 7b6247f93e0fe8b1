"""The day calendar: doctors as columns, time as rows with a chosen step,
working hours white, appointments as coloured blocks, a click on a free cell
starts a Request, drag and drop moves it (or snaps back with the reason),
visit statuses from the block's menu, the week view and the red line."""

from __future__ import annotations

import datetime as dt
import re

from tests.ui.conftest import DAY, schedule_month


def column(html: str, doctor: int) -> str:
    start = html.index(f'data-doctor="{doctor}"')
    end = html.find('class="column"', start)
    return html[start:end if end > 0 else None]


PAST = "2025-01-13"  # a Monday already gone: only a visit that has started can be «Пришел»


async def booked(api, clinic, time: str = "09:00", day: str = DAY) -> dict:
    return await api.create("requests", {"client_id": clinic.client, "doctor_id": clinic.efimova,
                                         "starts_at": f"{day}T{time}:00", "lines": [
                                             {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]},
                            post=True)


async def test_doctors_are_columns_with_working_hours_white_and_the_step_is_a_choice(browser, api, clinic):
    await schedule_month(api, clinic)
    page = (await browser.get(f"/schedule?date={DAY}&step=15")).text
    assert "Ефимова Е.В." in page and "Ишаева М.И." in page and "Петрова О.Н." not in page  # she does not work
    efimova = column(page, clinic.efimova)
    assert f'<div class="cell" data-time="{DAY}T08:00"></div>' in efimova  # before 08:15: grey
    assert f'href="/documents/requests/new?doctor_id={clinic.efimova}&amp;starts_at={DAY}T08:15"' in efimova
    assert f'data-time="{DAY}T08:30"' in efimova and f'data-time="{DAY}T08:20"' not in efimova
    fine = (await browser.get(f"/schedule?date={DAY}&step=5")).text
    assert f'data-time="{DAY}T08:20"' in column(fine, clinic.efimova)
    remembered = (await browser.get(f"/schedule?date={DAY}")).text
    assert '<option value="5" selected>' in remembered
    for step in (5, 10, 15, 30, 60):
        assert f'<option value="{step}"' in page


async def test_a_free_cell_opens_a_prefilled_request_that_books_the_time(browser, api, clinic):
    await schedule_month(api, clinic)
    form = (await browser.get(f"/documents/requests/new?doctor_id={clinic.efimova}&starts_at={DAY}T10:30")).text
    assert f'name="doctor_id" value="{clinic.efimova}"' in form and f'value="{DAY}T10:30"' in form
    assert "Ефимова Е.В." in form
    r = await browser.post("/documents/requests/new", {
        "date": f"{DAY}T08:00", "doctor_id": clinic.efimova, "starts_at": f"{DAY}T10:30", "client_id": clinic.client,
        "duration_minutes": "", "amocrm_lead_id": "", "visit_status_id": "", "comment": "",
        "lines-0-nomenclature_id": clinic.service, "lines-0-quantity": "1", "lines-0-price": "1500",
        "action": "post"})
    assert "Документ проведён" in (await browser.get(r.headers["location"])).text
    page = (await browser.get(f"/schedule?date={DAY}&step=15")).text
    block = column(page, clinic.efimova)
    assert "10:30–11:10" in block and "Иванов Иван Иванович" in block and "Приём терапевта" in block


async def test_appointments_are_blocks_coloured_by_visit_status_changed_from_the_menu(browser, api, clinic, db):
    await schedule_month(api, clinic, PAST)
    request = await booked(api, clinic, day=PAST)
    page = (await browser.get(f"/schedule?date={PAST}&step=15")).text
    block = page[page.index(f'data-id="{request["id"]}"'):][:3000]
    assert 'data-color="#4a90d9"' in block and 'data-status="Записан"' in block
    came = await db.fetchval("SELECT id FROM cat_visit_statuses WHERE predefined = 'came'")
    assert f'name="visit_status_id" value="{came}"' in block
    r = await browser.post(f"/schedule/requests/{request['id']}/status",
                           {"visit_status_id": came, "view": "day", "date": PAST, "step": "15"}, status=200, htmx=True)
    assert "<html" not in r.text
    block = r.text[r.text.index(f'data-id="{request["id"]}"'):][:400]
    assert 'data-color="#3cb371"' in block and 'data-status="Пришел"' in block
    assert await db.fetchval("SELECT visit_status_id FROM doc_requests WHERE id = $1", request["id"]) == came


async def test_dragging_moves_and_reposts_or_snaps_back_with_the_reason(browser, api, clinic, db):
    await schedule_month(api, clinic)
    request = await booked(api, clinic)
    await booked(api, clinic, "11:00")
    move = f"/schedule/requests/{request['id']}/move"
    r = await browser.post(move, {"doctor_id": clinic.ishaeva, "starts_at": f"{DAY}T14:15", "view": "day",
                                  "date": DAY, "step": "15"}, status=200, htmx=True)
    assert "14:15–14:55" in column(r.text, clinic.ishaeva)
    row = await db.fetchrow("SELECT doctor_id, starts_at, posted FROM doc_requests WHERE id = $1", request["id"])
    assert row["doctor_id"] == clinic.ishaeva and row["posted"]
    assert row["starts_at"].astimezone(dt.timezone(dt.timedelta(hours=3))).strftime("%H:%M") == "14:15"
    refused = await browser.post(move, {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T13:30"}, status=409,
                                 htmx=True)
    assert "Врач не работает в это время" in refused.text and "08:15–13:00" in refused.text
    taken = await browser.post(move, {"doctor_id": clinic.efimova, "starts_at": f"{DAY}T10:45"}, status=409,
                               htmx=True)
    assert "уже занято" in taken.text
    assert await db.fetchval("SELECT doctor_id FROM doc_requests WHERE id = $1", request["id"]) == clinic.ishaeva
    script = (await browser.get("/static/ui/calendar.js")).text
    assert "dragstart" in script and "snaps back" in script


async def test_the_week_view_shows_one_chosen_doctors_seven_days(browser, api, clinic):
    await schedule_month(api, clinic)
    await booked(api, clinic)
    page = (await browser.get(f"/schedule/week?date={DAY}&doctor_id={clinic.efimova}&step=30")).text
    days = re.findall(r'class="column day-start" data-doctor="(\d+)"\s+data-field="doctor_id" data-owner="\d+" '
                      r'data-day="([\d-]+)"', page)
    assert days == [(str(clinic.efimova), f"2030-01-{d}") for d in range(14, 21)]
    assert "09:00–09:40" in page and "Иванов Иван Иванович" in page


async def test_today_has_a_red_current_time_line(browser, api, clinic):
    await browser.post("/admin/settings", {"slot_step_minutes": "15", "default_appointment_minutes": "30",
                                           "day_start": "00:00", "day_end": "23:59", "low_stock_threshold": "10"})
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=3))).date().isoformat()
    await schedule_month(api, clinic, today)
    assert "data-now-line" in (await browser.get(f"/schedule?date={today}")).text
    assert "data-now-line" not in (await browser.get(f"/schedule?date={DAY}")).text
