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

from .audit import ACTIONS
from .errors import ValidationError
from .listing import Key, Sort, Where, page

COLUMNS = "id, at, user_id, username, action, object_kind, object_id, presentation, changes, address"
NEWEST_FIRST = Sort((Key("at", dt.datetime), Key("id", int)), descending=True)


async def list_entries(conn: asyncpg.Connection, tz: ZoneInfo, *, user_id: int | None = None,
                       username: str | None = None, action: str | None = None, object_kind: str | None = None,
                       object_id: int | None = None, start: dt.date | None = None, end: dt.date | None = None,
                       limit: int = 50, after: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the log and the cursor of the next page (``None`` on the last)."""
    if start is not None and end is not None and end < start:
        raise ValidationError.field("end", "конец периода раньше начала")
    where = Where()
    if user_id is not None:
        where.equals("user_id", user_id)
    if username:
        where.equals("username", username)
    if action:
        if action not in ACTIONS:
            raise ValidationError.field("action", f"действие: {', '.join(ACTIONS)}")
        where.equals("action", action)
    if object_kind:
        where.equals("object_kind", object_kind)
    if object_id is not None:
        where.equals("object_id", object_id)
    where.period("at", start, end, tz)
    found = await page(conn, "audit_log", COLUMNS, where, NEWEST_FIRST, limit=limit, after=after)
    return found.rows, found.next

