"""Воронки и этапы amoCRM: read from ``GET /api/v4/leads/pipelines``, never typed by hand.

amoCRM answers every pipeline of the account at once (at most 50, no pages), each with its stages in
``_embedded.statuses`` (``id``, ``name``, ``sort``, ``color``, ``type``, ``pipeline_id``). The list is read
through the gate (the shared 7 rps window, the single-flight token refresh) whenever an administrator
opens «Действия при смене этапа», and kept in the ``constants`` table with the moment it was read: the
page still shows the stages (as read then) while amoCRM does not answer, and a saved mapping is checked
against what amoCRM said, not against what a form claims.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg

from erp.amocrm.client import AmoError
from erp.amocrm.gate import Gate
from erp.amocrm.oauth import AmoUnavailable
from erp.app.settings import Settings
from erp.platform.errors import Conflict

KEY = "amocrm_pipelines"
PATH = "/api/v4/leads/pipelines"
UNSORTED = 1  # a stage of type 1 is «Неразобранное»


@dataclass(frozen=True)
class Stage:
    id: int
    name: str
    sort: int = 0
    color: str = ""
    type: int = 0


@dataclass(frozen=True)
class Pipeline:
    id: int
    name: str
    sort: int = 0
    is_main: bool = False
    is_archive: bool = False
    stages: tuple[Stage, ...] = ()


@dataclass(frozen=True)
class Read:
    """The pipelines as last read, when, and why they could not be read now (``problem``)."""

    pipelines: list[Pipeline]
    read_at: dt.datetime | None
    problem: str = ""

    def stage(self, pipeline_id: int, status_id: int) -> tuple[Pipeline, Stage] | None:
        for pipeline in self.pipelines:
            if pipeline.id == pipeline_id:
                found = next((s for s in pipeline.stages if s.id == status_id), None)
                return (pipeline, found) if found else None
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _stage(item: Any) -> Stage | None:
    if not isinstance(item, dict) or _int(item.get("id")) is None:
        return None
    return Stage(item["id"], str(item.get("name") or item["id"]), _int(item.get("sort")) or 0,
                 str(item.get("color") or ""), _int(item.get("type")) or 0)


def parse(body: Any) -> list[Pipeline]:
    """The pipelines of an answer, by their ``sort``, each with its stages by theirs; what is not a
    pipeline or a stage (no integer id) is left out."""
    items = ((body or {}).get("_embedded") or {}).get("pipelines") if isinstance(body, dict) else None
    out = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or _int(item.get("id")) is None:
            continue
        statuses = (item.get("_embedded") or {}).get("statuses") if isinstance(item.get("_embedded"), dict) else None
        stages = [s for s in map(_stage, statuses if isinstance(statuses, list) else ()) if s is not None]
        out.append(Pipeline(item["id"], str(item.get("name") or item["id"]), _int(item.get("sort")) or 0,
                            item.get("is_main") is True, item.get("is_archive") is True,
                            tuple(sorted(stages, key=lambda s: (s.sort, s.id)))))
    return sorted(out, key=lambda p: (p.sort, p.id))


async def fetch(conn: asyncpg.Connection, settings: Settings, *, wait: float = 5.0, transport=None) -> list[Pipeline]:
    """Read the pipelines from amoCRM now and remember them."""
    gate = await Gate.enter(conn, settings, wait=wait, transport=transport)
    if gate is None:
        raise Conflict("amoCRM сейчас занят другим процессом (идёт обмен); обновите страницу через минуту",
                       code="amocrm_busy")
    try:
        async with gate:
            if gate.account is None:
                raise Conflict("amoCRM не подключён: подключите его на странице «Интеграции»",
                               code="amocrm_not_connected")
            body = await gate.call("GET", PATH)
    except AmoError as exc:
        raise AmoUnavailable(exc.message, details={"amocrm_status": exc.status}) from None
    pipelines = parse(body)
    await remember(conn, pipelines)
    return pipelines


async def remember(conn: asyncpg.Connection, pipelines: list[Pipeline]) -> None:
    value = {"read_at": dt.datetime.now(dt.UTC).isoformat(), "pipelines": [asdict(p) for p in pipelines]}
    await conn.execute("INSERT INTO constants (key, value, updated_at) VALUES ($1, $2, now())"
                       " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()", KEY, value)


async def cached(conn: asyncpg.Connection) -> Read:
    value = await conn.fetchval("SELECT value FROM constants WHERE key = $1", KEY)
    if not isinstance(value, dict):
        return Read([], None)
    pipelines = [Pipeline(**{**p, "stages": tuple(Stage(**s) for s in p.get("stages") or ())})
                 for p in value.get("pipelines") or ()]
    return Read(pipelines, dt.datetime.fromisoformat(value["read_at"]) if value.get("read_at") else None)


async def read(conn: asyncpg.Connection, settings: Settings, *, transport=None) -> Read:
    """Fresh from amoCRM when it answers; else the last list read, with the reason in ``problem``."""
    try:
        pipelines = await fetch(conn, settings, transport=transport)
    except (Conflict, AmoUnavailable) as exc:
        last = await cached(conn)
        return Read(last.pipelines, last.read_at, exc.message)
    return Read(pipelines, dt.datetime.now(dt.UTC))
