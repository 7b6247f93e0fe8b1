"""The benchmark clinic: the catalogs every data set and row builds on.

One organization, warehouses × goods (the stock register's keys), services,
clients and doctors, in the numbers a :class:`Volumes` asks for. Items are
validated by the catalogs' own rules (:func:`erp.platform.catalog_service.parse_item`)
and written set-based: codes are reserved with one counter update per catalog
and the items inserted with one ``unnest`` statement, so even the full size
takes a second or two.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg

from erp.platform.catalog import Catalog
from erp.platform.catalog_service import parse_item
from erp.platform.fields import quote

if TYPE_CHECKING:
    from .core import Context

PREFIX = "БН"

RESERVE_SQL = """
INSERT INTO document_counters (kind, prefix, year, last) VALUES ($1, '', 0, $2)
ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + EXCLUDED.last
RETURNING last
"""


@dataclass(frozen=True)
class Volumes:
    """How much data: catalogs, stock history, documents."""

    warehouses: int
    goods: int
    services: int
    clients: int
    doctors: int
    movements: int  # stock movements of history
    years: int  # over how many years, ending now
    renderings: int  # ServiceRenderings for the lists
    requests: int  # posted Requests on the slots day
    # the skewed history of row 4c, on a warehouse of its own: long keys × movements, short keys × movements
    long_keys: int = 0
    long_movements: int = 0
    short_keys: int = 0
    short_movements: int = 0

    @property
    def keys(self) -> int:
        return self.warehouses * self.goods


SMOKE = Volumes(warehouses=2, goods=50, services=10, clients=50, doctors=50, movements=20_000, years=3,
                renderings=5_000, requests=100, long_keys=2, long_movements=10_000, short_keys=20,
                short_movements=100)
FULL = Volumes(warehouses=10, goods=1_000, services=100, clients=1_000, doctors=50, movements=10_000_000,
               years=3, renderings=1_000_000, requests=500, long_keys=4, long_movements=100_000, short_keys=100,
               short_movements=100)


def volumes(size: str) -> Volumes:
    return SMOKE if size == "smoke" else FULL


@dataclass(frozen=True)
class Clinic:
    organization: int
    prefix: str
    warehouses: tuple[int, ...]
    goods: tuple[int, ...]
    services: tuple[int, ...]
    clients: tuple[int, ...]
    doctors: tuple[int, ...]
    supplier: int
    prices: Mapping[int, int]  # nomenclature id → whole-ruble price

    @property
    def stock_keys(self) -> list[tuple[int, int]]:
        """(warehouse, goods) pairs: the stock register's keys."""
        return list(itertools.product(self.warehouses, self.goods))


async def add_items(conn: asyncpg.Connection, catalog: Catalog, items: Sequence[Mapping[str, Any]]) -> list[int]:
    """Validate ``items`` like the API does and insert them with one statement; their ids in order."""
    values = [parse_item(catalog, item, partial=False) for item in items]
    if not values:
        return []
    last = await conn.fetchval(RESERVE_SQL, catalog.counter_kind, len(values))
    codes = [str(last - len(values) + i).zfill(catalog.code_width) for i in range(1, len(values) + 1)]
    columns = list(values[0])
    types = ["text" if c == "name" else catalog.field(c).sql_type for c in columns]
    arrays = [[v[c] for v in values] for c in columns]
    unnest = ", ".join(f"${i}::{t}[]" for i, t in enumerate(["text", *types], start=1))
    rows = await conn.fetch(
        f'INSERT INTO "{catalog.table}" (code, {", ".join(map(quote, columns))})'
        f" SELECT * FROM unnest({unnest}) RETURNING id", codes, *arrays)
    return [r["id"] for r in rows]


async def build_clinic(conn: asyncpg.Connection, registry, v: Volumes) -> Clinic:
    """Create the catalogs of a clinic of volumes ``v`` in one transaction."""
    cat = registry.catalogs
    async with conn.transaction():
        (org,) = await add_items(conn, cat["organizations"], [{
            "name": "Клиника (бенчмарк)", "full_name": "ООО «Клиника»", "inn": "7707083893", "kpp": "773601001",
            "vat_rate": "20", "number_prefix": PREFIX}])
        warehouses = await add_items(conn, cat["warehouses"], [{"name": f"Склад {i + 1}"}
                                                               for i in range(v.warehouses)])
        goods_prices = [10 + (i * 37) % 990 for i in range(v.goods)]
        goods = await add_items(conn, cat["nomenclature"], [
            {"name": f"Товар {i + 1:05d}", "kind": "goods", "unit": "шт", "price": str(p), "vat_rate": "20"}
            for i, p in enumerate(goods_prices)])
        service_prices = [500 + (i * 113) % 4500 for i in range(v.services)]
        services = await add_items(conn, cat["nomenclature"], [
            {"name": f"Услуга {i + 1:04d}", "kind": "service", "unit": "усл", "price": str(p),
             "duration_minutes": 30} for i, p in enumerate(service_prices)])
        clients = await add_items(conn, cat["clients"], [{"name": f"Клиент {i + 1:06d}", "kind": "person"}
                                                         for i in range(v.clients)])
        (supplier,) = await add_items(conn, cat["clients"], [{"name": "ООО «Поставщик»", "kind": "company"}])
        doctors = await add_items(conn, cat["doctors"], [
            {"name": f"Врач {i + 1:03d}", "full_name": f"Врач номер {i + 1}", "specialty": "Терапевт"}
            for i in range(v.doctors)])
    prices = dict(zip(goods, goods_prices, strict=True)) | dict(zip(services, service_prices, strict=True))
    return Clinic(org, PREFIX, tuple(warehouses), tuple(goods), tuple(services), tuple(clients), tuple(doctors),
                  supplier, prices)


async def create_clinic(ctx: Context) -> Clinic:
    pool = await ctx.pool()
    async with pool.acquire() as conn:
        return await build_clinic(conn, ctx.registry, volumes(ctx.size))
