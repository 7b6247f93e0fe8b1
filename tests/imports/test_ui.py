"""Issue 19 point 1 in the browser: «Загрузить из Excel» on the list of an importable catalog for
those who may create its items, a preview with the mapping of columns and the rows at fault,
a mapping changed on the page, and the import itself followed by a progress bar to the end."""

from __future__ import annotations

import asyncio
import re

from tests.imports.conftest import xlsx

CLIENTS = xlsx(["ФИО", "Вид", "Телефон"], ["Соколова Ирина", "Физическое лицо", "+7 900 555-55-55"],
               ["Соколов Илья", "Физическое лицо", None])


async def multipart(browser, path: str, content: bytes, fields: dict | None = None, htmx: bool = False):
    return await browser.client.post(path, files={"file": ("clients.xlsx", content)},
                                     data={"_csrf_token": browser.token, **(fields or {})},
                                     headers={"HX-Request": "true"} if htmx else {}, follow_redirects=False)


async def test_the_list_offers_the_import_to_those_who_may_create_items(browser, login_as, clinic):
    page = await browser.get("/catalogs/nomenclature")
    assert 'href="/catalogs/nomenclature/import"' in page.text
    assert "data-import-link" not in (await browser.get("/catalogs/organizations")).text  # no import there
    manager = await login_as("manager")
    assert "data-import-link" in (await manager.get("/catalogs/clients")).text
    assert "data-import-link" not in (await manager.get("/catalogs/nomenclature")).text
    await manager.get("/catalogs/nomenclature/import", status=403)
    await browser.get("/catalogs/organizations/import", status=404)


async def test_preview_map_a_column_then_import_with_progress(browser, clinic, db):
    page = await browser.get("/catalogs/clients/import")
    assert 'enctype="multipart/form-data"' in page.text and 'name="file"' in page.text

    first = await multipart(browser, "/catalogs/clients/import/preview", CLIENTS, htmx=True)
    assert first.status_code == 200
    # «ФИО» is no title of the catalog: not loaded until chosen
    assert re.search(r'<select id="map-0" name="map-0"[^>]*>\s*<option value="" selected>', first.text)
    assert "с ошибками: 2" in first.text and "наименование не заполнено" in first.text
    assert "data-import-confirm" not in first.text

    mapped = {"map-0": "name", "map-1": "kind", "map-2": "phone"}
    second = await multipart(browser, "/catalogs/clients/import/preview", CLIENTS, mapped, htmx=True)
    assert "будет создано: 2" in second.text and "с ошибками: 0" in second.text
    assert "data-import-confirm" in second.text and "Соколова Ирина" in second.text
    assert await db.fetchval("SELECT count(*) FROM cat_clients WHERE name LIKE 'Сокол%'") == 0

    started = await multipart(browser, "/catalogs/clients/import", CLIENTS, mapped)
    assert started.status_code == 303
    progress_url = started.headers["location"]
    assert progress_url.startswith("/catalogs/clients/import/")
    for _ in range(100):
        progress = await browser.get(progress_url, headers={"HX-Request": "true"})
        if 'data-state="done"' in progress.text:
            break
        assert 'hx-trigger="every 1s"' in progress.text  # the bar polls itself while the import runs
        await asyncio.sleep(0.1)
    assert "Загрузка завершена" in progress.text and "Создано: 2" in progress.text
    assert await db.fetchval("SELECT count(*) FROM cat_clients WHERE name LIKE 'Сокол%'") == 2

    again = await multipart(browser, "/catalogs/clients/import/preview", xlsx(["ФИО", "Телефон"],
                                                                             ["Петров", None]), htmx=True)
    assert re.search(r'<select id="map-0" name="map-0"[^>]*>.*?<option value="name" selected>', again.text, re.S)


async def test_a_refused_import_shows_the_rows_and_writes_nothing(browser, login_as, clinic, db):
    content = xlsx(["Наименование", "Вид"], ["Годный", "Физическое лицо"], ["Негодный", "Инопланетянин"])
    before = await db.fetchval("SELECT count(*) FROM cat_clients")
    started = await multipart(browser, "/catalogs/clients/import", content)
    url = started.headers["location"]
    for _ in range(100):
        page = await browser.get(url)
        if 'data-state="failed"' in page.text:
            break
        await asyncio.sleep(0.1)
    assert "Ничего не загружено" in page.text and "строка 3: Вид — неизвестное значение «Инопланетянин»" in page.text
    assert await db.fetchval("SELECT count(*) FROM cat_clients") == before
    other = await login_as("accountant")
    await other.get(url, status=404)  # another user's import is not theirs to watch
