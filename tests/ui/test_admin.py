"""Administration: users (create, role, deactivate), the period lock, and the
settings (slot step, default duration, day start and end)."""

from __future__ import annotations

import re

from tests.ui.conftest import DAY, schedule_month


async def test_users_are_created_given_a_role_and_deactivated(browser, login_as, db):
    page = (await browser.get("/admin/users")).text
    assert "admin-user" in page and "Новый пользователь" in page
    r = await browser.post("/admin/users", {"username": "olga", "full_name": "Ольга Бухгалтер",
                                            "role": "accountant", "password": "olga-password"})
    assert "Пользователь создан" in (await browser.get(r.headers["location"])).text
    olga_id = await db.fetchval("SELECT id FROM users WHERE username = 'olga'")
    olga = await login_as("accountant", "olga", "olga-password")
    assert "Администрирование" not in (await olga.get("/")).text
    await browser.post(f"/admin/users/{olga_id}", {"action": "role", "role": "admin"})
    assert "Администрирование" in (await olga.get("/")).text  # the new role applies at once
    await browser.post(f"/admin/users/{olga_id}", {"action": "deactivate"})
    gone = await olga.client.get("/", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    await olga.get("/login")
    await olga.post("/login", {"username": "olga", "password": "olga-password"}, status=401)
    assert "Отключён" in (await browser.get("/admin/users")).text


async def test_bad_users_and_self_lockout_are_refused(browser, db):
    r = await browser.post("/admin/users", {"username": "x", "role": "manager", "password": "short"}, status=422)
    assert "пароль должен быть не короче 8 символов" in r.text
    me = await db.fetchval("SELECT id FROM users WHERE username = 'admin-user'")
    r = await browser.post(f"/admin/users/{me}", {"action": "deactivate"}, status=409)
    assert "Нельзя отключить себя" in r.text
    assert await db.fetchval("SELECT active FROM users WHERE id = $1", me)


async def test_the_period_lock_closes_documents_in_the_ui(browser, api, clinic):
    await schedule_month(api, clinic)
    r = await browser.post("/admin/period-lock", {"date": "2030-01-31", "organization_id": ""})
    page = (await browser.get(r.headers["location"])).text
    assert "Дата запрета изменения записана" in page and "31.01.2030" in page and "Все организации" in page
    refused = await browser.post("/documents/requests/new", {
        "date": f"{DAY}T08:00", "doctor_id": clinic.efimova, "starts_at": f"{DAY}T09:00", "action": "write"},
        status=409)
    assert "Период закрыт: дата запрета изменения 31.01.2030" in refused.text
    await browser.post("/admin/period-lock", {"date": "2030-01-01", "organization_id": clinic.org})
    assert "Клиника" in (await browser.get("/admin/period-lock")).text


async def test_a_lock_of_an_organization_that_does_not_exist_is_refused_in_the_ui_as_over_the_api(
        browser, api, clinic, db):
    """One period-lock service for both sides: the page checks the organization as the API does."""
    r = await browser.post("/admin/period-lock", {"date": "2030-01-31", "organization_id": "999999"}, status=422)
    assert "элемент с id 999999 не найден" in r.text and "Дата запрета изменения" in r.text
    r = await api.client.put("/api/period-lock", json={"date": "2030-01-31", "organization_id": 999999},
                             headers=api.headers)
    assert r.status_code == 422 and "элемент с id 999999 не найден" in r.json()["message"]
    assert await api.get("/api/period-lock") == []
    assert "Период не закрыт" in (await browser.get("/admin/period-lock")).text


async def test_settings_drive_the_calendar_and_new_requests(browser, api, clinic, db):
    page = (await browser.get("/admin/settings")).text
    assert 'name="slot_step_minutes"' in page and 'name="day_start"' in page
    bad = await browser.post("/admin/settings", {"slot_step_minutes": "7", "default_appointment_minutes": "0",
                                                 "day_start": "18:00", "day_end": "09:00",
                                                 "low_stock_threshold": "5"}, status=422)
    assert "окончание дня должно быть позже начала" in bad.text and "целое число от 1 до 1440" in bad.text
    await browser.post("/admin/settings", {"slot_step_minutes": "30", "default_appointment_minutes": "45",
                                           "day_start": "09:00", "day_end": "18:00", "low_stock_threshold": "5"})
    assert await db.fetchval("SELECT value FROM constants WHERE key = 'preference:day_start'") == "09:00"
    await schedule_month(api, clinic)
    calendar = (await browser.get(f"/schedule?date={DAY}")).text
    times = re.findall(r'<div class="time">([^<]+)</div>', calendar)
    assert times[0] == "09:00" and times[1] == "09:30" and times[-1] == "17:30"
    r = await browser.post("/documents/requests/new", {
        "date": f"{DAY}T08:00", "doctor_id": clinic.efimova, "starts_at": f"{DAY}T10:00", "action": "post"})
    doc_id = int(r.headers["location"].split("/")[-1].split("?")[0])
    assert await db.fetchval("SELECT duration_minutes FROM doc_requests WHERE id = $1", doc_id) == 45
