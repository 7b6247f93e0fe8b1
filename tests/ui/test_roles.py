"""Menus follow the role, and a direct URL to what a role may not use gets 403."""

from __future__ import annotations


async def test_the_sections_panel_has_every_section_for_an_admin(browser):
    page = (await browser.get("/")).text
    for title in ("Главное", "Справочники", "Документы", "Банк и касса", "Расписание", "Отчёты", "Интеграции",
                  "Администрирование"):
        assert f">{title}</a>" in page


async def test_a_manager_sees_no_administration_and_is_refused_at_its_urls(login_as, db):
    manager = await login_as("manager")
    page = (await manager.get("/")).text
    assert "Администрирование" not in page and ">Расписание</a>" in page
    for path in ("/admin", "/admin/users", "/admin/settings", "/admin/period-lock"):
        r = await manager.get(path, status=403)
        assert "Недостаточно прав" in r.text
    users = await db.fetchval("SELECT count(*) FROM users")
    await manager.post("/admin/users", {"username": "intruder", "role": "admin", "password": "password-123"},
                       status=403)
    assert await db.fetchval("SELECT count(*) FROM users") == users


async def test_an_accountant_is_refused_administration_too(login_as):
    accountant = await login_as("accountant")
    assert "Администрирование" not in (await accountant.get("/")).text
    await accountant.get("/admin/users", status=403)


async def test_a_manager_reads_catalogs_but_cannot_change_what_only_accountants_keep(login_as, db):
    manager = await login_as("manager")
    page = (await manager.get("/catalogs/nomenclature")).text
    assert "Номенклатура AmoCRM" in page
    assert 'href="/catalogs/nomenclature/new"' not in page  # no "Создать" button
    await manager.get("/catalogs/nomenclature/new", status=403)
    before = await db.fetchval("SELECT count(*) FROM cat_nomenclature")
    await manager.post("/catalogs/nomenclature/new", {"name": "Услуга менеджера"}, status=403)
    assert await db.fetchval("SELECT count(*) FROM cat_nomenclature") == before
    # …but managers do keep clients.
    await manager.post("/catalogs/clients/new", {"name": "Клиент менеджера", "kind": "person"})


async def test_bank_and_cash_gathers_the_money_documents_catalogs_and_reports(browser, login_as):
    page = (await browser.get("/bank")).text
    assert 'aria-current="page">Банк и касса</a>' in page
    for href, title in (("/documents/payments", "Поступление оплаты"), ("/documents/outgoing-payments", None),
                        ("/documents/money-transfers", None), ("/bank-statements", "Загрузить выписку"),
                        ("/catalogs/cash-desks", None), ("/catalogs/bank-accounts", "Банковские счета"),
                        ("/catalogs/cash-flow-items", None), ("/reports/money", "Денежные средства"),
                        ("/reports/receivables", None), ("/reports/reconciliation", "Акт сверки взаиморасчётов")):
        assert f'href="{href}"' in page, href
        if title:
            assert f'<a href="{href}">{title}</a>' in page
        await browser.get(href)  # every card opens
    accountant = await login_as("accountant")
    assert ">Банк и касса</a>" in (await accountant.get("/")).text
    await accountant.get("/bank")
    manager = await login_as("manager")
    assert "Банк и касса" not in (await manager.get("/")).text
    refused = await manager.get("/bank", status=403)
    assert "Недостаточно прав" in refused.text
