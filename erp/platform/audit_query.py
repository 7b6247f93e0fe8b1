"""Reading the журнал регистрации: filtered, newest first, a keyset page at a time.

Filters: the user (by id, or by the name a process records under, e.g.
``amoCRM``), the action, the object kind (``document:requests``,
``catalog:clients``, ``setting:smtp``, ``user``) and id, and a period of days
in the clinic's time zone. The cursor is the last row's ``(at, id)``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from . import keyset
from .audit import ACTIONS
from .dates import day_bounds
from .errors import ValidationError

COLUMNS = "id, at, user_id, username, action, object_kind, object_id, presentation, changes, address"


async def list_entries(conn: asyncpg.Connection, tz: ZoneInfo, *, user_id: int | None = None,
                       username: str | None = None, action: str | None = None, object_kind: str | None = None,
                       object_id: int | None = None, start: dt.date | None = None, end: dt.date | None = None,
                       limit: int = 50, after: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the log and the cursor of the next page (``None`` on the last)."""
    keyset.check_limit(limit)
    if start is not None and end is not None and end < start:
        raise ValidationError.field("end", "конец периода раньше начала")
    where, args = [], []

    def add(condition: str, *values: Any) -> None:
        marks = []
        for value in values:
            args.append(value)
            marks.append(f"${len(args)}")
        where.append(condition.format(*marks))

    if user_id is not None:
        add("user_id = {}", user_id)
    if username:
        add("username = {}", username)
    if action:
        if action not in ACTIONS:
            raise ValidationError.field("action", f"действие: {', '.join(ACTIONS)}")
        add("action = {}", action)
    if object_kind:
        add("object_kind = {}", object_kind)
    if object_id is not None:
        add("object_id = {}", object_id)
    lower, upper = day_bounds(start, end, tz)
    if lower is not None:
        add("at >= {}", lower)
    if upper is not None:
        add("at < {}", upper)
    if after:
        at, last_id = keyset.decode(after, (dt.datetime, int))
        add("(at, id) < ({}, {})", at, last_id)
    sql = f"SELECT {COLUMNS} FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = [dict(r) for r in await conn.fetch(f"{sql} ORDER BY at DESC, id DESC LIMIT {limit + 1}", *args)]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, keyset.encode([rows[-1]["at"], rows[-1]["id"]]) if more and rows else None

