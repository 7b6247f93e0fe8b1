"""Stock reports (issue 16 point 8) as the web UI shows them, with names instead of ids:

* «Оборотная ведомость по товарам»: per warehouse and item, opening, receipts, expenses and
  closing (quantity and cost) of a period, from the stock register's остатки и обороты; the
  totals are per unit of measure, since quantities of different units are never added up;
* «История товара»: every movement of one item (in one warehouse or all) in a period, with the
  document that made it and the balance after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from erp.platform.errors import ValidationError
from erp.platform.virtual_tables import movements
from erp.registers.stock import stock
from ui.queries.lists import ref_names
from ui.queries.reports import end_of

RESOURCES = ("quantity", "cost")
STAGES = ("opening", "receipt", "expense", "closing")
COLUMNS = tuple(f"{r}_{s}" for s in STAGES for r in RESOURCES)
HISTORY_LIMIT = 1000


@dataclass(frozen=True)
class Turnover:
    rows: list[dict[str, Any]]
    by_unit: list[dict[str, Any]]  # one totals row per unit: {"unit", <COLUMNS>}
    cost: dict[str, Decimal]  # the money columns' totals (money adds up whatever the unit)


def _period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationError.field("end", "конец периода раньше начала")


async def stock_turnover(conn: asyncpg.Connection, registry, start: dt.date, end: dt.date, tz: ZoneInfo,
                         warehouse_id: int | None = None) -> Turnover:
    _period(start, end)
    filters = {"warehouse_id": warehouse_id} if warehouse_id else {}
    found = await stock.balance_and_turnovers(conn, dt.datetime.combine(start, dt.time(), tz), end_of(end, tz),
                                              **filters)
    items = {r["nomenclature_id"] for r in found}
    names = await ref_names(conn, registry, {"warehouses": {r["warehouse_id"] for r in found},
                                             "nomenclature": items})
    units = {r["id"]: r["unit"] for r in await conn.fetch(
        f'SELECT id, unit FROM "{registry.catalogs["nomenclature"].table}" WHERE id = ANY($1::bigint[])',
        sorted(items))}
    rows = [{**{c: r[c] for c in COLUMNS}, "warehouse_id": r["warehouse_id"], "nomenclature_id": r["nomenclature_id"],
             "warehouse": names.get(("warehouses", r["warehouse_id"]), ""),
             "nomenclature": names.get(("nomenclature", r["nomenclature_id"]), ""),
             "unit": units.get(r["nomenclature_id"], "")} for r in found
            if any(r[c] for c in COLUMNS)]  # a key whose only change was a Request's reserve is no turnover
    rows.sort(key=lambda r: (r["warehouse"], r["nomenclature"]))
    by_unit: dict[str, dict[str, Any]] = {}
    for r in rows:
        total = by_unit.setdefault(r["unit"], {"unit": r["unit"], **{c: Decimal(0) for c in COLUMNS}})
        for c in COLUMNS:
            total[c] += r[c]
    cost = {c: sum((r[c] for r in rows), Decimal(0)) for c in COLUMNS if c.startswith("cost")}
    return Turnover(rows, [by_unit[u] for u in sorted(by_unit)], cost)


async def item_history(conn: asyncpg.Connection, registry, item: int, start: dt.date, end: dt.date, tz: ZoneInfo,
                       warehouse_id: int | None = None) -> dict[str, Any]:
    """The item's movements with their documents, and its balance before, after each and at the end."""
    _period(start, end)
    filters: dict[str, Any] = {"nomenclature_id": item, **({"warehouse_id": warehouse_id} if warehouse_id else {})}
    since = dt.datetime.combine(start, dt.time(), tz)
    opening_rows = await stock.balance(conn, at=since - dt.timedelta(microseconds=1), **filters)
    moves = await movements(conn, stock, since, end_of(end, tz), limit=HISTORY_LIMIT + 1, **filters)
    wanted: dict[str, set[int]] = {"warehouses": {m["warehouse_id"] for m in moves}, "nomenclature": {item}}
    for m in moves:
        wanted.setdefault(m["recorder_kind"], set()).add(m["recorder_id"])
    names = await ref_names(conn, registry, wanted, tz=tz)
    left = {r: sum((b[r] for b in opening_rows), Decimal(0)) for r in RESOURCES}
    opening = dict(left)
    rows = []
    for m in moves[:HISTORY_LIMIT]:
        for r in RESOURCES:
            left[r] += m["record_type"] * m[r]
        if not m["quantity"] and not m["cost"]:
            continue  # a Request's reserve or its release moves no goods
        rows.append({"period": m["period"], "kind": m["recorder_kind"], "id": m["recorder_id"],
                     "document": names.get((m["recorder_kind"], m["recorder_id"]),
                                           f"{m['recorder_kind']} {m['recorder_id']}"),
                     "warehouse": names.get(("warehouses", m["warehouse_id"]), ""),
                     "receipt": m["quantity"] if m["record_type"] > 0 else None,
                     "expense": m["quantity"] if m["record_type"] < 0 else None,
                     "cost": m["record_type"] * m["cost"], **{f"{r}_after": left[r] for r in RESOURCES}})
    return {"item": names.get(("nomenclature", item), str(item)), "opening": opening, "closing": dict(left),
            "rows": rows, "truncated": len(moves) > HISTORY_LIMIT}
