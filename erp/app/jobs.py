"""Background jobs: the loop that ``erp worker`` runs, and that ``erp serve``
runs inside itself unless ``ERP_WORKER_IN_SERVE=0``.

A job is registered with a name, an optional period and optional
``LISTEN`` channels. The loop wakes a job when one of its channels is
notified (``NOTIFY``), and otherwise when its period has passed, so work
that arrives through the database starts at once instead of on a slow poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from erp.app.settings import Settings
from erp.platform.db import CONNECTION_ERRORS, DISCONNECTS
from erp.platform.errors import DatabaseUnavailable

log = logging.getLogger("erp.jobs")

JobFn = Callable[[asyncpg.Pool, Settings], Awaitable[None]]


@dataclass
class Job:
    name: str
    run: JobFn
    every: float = 60.0
    channels: tuple[str, ...] = ()
    wake: asyncio.Event = field(default_factory=asyncio.Event)


_JOBS: dict[str, tuple[JobFn, float, tuple[str, ...]]] = {}


def job(name: str, *, every: float = 60.0, channels: tuple[str, ...] = ()):
    """Register a background job."""

    def decorate(fn: JobFn) -> JobFn:
        _JOBS[name] = (fn, every, channels)
        return fn

    return decorate


def registered() -> dict[str, tuple[JobFn, float, tuple[str, ...]]]:
    return dict(_JOBS)


@job("purge-login-failures", every=3600)
async def purge_login_failures(pool: asyncpg.Pool, _: Settings) -> None:
    """Forget the login counters of windows that are over."""
    from erp.auth.service import purge_login_attempts

    await purge_login_attempts(pool)


async def run_worker(pool: asyncpg.Pool, settings: Settings, url: str,
                     stop: asyncio.Event | None = None) -> None:
    """Run every registered job until ``stop`` is set."""
    stop = stop or asyncio.Event()
    jobs = [Job(name, fn, every, channels) for name, (fn, every, channels) in _JOBS.items()]
    await asyncio.gather(_listen(url, jobs, stop), *(_loop(j, pool, settings, stop) for j in jobs))


async def _listen(url: str, jobs: list[Job], stop: asyncio.Event) -> None:
    """``LISTEN`` on the jobs' channels on a connection of its own, opened again
    whenever PostgreSQL drops it (a restart, a crash); after each (re)connect
    every job is woken once, for what was notified while nobody listened."""
    delay = 0.2
    while not stop.is_set():
        try:
            conn = await asyncpg.connect(url, timeout=10)
        except (*DISCONNECTS, *CONNECTION_ERRORS) as exc:
            log.warning("jobs: cannot listen, database unavailable (%s)", type(exc).__name__)
            await _pause(stop, delay)
            delay = min(delay * 2, 5.0)
            continue
        delay = 0.2
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
        try:
            for j in jobs:
                for channel in j.channels:
                    await conn.add_listener(channel, lambda *_a, j=j: j.wake.set())
                j.wake.set()
            await _first(lost.wait(), stop.wait())
        except DISCONNECTS as exc:
            log.warning("jobs: listening connection lost (%s)", type(exc).__name__)
        finally:
            if not conn.is_closed():
                conn.terminate()


async def _first(*waits) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _loop(j: Job, pool: asyncpg.Pool, settings: Settings, stop: asyncio.Event) -> None:
    while not stop.is_set():
        j.wake.clear()
        started = time.monotonic()
        try:
            await j.run(pool, settings)
        except (*DISCONNECTS, DatabaseUnavailable) as exc:
            log.warning("job %s: database unavailable (%s)", j.name, type(exc).__name__)
        except Exception:
            log.exception("job %s failed", j.name)
        remaining = max(0.0, j.every - (time.monotonic() - started))
        waiters = [asyncio.ensure_future(j.wake.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()
