"""An Excel import running in the background, with its progress where any process can read it.

The UI starts an import and polls its progress: the work runs as a task of the process that
took the upload (:func:`start`), and its state — checking, written n of N, done with the counts,
or refused with the reason and the rows at fault — is a row of the ``constants`` table
(``import_job:<token>``), written on its own connection after every batch. So a poll answered by
another ``erp serve`` worker sees it too, and nothing of the import itself is visible before its
one transaction commits. Only the user who started a job can read it; jobs are forgotten after a day.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from typing import Any

import asyncpg

from erp.platform.catalog import Catalog
from erp.platform.errors import ErpError

from . import catalog_import

log = logging.getLogger("erp.import")
PREFIX = "import_job:"
_RUNNING: set[asyncio.Task] = set()  # keeps the tasks alive until they end


async def _save(pool: asyncpg.Pool, token: str, state: Mapping[str, Any]) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO constants (key, value, updated_at) VALUES ($1, $2, now())"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
            PREFIX + token, dict(state))


async def load(conn: asyncpg.Connection, token: str, user_id: int | None) -> dict[str, Any] | None:
    """The job's state, or None if there is none of this user's under ``token``."""
    state = await conn.fetchval("SELECT value FROM constants WHERE key = $1", PREFIX + token)
    if not isinstance(state, dict) or state.get("user_id") != user_id:
        return None
    return state


async def start(pool: asyncpg.Pool, registry, catalog: Catalog, content: bytes, *, user_id: int | None,
                mapping: Mapping[Any, Any] | None, aliases: Mapping[str, tuple[str, ...]], tz=None) -> str:
    """Start importing ``content``; returns the job's token."""
    token = secrets.token_urlsafe(18)
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM constants WHERE starts_with(key, $1) AND updated_at < now() - interval '1 day'",
                           PREFIX)
    base = {"user_id": user_id, "catalog": catalog.name}
    await _save(pool, token, {**base, "state": "checking", "done": 0, "total": 0})

    async def progress(done: int, total: int) -> None:
        await _save(pool, token, {**base, "state": "writing", "done": done, "total": total})

    async def run() -> None:
        try:
            async with pool.acquire() as conn:
                result = await catalog_import.apply(conn, registry, catalog, content, mapping=mapping,
                                                    aliases=aliases, progress=progress, tz=tz)
            await _save(pool, token, {**base, "state": "done", "result": result})
        except ErpError as exc:
            await _save(pool, token, {**base, "state": "failed", "code": exc.code, "message": exc.message,
                                      "rows": (exc.details or {}).get("rows", [])})
        except Exception:
            log.exception("Excel import of %s failed", catalog.name)
            await _save(pool, token, {**base, "state": "failed", "code": "internal_error", "message":
                                      "Внутренняя ошибка сервера. Она записана в журнал. Ничего не загружено"})

    task = asyncio.create_task(run())
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return token
