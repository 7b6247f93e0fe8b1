"""Статусы визита: the three predefined ones ("Записан", "Пришел", "Не пришел")
are always there and never marked for deletion; their colour, name and order
are edited like any item, and a status added appears in the menu of an
appointment's block in the calendar, in its order and colour."""

from __future__ import annotations

import re

from tests.ui.conftest import DAY, schedule_month

LISTED = re.compile(r'<a href="/catalogs/visit-statuses/\d+">([^<]+)</a>')
MENU = re.compile(r'name="visit_status_id" value="(\d+)"[^>]*>\s*<span data-fg="(#[0-9a-fA-F]{6})" aria-hidden="true">●'
                  r"</span> ([^<]+)</button>")
PREDEFINED = {"booked": "Записан", "came": "Пришел", "missed": "Не пришел"}


def block_of(html: str, doc_id: int) -> str:
    start = html.index(f'class="appointment" draggable="true" tabindex="0" data-id="{doc_id}"')
    return html[start:html.index("</details>", start)]


async def predefined_ids(db) -> dict[str, int]:
    rows = await db.fetch("SELECT predefined, id FROM cat_visit_statuses WHERE predefined IS NOT NULL")
    return {r["predefined"]: r["id"] for r in rows}


async def test_the_three_predefined_statuses_exist_in_order_and_none_can_be_marked(browser, api, db):
    listing = (await browser.get("/catalogs/visit-statuses")).text
    assert LISTED.findall(listing) == ["Записан", "Пришел", "Не пришел"]
    assert listing.count('data-state="predefined"') == 3
    ids = await predefined_ids(db)
    assert set(ids) == set(PREDEFINED)
    for key, name in PREDEFINED.items():
        url = f"/catalogs/visit-statuses/{ids[key]}"
        form = (await browser.get(url)).text
        assert f"{name} (Статус визита)" in form and "Предопределённый" in form
        assert "Пометить на удаление" not in form  # no such command on its form…
        refused = await browser.post(url, {"action": "mark"}, status=409)  # …nor by a hand-made post…
        assert "Предопределённый элемент нельзя пометить на удаление" in refused.text
        error = await api.post(f"/api/catalogs/visit-statuses/{ids[key]}/mark-deletion", status=409)  # …nor the API
        assert error["code"] == "predefined_item"
    assert await db.fetchval("SELECT count(*) FROM cat_visit_statuses WHERE deletion_mark") == 0
    marked = (await browser.get("/catalogs/visit-statuses?deletion_mark=1")).text
    assert "Ничего не найдено" in marked


async def test_statuses_are_edited_and_a_new_one_appears_in_the_block_menu(browser, api, clinic, db):
    await schedule_month(api, clinic)
    request = await api.create("requests", {"client_id": clinic.client, "doctor_id": clinic.efimova,
                                            "starts_at": f"{DAY}T09:00:00"}, post=True)
    ids = await predefined_ids(db)
    missed = f"/catalogs/visit-statuses/{ids['missed']}"
    bad = await browser.post(missed, {"name": "Не явился", "color": "серый", "sort_order": "0"}, status=422)
    color_field = bad.text[bad.text.index('id="i-color"'):][:400]
    assert "цвет в виде #RRGGBB" in color_field
    assert await db.fetchval("SELECT name FROM cat_visit_statuses WHERE id = $1", ids["missed"]) == "Не пришел"

    r = await browser.post(missed, {"name": "Не явился", "color": "#777777", "sort_order": "0"})
    edited = (await browser.get(r.headers["location"])).text
    assert "Элемент записан" in edited and 'value="#777777"' in edited and 'value="Не явился"' in edited
    r = await browser.post("/catalogs/visit-statuses/new", {"name": "Перенесён", "color": "#aa00ff",
                                                            "sort_order": "4"})
    added = int(r.headers["location"].split("/")[-1].split("?")[0])
    assert LISTED.findall((await browser.get("/catalogs/visit-statuses")).text) == [
        "Не явился", "Записан", "Пришел", "Перенесён"]

    calendar = (await browser.get(f"/schedule?date={DAY}&step=15")).text
    menu = MENU.findall(block_of(calendar, request["id"]))
    assert menu == [(str(ids["missed"]), "#777777", "Не явился"), (str(ids["booked"]), "#4a90d9", "Записан"),
                    (str(ids["came"]), "#3cb371", "Пришел"), (str(added), "#aa00ff", "Перенесён")]
    r = await browser.post(f"/schedule/requests/{request['id']}/status",
                           {"visit_status_id": added, "view": "day", "date": DAY, "step": "15"}, status=200,
                           htmx=True)
    block = block_of(r.text, request["id"])
    assert 'data-status="Перенесён"' in block and 'data-color="#aa00ff"' in block
    assert re.search(rf'value="{added}" aria-pressed="true"', block)
    r = await browser.post(f"/schedule/requests/{request['id']}/status",
                           {"visit_status_id": ids["missed"], "view": "day", "date": DAY, "step": "15"}, status=200,
                           htmx=True)
    block = block_of(r.text, request["id"])
    assert 'data-status="Не явился"' in block and 'data-color="#777777"' in block
