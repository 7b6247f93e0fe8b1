"""Issue 19 points 1 and 6: every importable catalog goes out through the product's own Excel export
(the list's «Excel» button) and comes back in through the import with no change at all — in
Russian and in English — and a changed cell of such a file changes exactly that item."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.imports.conftest import audit_rows, fill_catalogs, snapshot, upload

CATALOGS = ("clients", "nomenclature", "doctors", "warehouses")


async def export(browser, catalog: str) -> bytes:
    r = await browser.get(f"/catalogs/{catalog}/export.xlsx")
    return r.content


@pytest.mark.parametrize("lang", ["ru", "en"])
async def test_every_catalog_round_trips_through_its_export_unchanged(client, admin, api, clinic, browser, db, lang):
    await fill_catalogs(api, clinic)
    if lang == "en":
        await browser.post("/locale", {"lang": "en", "next": "/"})
    for catalog in CATALOGS:
        content = await export(browser, catalog)
        table = f"cat_{catalog}"
        before, logged = await snapshot(db, table), await audit_rows(db)
        preview = await upload(client, admin, catalog, content, preview=True)
        assert preview["errors"] == 0, preview["rows"]
        assert (preview["create"], preview["update"]) == (0, 0), [r for r in preview["rows"] if r["changes"]]
        assert preview["unchanged"] == preview["total"] == len(before)
        assert all(c["target"] for c in preview["columns"]), preview["columns"]  # every exported column is read back
        result = await upload(client, admin, catalog, content)
        assert (result["create"], result["update"], result["unchanged"]) == (0, 0, len(before))
        assert await snapshot(db, table) == before, catalog
        assert await audit_rows(db) == logged


async def test_a_changed_cell_of_an_export_changes_that_item_only(client, admin, api, clinic, browser, db):
    await fill_catalogs(api, clinic)
    book = load_workbook(io.BytesIO(await export(browser, "nomenclature")))
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[headers.index("Наименование")].value == "Приём терапевта")
    row[headers.index("Цена")].value = 1700
    row[headers.index("Группа")].value = "Терапия"
    out = io.BytesIO()
    book.save(out)
    before = {r["name"]: r for r in await snapshot(db, "cat_nomenclature")}

    result = await upload(client, admin, "nomenclature", out.getvalue())

    assert (result["create"], result["update"]) == (0, 1)
    after = {r["name"]: r for r in await snapshot(db, "cat_nomenclature")}
    assert str(after["Приём терапевта"]["price"]) == "1700.00"
    assert after["Приём терапевта"]["parent_id"] == after["Терапия"]["id"]
    assert after["Приём терапевта"]["code"] == before["Приём терапевта"]["code"]  # the same item, not a copy
    assert {k: v for k, v in after.items() if k != "Приём терапевта"} == \
           {k: v for k, v in before.items() if k != "Приём терапевта"}
    changes = await db.fetchval("SELECT changes FROM audit_log WHERE action = 'update' AND object_kind ="
                                " 'catalog:nomenclature' ORDER BY id DESC LIMIT 1")
    assert set(changes) == {"price", "parent_id"}
