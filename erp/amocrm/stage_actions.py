"""Действия при смене этапа: which actions a lead's move to a stage of amoCRM starts.

An administrator maps a stage (a pipeline's status, as read from amoCRM by :mod:`erp.amocrm.pipelines`)
to one or more of :data:`ACTIONS`. The mapping is one row per (pipeline, stage, action) in
``amocrm_stage_actions``; saving replaces it whole, checks every stage against the pipelines amoCRM
gave last, and goes into the audit log as the setting ``amocrm_stage_actions``.

The status webhook (:mod:`erp.amocrm.webhooks`) turns a move into ``stage_action`` events of the outbox
in its own transaction, one per mapped action, at most once per (lead, pipeline, stage, action): a
unique index makes a repeated webhook enqueue nothing. :mod:`erp.amocrm.stage_runner` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from erp.amocrm import pipelines as amo_pipelines
from erp.amocrm.outbox import CHANNEL
from erp.platform import audit
from erp.platform.errors import Conflict, ValidationError

SETTING = "amocrm_stage_actions"
KIND = "stage_action"
# In the order they run when one stage starts several: the invoice exists before it is sent.
ACTIONS = {
    "invoice": "Выставить счёт на основании заявки сделки",
    "send_invoice": "Распечатать и отправить счёт клиенту",
    "send_act": "Распечатать и отправить акт клиенту",
    "unpost_requests": "Отменить проведение заявок сделки",
}


@dataclass(frozen=True)
class Mapped:
    pipeline_id: int
    pipeline_name: str
    status_id: int
    status_name: str
    actions: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"«{self.pipeline_name}» → «{self.status_name}»"


def _ordered(actions) -> tuple[str, ...]:
    chosen = set(actions)
    return tuple(a for a in ACTIONS if a in chosen)


async def load(conn: asyncpg.Connection) -> list[Mapped]:
    """The mapping, one entry per stage, by pipeline and stage."""
    rows = await conn.fetch("SELECT pipeline_id, pipeline_name, status_id, status_name, array_agg(action) AS actions"
                            " FROM amocrm_stage_actions GROUP BY 1, 2, 3, 4 ORDER BY 1, 3")
    return [Mapped(r["pipeline_id"], r["pipeline_name"], r["status_id"], r["status_name"], _ordered(r["actions"]))
            for r in rows]


async def actions_for(conn: asyncpg.Connection, pipeline_id: int, status_id: int) -> tuple[str, ...]:
    rows = await conn.fetch("SELECT action FROM amocrm_stage_actions WHERE pipeline_id = $1 AND status_id = $2",
                            pipeline_id, status_id)
    return _ordered(r["action"] for r in rows)


def _readable(mapped: list[Mapped]) -> dict[str, str]:
    return {m.title: "; ".join(ACTIONS[a] for a in m.actions) for m in mapped}


async def save(conn: asyncpg.Connection, chosen: set[tuple[int, int, str]]) -> list[Mapped]:
    """Replace the mapping with ``chosen`` ((pipeline id, status id, action) each); every stage must be
    one amoCRM gave, every action one of :data:`ACTIONS`. Nothing is written on a refusal."""
    known = await amo_pipelines.cached(conn)
    if chosen and not known.pipelines:
        raise Conflict("Воронки amoCRM ещё не прочитаны: откройте страницу, когда amoCRM подключён",
                       code="amocrm_pipelines_unknown")
    problems: dict[str, str] = {}
    rows: list[tuple[int, str, int, str, str]] = []
    for pipeline_id, status_id, action in sorted(chosen):
        field = f"action-{pipeline_id}-{status_id}"
        found = known.stage(pipeline_id, status_id)
        if found is None:
            problems[field] = f"этапа {status_id} воронки {pipeline_id} нет в amoCRM — обновите страницу"
        elif action not in ACTIONS:
            problems[field] = f"неизвестное действие «{action[:40]}»"
        else:
            rows.append((pipeline_id, found[0].name, status_id, found[1].name, action))
    if problems:
        raise ValidationError("Действия при смене этапа не записаны: " + "; ".join(problems.values()),
                              code="stage_actions_invalid", details={"fields": problems})
    async with conn.transaction():
        await conn.execute("LOCK TABLE amocrm_stage_actions IN EXCLUSIVE MODE")
        before = _readable(await load(conn))
        await conn.execute("DELETE FROM amocrm_stage_actions")
        await conn.executemany("INSERT INTO amocrm_stage_actions (pipeline_id, pipeline_name, status_id, status_name,"
                               " action) VALUES ($1, $2, $3, $4, $5)", rows)
        mapped = await load(conn)
        after = _readable(mapped)
        await audit.record_setting(conn, SETTING, before, {**dict.fromkeys(before), **after})
    return mapped


# -- the webhook's side --------------------------------------------------------------------------


async def enqueue(conn: asyncpg.Connection, lead_id: int, pipeline_id: int, status_id: int) -> list[dict[str, Any]]:
    """The outbox events of a lead's move (inside the webhook's transaction): one per mapped action that
    has not been enqueued for this lead and stage before. The events enqueued now."""
    actions = await actions_for(conn, pipeline_id, status_id)
    names = await conn.fetchrow("SELECT pipeline_name, status_name FROM amocrm_stage_actions"
                                " WHERE pipeline_id = $1 AND status_id = $2 LIMIT 1", pipeline_id, status_id)
    added = []
    for order, action in enumerate(actions):
        payload = {"action": action, "pipeline_id": str(pipeline_id), "status_id": str(status_id), "order": order,
                   "stage": f"«{names['pipeline_name']}» → «{names['status_name']}»" if names else ""}
        row = await conn.fetchrow(
            "INSERT INTO amocrm_events (direction, kind, lead_id, payload, state) VALUES ('out', $1, $2, $3, 'pending')"
            " ON CONFLICT DO NOTHING RETURNING id", KIND, lead_id, payload)
        if row is not None:
            added.append({"id": row["id"], **payload})
    if added:
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return added
