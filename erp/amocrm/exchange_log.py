"""Журнал обмена: every outgoing event and incoming webhook, newest first, with its state.

An outgoing event is ``pending`` (waiting, maybe for its next attempt after a failure), ``in_flight``
(being sent), ``delivered`` or ``failed`` (amoCRM rejected it; ``error_details`` keeps its
``validation-errors``). Incoming webhooks are logged as ``delivered`` with what they changed. A
failed event can be retried: it goes back to pending and the deliverer is woken.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from erp.amocrm.outbox import CHANNEL
from erp.platform import keyset
from erp.platform.dates import day_bounds
from erp.platform.errors import Conflict, NotFound, ValidationError

STATES = ("pending", "in_flight", "delivered", "failed")
DIRECTIONS = ("out", "in")
# What the log shows a person instead of the codes.
STATE_TITLES = {"pending": "Ожидает отправки", "in_flight": "Отправляется", "delivered": "Доставлено",
                "failed": "Ошибка"}
KIND_TITLES = {"budget": "Бюджет сделки", "fields": "Поля сделки", "won": "Сделка успешно реализована",
               "note": "Примечание к сделке", "lead_lost": "Сделка не реализована", "lead_deleted": "Сделка удалена"}
COLUMNS = ("id, direction, kind, lead_id, state, attempts, last_error, error_details, result, document_kind,"
           " document_id, payload, created_at, next_attempt_at, delivered_at")


async def list_events(conn: asyncpg.Connection, tz: ZoneInfo, *, state: str | None = None,
                      direction: str | None = None, kind: str | None = None, lead_id: int | None = None,
                      start: dt.date | None = None, end: dt.date | None = None, limit: int = 50,
                      after: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the log (keyset on id, newest first) and the cursor of the next page."""
    keyset.check_limit(limit)
    where, args = [], []

    def add(condition: str, value: Any) -> None:
        args.append(value)
        where.append(condition.format(f"${len(args)}"))

    if state is not None:
        if state not in STATES:
            raise ValidationError.field("state", f"состояние: {', '.join(STATES)}")
        add("state = {}", state)
    if direction is not None:
        if direction not in DIRECTIONS:
            raise ValidationError.field("direction", "направление: out или in")
        add("direction = {}", direction)
    if kind:
        add("kind = {}", kind)
    if lead_id is not None:
        add("lead_id = {}", lead_id)
    lower, upper = day_bounds(start, end, tz)
    if lower is not None:
        add("created_at >= {}", lower)
    if upper is not None:
        add("created_at < {}", upper)
    if after:
        add("id < {}", keyset.decode(after, (int,))[0])
    sql = f"SELECT {COLUMNS} FROM amocrm_events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = [dict(r) for r in await conn.fetch(f"{sql} ORDER BY id DESC LIMIT {limit + 1}", *args)]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, keyset.encode([rows[-1]["id"]]) if more and rows else None


async def retry(conn: asyncpg.Connection, event_id: int) -> dict[str, Any]:
    """Send a failed (or waiting) outgoing event again, now."""
    row = await conn.fetchrow(
        f"UPDATE amocrm_events SET state = 'pending', next_attempt_at = now(), last_error = '', error_details = NULL"
        f" WHERE id = $1 AND direction = 'out' AND state IN ('failed', 'pending') RETURNING {COLUMNS}", event_id)
    if row is None:
        current = await conn.fetchrow("SELECT direction, state FROM amocrm_events WHERE id = $1", event_id)
        if current is None:
            raise NotFound(f"Событие обмена {event_id} не найдено", code="event_not_found")
        if current["direction"] == "in":
            raise Conflict("Входящий вебхук не отправляется повторно", code="event_incoming")
        what = "уже доставлено" if current["state"] == "delivered" else "сейчас отправляется"
        raise Conflict(f"Событие {event_id} {what}", code="event_not_retryable", details={"state": current["state"]})
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return dict(row)
