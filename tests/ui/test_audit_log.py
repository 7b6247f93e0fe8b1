"""Администрирование → Журнал регистрации: an administrator reads who changed
what, filters it, pages through it; managers and accountants are refused."""

from __future__ import annotations

import re


def entries(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


async def test_the_admin_reads_changes_and_failed_logins_and_filters_them(browser, login_as, client, api, clinic):
    await api.patch(f"/api/catalogs/nomenclature/{clinic.goods}", {"price": "30.00"})
    await login_as("manager")
    intruder = await login_as("manager")
    await intruder.get("/login")
    await intruder.post("/login", {"username": "manager-user", "password": "guessed-wrong-1"}, status=401)
    index = (await browser.get("/admin")).text
    assert 'href="/admin/audit-log"' in index and "Журнал регистрации" in index
    page = (await browser.get("/admin/audit-log")).text
    assert "Журнал регистрации" in page and 'name="object_kind"' in page
    assert "Неудачный вход" in page and "guessed-wrong-1" not in page
    changed = (await browser.get("/admin/audit-log", params={"object_kind": "catalog:nomenclature",
                                                             "action": "update"})).text
    assert entries(changed) == ["update"]
    assert "Шприц 5 мл" in changed and f'href="/catalogs/nomenclature/{clinic.goods}"' in changed
    assert re.search(r"<strong>Цена</strong>:\s*<s>25,00</s> → 30,00", changed)  # the title, a Russian number
    failed = (await browser.get("/admin/audit-log", params={"action": "login_failed"})).text
    assert entries(failed) == ["login_failed"] and "manager-user" in failed and "неверный пароль" in failed
    fragment = await browser.get("/admin/audit-log", params={"username": "manager-user", "action": "login"},
                                 headers={"HX-Request": "true"})
    assert "<h1>" not in fragment.text and entries(fragment.text) == ["login", "login"]
    await browser.post("/locale", {"lang": "en", "next": "/"})
    english = (await browser.get("/admin/audit-log", params={"action": "login_failed"})).text
    assert "Audit log" in english and "Failed login" in english and "Журнал регистрации" not in english


async def test_pages_of_25_follow_the_next_link(browser, api):
    for i in range(26):
        await api.item("warehouses", {"name": f"Склад {i:02d}"})
    first = (await browser.get("/admin/audit-log", params={"object_kind": "catalog:warehouses", "limit": 25})).text
    assert entries(first) == ["create"] * 25 and "Склад 25" in first and "Склад 00" not in first
    link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = (await browser.get(link)).text
    assert entries(second) == ["create"] and "Склад 00" in second and 'rel="next"' not in second


async def test_managers_and_accountants_are_refused(login_as):
    for role in ("manager", "accountant"):
        other = await login_as(role)
        r = await other.get("/admin/audit-log", status=403)
        assert "Недостаточно прав" in r.text
