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
from erp.platform.errors import Conflict, NotFound, ValidationError
from erp.platform.listing import Key, Sort, Where, page

STATES = ("pending", "in_flight", "delivered", "failed")
DIRECTIONS = ("out", "in")
# What the log shows a person instead of the codes.
STATE_TITLES = {"pending": "Ожидает отправки", "in_flight": "Отправляется", "delivered": "Доставлено",
                "failed": "Ошибка"}
KIND_TITLES = {"budget": "Бюджет сделки", "fields": "Поля сделки", "won": "Сделка успешно реализована",
               "note": "Примечание к сделке", "lead_lost": "Сделка не реализована", "lead_deleted": "Сделка удалена",
               "stage_action": "Действие при смене этапа", "contact": "Контакт amoCRM (данные клиента)",
               "contact_update": "Контакт изменён в amoCRM", "contact_delete": "Контакт удалён в amoCRM",
               "contact_restore": "Контакт восстановлен в amoCRM", "reminder": "Напоминание о приёме"}
COLUMNS = ("id, direction, kind, lead_id, contact_id, state, attempts, last_error, error_details, result,"
           " document_kind, document_id, payload, created_at, next_attempt_at, delivered_at")
NEWEST_FIRST = Sort((Key("id", int),), descending=True)


async def list_events(conn: asyncpg.Connection, tz: ZoneInfo, *, state: str | None = None,
                      direction: str | None = None, kind: str | None = None, lead_id: int | None = None,
                      start: dt.date | None = None, end: dt.date | None = None, limit: int = 50,
                      after: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the log (keyset on id, newest first) and the cursor of the next page."""
    where = Where()
    if state is not None:
        if state not in STATES:
            raise ValidationError.field("state", f"состояние: {', '.join(STATES)}")
        where.equals("state", state)
    if direction is not None:
        if direction not in DIRECTIONS:
            raise ValidationError.field("direction", "направление: out или in")
        where.equals("direction", direction)
    if kind:
        where.equals("kind", kind)
    if lead_id is not None:
        where.equals("lead_id", lead_id)
    where.period("created_at", start, end, tz)
    found = await page(conn, "amocrm_events", COLUMNS, where, NEWEST_FIRST, limit=limit, after=after)
    return found.rows, found.next


async def retry(conn: asyncpg.Connection, event_id: int) -> dict[str, Any]:
    """Send a failed (or waiting) outgoing event again, now. A reminder is sent once, never again."""
    row = await conn.fetchrow(
        f"UPDATE amocrm_events SET state = 'pending', next_attempt_at = now(), last_error = '', error_details = NULL"
        f" WHERE id = $1 AND direction = 'out' AND state IN ('failed', 'pending') AND kind <> 'reminder'"
        f" RETURNING {COLUMNS}", event_id)
    if row is None:
        current = await conn.fetchrow("SELECT direction, state, kind FROM amocrm_events WHERE id = $1", event_id)
        if current is None:
            raise NotFound(f"Событие обмена {event_id} не найдено", code="event_not_found")
        if current["kind"] == "reminder":
            raise Conflict("Напоминание о приёме отправляется один раз и повторно не отправляется",
                           code="event_not_retryable", details={"state": current["state"]})
        if current["direction"] == "in":
            raise Conflict("Входящий вебхук не отправляется повторно", code="event_incoming")
        what = "уже доставлено" if current["state"] == "delivered" else "сейчас отправляется"
        raise Conflict(f"Событие {event_id} {what}", code="event_not_retryable", details={"state": current["state"]})
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return dict(row)
