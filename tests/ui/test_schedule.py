"""The WorkSchedule month grid: days × doctors, several intervals per cell,
"Заполнить по шаблону", "Скопировать из прошлого месяца", and posting that
shows in the calendar."""

from __future__ import annotations

import re

from tests.ui.conftest import DAY

MONTH = "2030-01"


def cell(doctor: int, day: str) -> str:
    return f"cell-{doctor}-{day}"


def cell_value(html: str, doctor: int, day: str) -> str:
    return re.search(rf'name="{cell(doctor, day)}" value="([^"]*)"', html).group(1)


async def test_the_grid_is_days_by_doctors_and_posting_shows_in_the_calendar(browser, api, clinic):
    page = (await browser.get(f"/schedule/work-schedules/new?month={MONTH}")).text
    assert page.count('name="cell-') == 31 * 3
    assert "Ефимова Е.В." in page and "Ишаева М.И." in page and "Петрова О.Н." in page
    assert "Заполнить по шаблону" in page and "Скопировать из прошлого месяца" in page
    form = {"month": MONTH, "date": "2030-01-01T00:00", "comment": "",
            cell(clinic.efimova, DAY): "08:15 - 13:00, 15:30 - 17:00", cell(clinic.ishaeva, DAY): "8:00-16:00",
            "action": "post"}
    r = await browser.post("/schedule/work-schedules/new", form)
    saved = (await browser.get(r.headers["location"])).text
    assert "Документ проведён" in saved and cell_value(saved, clinic.efimova, DAY) == "08:15 - 13:00, 15:30 - 17:00"
    assert f'href="/schedule?date={DAY}" data-calendar-link' in saved
    calendar = (await browser.get(f"/schedule?date={DAY}&step=15")).text
    efimova = calendar[calendar.index(f'data-doctor="{clinic.efimova}"'):]
    efimova = efimova[:efimova.index('class="column"') if 'class="column"' in efimova else None]
    assert f'data-time="{DAY}T08:15"' in efimova and f'href="/documents/requests/new?doctor_id={clinic.efimova}' \
        f'&amp;starts_at={DAY}T15:30"' in efimova
    assert f'<div class="cell" data-time="{DAY}T14:00"></div>' in efimova  # the break between intervals is grey
    slots = await api.get("/api/schedule/slots", date=DAY, doctor_id=clinic.efimova)
    assert slots["doctors"][0]["intervals"] == [["08:15", "13:00"], ["15:30", "17:00"]]


async def test_fill_from_a_template_changes_the_grid_but_saves_nothing(browser, clinic, db):
    form = [("month", MONTH), ("date", "2030-01-01T00:00"), ("comment", ""), ("action", "fill"),
            ("tpl_doctor", clinic.ishaeva), *[("tpl_weekday", d) for d in range(5)],
            ("tpl_start", "09:00"), ("tpl_end", "18:00")]
    r = await browser.post("/schedule/work-schedules/new", form, status=200)
    assert cell_value(r.text, clinic.ishaeva, "2030-01-14") == "09:00 - 18:00"  # Monday
    assert cell_value(r.text, clinic.ishaeva, "2030-01-18") == "09:00 - 18:00"  # Friday
    assert cell_value(r.text, clinic.ishaeva, "2030-01-19") == ""  # Saturday
    assert cell_value(r.text, clinic.efimova, "2030-01-14") == ""  # not chosen
    assert 'data-dirty="1"' in r.text
    assert await db.fetchval("SELECT count(*) FROM doc_work_schedules") == 0


async def test_copy_from_the_previous_month_weekday_by_weekday(browser, api, clinic):
    await api.create("work-schedules", {"date": "2029-12-01T00:00:00", "month": "2029-12-01", "lines": [
        {"doctor_id": clinic.efimova, "day": "2029-12-17", "start": "10:00", "end": "12:00"},
        {"doctor_id": clinic.efimova, "day": "2029-12-17", "start": "14:00", "end": "15:00"},
        {"doctor_id": clinic.third, "day": "2029-12-22", "start": "09:00", "end": "13:00"}]}, post=True)
    r = await browser.post("/schedule/work-schedules/new", {"month": MONTH, "action": "copy"}, status=200)
    assert cell_value(r.text, clinic.efimova, "2030-01-14") == "10:00 - 12:00, 14:00 - 15:00"  # Mon ← Mon 17.12
    assert cell_value(r.text, clinic.third, "2030-01-19") == "09:00 - 13:00"  # Sat ← Sat 22.12
    assert cell_value(r.text, clinic.efimova, "2030-01-15") == ""


async def test_bad_cells_are_marked_and_nothing_is_written(browser, clinic, db):
    form = {"month": MONTH, "action": "post", cell(clinic.efimova, DAY): "утром",
            cell(clinic.ishaeva, DAY): "08:00 - 12:00, 11:00 - 13:00"}
    r = await browser.post("/schedule/work-schedules/new", form, status=422)
    assert "График не записан: исправьте отмеченные клетки" in r.text
    assert "«утром»: ожидается интервал ЧЧ:ММ - ЧЧ:ММ" in r.text
    form[cell(clinic.efimova, DAY)] = "09:00 - 10:00"
    r = await browser.post("/schedule/work-schedules/new", form, status=422)
    around = r.text[r.text.index(f'name="{cell(clinic.ishaeva, DAY)}"'):][:700]
    assert "пересекаются" in around
    assert await db.fetchval("SELECT count(*) FROM doc_work_schedules") == 0
