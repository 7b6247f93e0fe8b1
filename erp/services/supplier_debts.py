"""Долги поставщикам: what each organization owes each supplier on a date, and the documents
that made a debt (the drill-down), from the supplier settlements register.

The debt on a date counts everything that happened on that day (as 1C reports do). A supplier
paid in advance shows a negative debt (the supplier owes the goods); a settled one is not listed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from erp.platform.dates import DateError, read_day, read_moment
from erp.platform.errors import ValidationError
from erp.platform.metadata import Registry
from erp.platform.virtual_tables import movements
from erp.registers.supplier_settlements import supplier_settlements

HISTORY_LIMIT = 1000


class SupplierDebt(msgspec.Struct, frozen=True):
    organization_id: int
    organization: str
    supplier_id: int
    supplier: str
    amount: Decimal


class SupplierDebts(msgspec.Struct, frozen=True):
    date: dt.date
    rows: list[SupplierDebt]
    total: Decimal


class DebtMovement(msgspec.Struct, frozen=True):
    """One document's change of the debt: ``increase`` (a receipt) or ``decrease`` (a payment)."""

    date: dt.datetime
    kind: str
    id: int
    document: str
    increase: Decimal | None
    decrease: Decimal | None
    balance: Decimal


class DebtDocuments(msgspec.Struct, frozen=True):
    organization_id: int
    organization: str
    supplier_id: int
    supplier: str
    start: dt.date
    end: dt.date
    opening: Decimal
    rows: list[DebtMovement]
    closing: Decimal
    truncated: bool


def report_day(raw: Any, field: str, fallback: dt.date | None = None) -> dt.date:
    """A report's day from the query (``ГГГГ-ММ-ДД``), one whose end the registers can reach
    (up to 31.12.9998); anything else is a 422 naming ``field``."""
    if raw is None or raw == "":
        if fallback is None:
            raise ValidationError.field(field, "обязательный параметр не указан")
        return fallback
    try:
        day = read_day(raw)
        read_moment(day)
    except DateError as exc:
        raise ValidationError.field(field, str(exc)) from None
    return day


def end_of(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tz)


async def _names(conn: asyncpg.Connection, registry: Registry, target: str, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await conn.fetch(f'SELECT id, name FROM "{registry.catalogs[target].table}" WHERE id = ANY($1::bigint[])',
                            sorted(ids))
    return {r["id"]: r["name"] for r in rows}


async def debts(conn: asyncpg.Connection, registry: Registry, day: dt.date, tz: ZoneInfo,
                organization_id: int | None = None, supplier_id: int | None = None) -> SupplierDebts:
    """The debt per organization and supplier at the end of ``day``, by organization, then supplier."""
    filters: dict[str, Any] = {}
    if organization_id is not None:
        filters["organization_id"] = organization_id
    if supplier_id is not None:
        filters["counterparty_id"] = supplier_id
    found = [r for r in await supplier_settlements.balance(conn, at=end_of(day, tz), **filters) if r["amount"]]
    orgs = await _names(conn, registry, "organizations", {r["organization_id"] for r in found})
    suppliers = await _names(conn, registry, "clients", {r["counterparty_id"] for r in found})
    rows = [SupplierDebt(r["organization_id"], orgs.get(r["organization_id"], ""), r["counterparty_id"],
                         suppliers.get(r["counterparty_id"], ""), r["amount"]) for r in found]
    rows.sort(key=lambda r: (r.organization, r.supplier, r.organization_id, r.supplier_id))
    return SupplierDebts(day, rows, sum((r.amount for r in rows), Decimal("0.00")))


def _document_text(title: str, number: str, date: dt.datetime, tz: ZoneInfo) -> str:
    return f"{title} {number.lstrip('0') or number} от {date.astimezone(tz):%d.%m.%Y}"


async def documents(conn: asyncpg.Connection, registry: Registry, organization_id: int, supplier_id: int,
                    start: dt.date, end: dt.date, tz: ZoneInfo) -> DebtDocuments:
    """Расшифровка: the debt before ``start``, every document that changed it up to the end of ``end``
    (the first :data:`HISTORY_LIMIT`) with the debt after it, and the debt at the end."""
    if end < start:
        raise ValidationError.field("end", "конец периода раньше начала")
    key = {"organization_id": organization_id, "counterparty_id": supplier_id}
    since = dt.datetime.combine(start, dt.time(), tz)
    before = await supplier_settlements.balance(conn, at=since - dt.timedelta(microseconds=1), **key)
    moves = await movements(conn, supplier_settlements, since, end_of(end, tz), limit=HISTORY_LIMIT + 1, **key)
    by_kind: dict[str, set[int]] = {}
    for m in moves:
        by_kind.setdefault(m["recorder_kind"], set()).add(m["recorder_id"])
    texts: dict[tuple[str, int], str] = {}
    for kind_name, ids in by_kind.items():
        kind = registry.documents[kind_name]
        for r in await conn.fetch(f'SELECT id, number, date FROM "{kind.table}" WHERE id = ANY($1::bigint[])',
                                  sorted(ids)):
            texts[(kind_name, r["id"])] = _document_text(kind.title, r["number"], r["date"], tz)
    left = sum((b["amount"] for b in before), Decimal("0.00"))
    opening = left
    rows = []
    for m in moves[:HISTORY_LIMIT]:
        left += m["record_type"] * m["amount"]
        rows.append(DebtMovement(m["period"], m["recorder_kind"], m["recorder_id"],
                                 texts.get((m["recorder_kind"], m["recorder_id"]),
                                           f"{m['recorder_kind']} {m['recorder_id']}"),
                                 m["amount"] if m["record_type"] > 0 else None,
                                 m["amount"] if m["record_type"] < 0 else None, left))
    truncated = len(moves) > HISTORY_LIMIT
    if truncated:  # the debt at the end counts every movement, shown or not
        left = sum((b["amount"] for b in await supplier_settlements.balance(conn, at=end_of(end, tz), **key)),
                   Decimal("0.00"))
    orgs = await _names(conn, registry, "organizations", {organization_id})
    suppliers = await _names(conn, registry, "clients", {supplier_id})
    return DebtDocuments(organization_id, orgs.get(organization_id, ""), supplier_id, suppliers.get(supplier_id, ""),
                         start, end, opening, rows, left, truncated)
