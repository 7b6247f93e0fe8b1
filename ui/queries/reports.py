"""Reports as the web UI shows them: the register's virtual tables, with
names instead of ids and, for sales, rows grouped by what the user chose.

* stock balance at the end of a day, by warehouse and item: quantity, cost, reserve and what is available;
* settlements at the end of a day, by organization and client;
* sales for a period, grouped by doctor, service (nomenclature) or client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from erp.platform.errors import ValidationError
from erp.registers.sales import sales
from erp.registers.settlements import settlements
from erp.registers.stock import stock
from ui.queries.lists import ref_names

SALES_GROUPS = {"doctor": ("doctor_id", "doctors"), "service": ("nomenclature_id", "nomenclature"),
                "client": ("client_id", "clients")}


def end_of(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """Остатки на дату: everything that happened on ``day`` counts."""
    return dt.datetime.combine(day, dt.time.max, tz)


@dataclass(frozen=True)
class Report:
    rows: list[dict[str, Any]]
    totals: dict[str, Decimal]


def _totals(rows: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, Decimal]:
    return {n: sum((r[n] for r in rows), Decimal(0)) for n in names}


async def stock_balance(conn: asyncpg.Connection, registry, day: dt.date, tz: ZoneInfo,
                        warehouse_id: int | None = None) -> Report:
    filters = {"warehouse_id": warehouse_id} if warehouse_id else {}
    rows = await stock.balance(conn, at=end_of(day, tz), **filters)
    names = await ref_names(conn, registry, {"warehouses": {r["warehouse_id"] for r in rows},
                                             "nomenclature": {r["nomenclature_id"] for r in rows}})
    out = [{**r, "warehouse": names.get(("warehouses", r["warehouse_id"]), ""),
            "nomenclature": names.get(("nomenclature", r["nomenclature_id"]), ""),
            "available": r["quantity"] - r["reserved"]} for r in rows]  # доступно = остаток − резерв
    out.sort(key=lambda r: (r["warehouse"], r["nomenclature"]))
    return Report(out, _totals(out, ("quantity", "cost", "reserved", "available")))


async def settlements_balance(conn: asyncpg.Connection, registry, day: dt.date, tz: ZoneInfo,
                              client_id: int | None = None) -> Report:
    filters = {"client_id": client_id} if client_id else {}
    rows = await settlements.balance(conn, at=end_of(day, tz), **filters)
    names = await ref_names(conn, registry, {"organizations": {r["organization_id"] for r in rows},
                                             "clients": {r["client_id"] for r in rows}})
    out = [{**r, "organization": names.get(("organizations", r["organization_id"]), ""),
            "client": names.get(("clients", r["client_id"]), "")} for r in rows]
    out.sort(key=lambda r: (r["client"], r["organization"]))
    return Report(out, _totals(out, ("amount",)))


async def sales_by(conn: asyncpg.Connection, registry, start: dt.date, end: dt.date, tz: ZoneInfo,
                   group: str = "doctor") -> Report:
    """Sales turnover of ``[start, end]`` (whole days), one row per doctor,
    service or client, biggest first, with the cost of sales and the margin: revenue without VAT
    less cost, and its share of that revenue in percent (none when there was no revenue)."""
    if group not in SALES_GROUPS:
        raise ValidationError.field("group", f"группировка: {', '.join(SALES_GROUPS)}")
    if end < start:
        raise ValidationError.field("end", "конец периода раньше начала")
    dimension, target = SALES_GROUPS[group]
    rows = await sales.turnovers(conn, dt.datetime.combine(start, dt.time(), tz), end_of(end, tz))
    grouped: dict[int, dict[str, Any]] = {}
    for r in rows:
        item = grouped.setdefault(r[dimension], {"id": r[dimension], "quantity": Decimal(0), "amount": Decimal(0),
                                                 "vat": Decimal(0), "cost": Decimal(0)})
        for resource in ("quantity", "amount", "vat", "cost"):
            item[resource] += r[resource]
    names = await ref_names(conn, registry, {target: set(grouped)})
    out = [margin({**item, "name": names.get((target, key), str(key))}) for key, item in grouped.items()]
    out.sort(key=lambda r: (-r["amount"], r["name"]))
    return Report(out, margin(_totals(out, ("quantity", "amount", "vat", "cost"))))


def margin(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with ``margin`` (revenue without VAT less cost) and ``margin_percent`` of that revenue,
    to a hundredth (``None`` without revenue)."""
    revenue = row["amount"] - row["vat"]
    row["margin"] = revenue - row["cost"]
    row["margin_percent"] = (row["margin"] * 100 / revenue).quantize(Decimal("0.01")) if revenue else None
    return row
