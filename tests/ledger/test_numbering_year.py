"""Acceptance point 1 of issue 14: numbers stay unique per kind, prefix and year. A written
document whose date moves into another calendar year takes the next number of the new year's
series, and the old series gives its number back (gapless in both years); when that number is not
the old series' last, the move is refused with a 409. The rule is the platform's numbering, so it
holds for every document kind: the core's own kinds (with and without a prefix) and the clinic's."""

from __future__ import annotations

import pytest

from erp.platform import catalog_service as svc
from erp.platform.errors import Conflict
from tests.core.conftest import engine, registry  # noqa: F401

SERIES_DUPLICATES = """SELECT number_prefix, extract(year FROM date AT TIME ZONE 'Europe/Moscow')::int, number
FROM "{table}" GROUP BY 1, 2, 3 HAVING count(*) > 1"""


@pytest.fixture
async def shops(db, registry):  # noqa: F811
    make = registry.catalogs["shops"]
    return [(await svc.create(db, registry, make, {"name": name, "prefix": prefix}))["id"]
            for name, prefix in (("Центр", "Ц"), ("Север", "С"))]


def data(kind: str, shop: int, day: str) -> dict:
    return {"date": f"{day}T10:00:00", "shop_id": shop} if kind == "arrivals" else {"date": f"{day}T10:00:00",
                                                                                     "text": "заметка"}


async def series(db, table: str) -> list[tuple]:
    return [tuple(r) for r in await db.fetch(
        f'SELECT number_year, number, extract(year FROM date AT TIME ZONE \'Europe/Moscow\')::int'
        f' FROM "{table}" ORDER BY number_year, number')]


@pytest.mark.parametrize(("kind", "prefix"), [("arrivals", "Ц"), ("notes", "")])
async def test_moving_the_last_number_into_another_year_renumbers_it_gaplessly(db, registry, engine, shops,  # noqa: F811
                                                                               kind, prefix):
    kind_ = registry.documents[kind]

    def n(value: int) -> str:
        return prefix + str(value).zfill(11 - len(prefix))

    first = await engine.create(db, kind_, data(kind, shops[0], "2021-03-01"))
    second = await engine.create(db, kind_, data(kind, shops[0], "2021-06-01"))
    next_year = await engine.create(db, kind_, data(kind, shops[0], "2022-02-01"))
    assert (first.number, second.number, next_year.number) == (n(1), n(2), n(1))

    moved = await engine.update(db, kind_, second.id, data(kind, shops[0], "2022-03-01"))
    assert moved.number == n(2)  # the new year's next number
    assert (await engine.get(db, kind_, second.id)).number == n(2)
    # the old year took its number back: its next document is number 2 again, no gap, no duplicate
    again = await engine.create(db, kind_, data(kind, shops[0], "2021-07-01"))
    assert again.number == n(2)
    later = await engine.create(db, kind_, data(kind, shops[0], "2022-04-01"))
    assert later.number == n(3)
    assert await series(db, kind_.table) == [(2021, n(1), 2021), (2021, n(2), 2021),
                                             (2022, n(1), 2022), (2022, n(2), 2022), (2022, n(3), 2022)]
    assert await db.fetch(SERIES_DUPLICATES.format(table=kind_.table)) == []


@pytest.mark.parametrize("kind", ["arrivals", "notes"])
async def test_moving_a_number_that_is_not_its_years_last_is_refused(db, registry, engine, shops, kind):  # noqa: F811
    kind_ = registry.documents[kind]
    first = await engine.create(db, kind_, data(kind, shops[0], "2021-03-01"))
    await engine.create(db, kind_, data(kind, shops[0], "2021-06-01"))
    counters = await db.fetch("SELECT * FROM document_counters ORDER BY kind, prefix, year")
    before = await series(db, kind_.table)

    with pytest.raises(Conflict) as refused:
        await engine.update(db, kind_, first.id, data(kind, shops[0], "2022-03-01"))
    assert (refused.value.status, refused.value.code) == (409, "number_series_change")
    assert f"№ {first.number}" in refused.value.message and "не последний" in refused.value.message
    # nothing changed: the document keeps its date and number, the counters theirs
    assert (await engine.get(db, kind_, first.id)).date.year == 2021
    assert await series(db, kind_.table) == before
    assert await db.fetch("SELECT * FROM document_counters ORDER BY kind, prefix, year") == counters
    # within its year the date moves freely
    assert (await engine.update(db, kind_, first.id, data(kind, shops[0], "2021-12-31"))).number == first.number


async def test_another_organization_moves_the_number_into_its_prefix_series(db, registry, engine, shops):  # noqa: F811
    arrivals = registry.documents["arrivals"]
    center = await engine.create(db, arrivals, data("arrivals", shops[0], "2021-03-01"))
    north = await engine.create(db, arrivals, data("arrivals", shops[1], "2021-03-02"))
    assert (center.number, north.number) == ("Ц0000000001", "С0000000001")
    moved = await engine.update(db, arrivals, center.id, data("arrivals", shops[1], "2021-03-01"))
    assert moved.number == "С0000000002"
    assert (await engine.create(db, arrivals, data("arrivals", shops[0], "2021-04-01"))).number == "Ц0000000001"


async def receipt_data(clinic, day: str, price: str = "10.00") -> dict:
    return {"date": f"{day}T09:00:00", "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
            "lines": [{"nomenclature_id": clinic.goods, "quantity": "1", "price": price}]}


async def test_over_rest_a_posted_document_is_renumbered_or_refused_with_a_russian_409(api, clinic):
    first = await api.create("goods-receipts", await receipt_data(clinic, "2025-12-29"), post=True)
    await api.create("goods-receipts", await receipt_data(clinic, "2025-12-30"), post=True)
    last = await api.create("goods-receipts", await receipt_data(clinic, "2025-12-31"), post=True)
    new_year = await api.create("goods-receipts", await receipt_data(clinic, "2026-01-02"), post=True)
    assert [d["number"] for d in (first, last, new_year)] == ["00000000001", "00000000003", "00000000001"]

    moved = await api.put(f"/api/documents/goods-receipts/{last['id']}", await receipt_data(clinic, "2026-01-05"))
    assert (moved["number"], moved["posted"]) == ("00000000002", True)

    refused = await api.put(f"/api/documents/goods-receipts/{first['id']}", await receipt_data(clinic, "2026-01-06"),
                            status=409)
    assert refused["code"] == "number_series_change"
    assert "нельзя перенести в другой год" in refused["message"]
    kept = await api.get(f"/api/documents/goods-receipts/{first['id']}")
    assert (kept["number"], kept["date"][:10]) == ("00000000001", "2025-12-29")
    again = await api.create("goods-receipts", await receipt_data(clinic, "2025-12-31"))
    assert again["number"] == "00000000003"
