"""Дата запрета изменения: the period lock.

No document dated on or before the lock date may be written, posted,
unposted or marked, and no document may be moved into the closed period.
There is a global date and, optionally, one per organization; the later of
the two applies.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from . import audit
from .dates import DateError, read_day
from .errors import Conflict, ValidationError
from .refs import check_refs

GLOBAL_KEY = "period_lock"


def _key(organization_id: int | None) -> str:
    return GLOBAL_KEY if organization_id is None else f"{GLOBAL_KEY}:organization:{organization_id}"


class PeriodClosed(Conflict):
    code = "period_closed"


async def get_lock(conn: asyncpg.Connection, organization_id: int | None = None) -> dt.date | None:
    """The lock date in force for ``organization_id`` (or the global one)."""
    keys = [_key(None)] + ([_key(organization_id)] if organization_id else [])
    rows = await conn.fetch("SELECT value FROM constants WHERE key = ANY($1::text[])", keys)
    dates = [dt.date.fromisoformat(r["value"]["date"]) for r in rows
             if r["value"] and r["value"].get("date")]
    return max(dates) if dates else None


async def all_locks(conn: asyncpg.Connection) -> dict[int | None, dt.date]:
    rows = await conn.fetch("SELECT key, value FROM constants WHERE starts_with(key, $1)", GLOBAL_KEY)
    out: dict[int | None, dt.date] = {}
    for r in rows:
        if not (r["value"] and r["value"].get("date")):
            continue
        org = None if r["key"] == GLOBAL_KEY else int(r["key"].rsplit(":", 1)[1])
        out[org] = dt.date.fromisoformat(r["value"]["date"])
    return out


def organization_catalogs(registry) -> set[str]:
    """The catalogs the documents' organization fields point to (the organizations)."""
    return {kind.header_field(kind.organization_field).ref for kind in registry.documents.values()
            if kind.organization_field}


async def set_lock(conn: asyncpg.Connection, date: dt.date | None,
                   organization_id: int | None = None, registry=None) -> None:
    """Set (or with ``date=None`` clear) a lock date; with ``registry`` the organization
    must exist (a lock of an organization that does not exist is a 422)."""
    if date is not None:
        try:
            date = read_day(date)
        except DateError as exc:
            raise ValidationError.field("date", str(exc)) from None
    if organization_id is not None and registry is not None:
        if isinstance(organization_id, bool) or not isinstance(organization_id, int) \
                or not 0 < organization_id < 2**63:
            raise ValidationError.field("organization_id", "ожидается идентификатор организации")
        await check_refs(conn, registry, [("organization_id", target, organization_id)
                                          for target in organization_catalogs(registry)])
    value = {"date": date.isoformat()} if date else None
    async with conn.transaction():
        before = await conn.fetchval("SELECT value FROM constants WHERE key = $1 FOR UPDATE", _key(organization_id))
        await conn.execute(
            "INSERT INTO constants (key, value, updated_at) VALUES ($1, $2, now())"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
            _key(organization_id), value,
        )
        await audit.record_setting(conn, GLOBAL_KEY, {"date": (before or {}).get("date")},
                                   {"date": date.isoformat() if date else None}, object_id=organization_id)


def ensure_open(lock: dt.date | None, day: dt.date, action: str) -> None:
    if lock is not None and day <= lock:
        raise PeriodClosed(
            f"Период закрыт: дата запрета изменения {lock:%d.%m.%Y}. "
            f"Нельзя {action} документ от {day:%d.%m.%Y}.",
            details={"lock_date": lock.isoformat(), "document_date": day.isoformat()},
        )
