"""Posting rows: throughput against the raw-SQL ceiling (1a), statements per
posting (2a, 2b) and back-dated posting against posting today (3).

Throughput posts ServiceRenderings of 5 lines (2 goods, 3 services) through
the service layer, ``Engine.create(..., post=True)`` (write and post at once,
as "Провести и закрыть" on a new document does: one read, then one statement), with 8
concurrent tasks on a pool of 8 connections. The ceiling (:mod:`bench.ceiling`)
runs on the same pool, the two in turn over several rounds of fresh
documents, which cancels slow drift of a shared machine; the note lists each
round's ratio.

Statements are counted on the connection (asyncpg's query logger) for
``Engine.post`` of a written document, every statement the engine sends except
the transaction's own BEGIN/COMMIT (which the note counts apart); the note
says what each counted one is (:func:`role`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from erp.platform.db import create_pool

from .ceiling import ceiling_run
from .clinic import Clinic
from .core import Context, Row, count, thousands, versus
from .datasets import stock_history
from .workload import Plan, concurrently, plans

ORDER = 20
TASKS = 8
KIND = "service-renderings"
TRANSACTION = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@contextlib.asynccontextmanager
async def pool_of(ctx: Context, size: int):
    pool = await create_pool(ctx.database_url, min_size=size, max_size=size)
    try:
        yield pool
    finally:
        await pool.close()


async def engine_run(ctx: Context, pool: asyncpg.Pool, clinic: Clinic, items: list[Plan], tasks: int) -> float:
    """Seconds ``Engine.create(post=True)`` takes to write and post ``items`` with ``tasks`` workers."""
    kind = ctx.registry.documents[KIND]

    async def one(plan: Plan) -> None:
        async with pool.acquire() as conn:
            await ctx.engine.create(conn, kind, plan.as_input(clinic.organization), post=True)

    return await concurrently(tasks, items, one)


def ceiling_run_of(ctx: Context, pool: asyncpg.Pool, clinic: Clinic) -> Callable[[list[Plan]], Awaitable[float]]:
    return lambda items: ceiling_run(pool, clinic, ctx.registry.registers["stock"], items, TASKS)


@dataclass(frozen=True)
class Duel:
    """Two workloads run in turn, round after round: their rates and each round's ratio."""

    rate: float
    ceiling: float
    ratios: list[float]

    def note(self) -> str:
        spread = ", ".join(f"{r:.2f}" for r in self.ratios)
        return f"{len(self.ratios)} interleaved rounds, ratio per round {spread}"


async def duel(clinic: Clinic, rounds: int, per_round: int, measured: Callable[[list[Plan]], Awaitable[float]],
               ceiling: Callable[[list[Plan]], Awaitable[float]], seed: int) -> Duel:
    """Warm both up, then ``rounds`` × (ceiling, measured) on fresh documents of ``per_round`` each:
    run in turn, slow drift of a shared machine hits both alike."""
    await ceiling(plans(clinic, TASKS * 3, seed=seed))
    await measured(plans(clinic, TASKS * 3, seed=seed + 1))
    spent = {"measured": 0.0, "ceiling": 0.0}
    ratios = []
    for r in range(rounds):
        c = await ceiling(plans(clinic, per_round, seed=seed + 10 + 2 * r))
        m = await measured(plans(clinic, per_round, seed=seed + 11 + 2 * r))
        spent["ceiling"] += c
        spent["measured"] += m
        ratios.append(c / m)
    docs = rounds * per_round
    return Duel(docs / spent["measured"], docs / spent["ceiling"], ratios)


async def round_trips(ctx: Context, clinic: Clinic) -> tuple[list[str], float]:
    """What one write+post sends (every statement, transaction control included, by :func:`role`), and
    the p50 of a trivial round trip (``SELECT $1``) on this machine, in seconds."""
    kind = ctx.registry.documents[KIND]
    warm, counted = plans(clinic, 2, seed=90)
    async with pool_of(ctx, 1) as pool, pool.acquire() as conn:
        await ctx.engine.create(conn, kind, warm.as_input(clinic.organization), post=True)
        seen: list[str] = []

        def log(record) -> None:
            seen.append(record.query)

        conn.add_query_logger(log)
        await ctx.engine.create(conn, kind, counted.as_input(clinic.organization), post=True)
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon after each statement
        conn.remove_query_logger(log)
        trips = roles(seen)
        samples = []
        for _ in range(ctx.pick(smoke=200, full=1000)):
            started = time.perf_counter()
            await conn.fetchval("SELECT $1::int", 1)
            samples.append(time.perf_counter() - started)
    return trips, statistics.median(samples)


async def throughput(ctx: Context, clinic: Clinic) -> Row:
    rounds, per = ctx.pick(smoke=3, full=4), ctx.pick(smoke=40, full=1000)
    async with pool_of(ctx, TASKS) as pool:
        result = await duel(clinic, rounds, per, lambda items: engine_run(ctx, pool, clinic, items, TASKS),
                            ceiling_run_of(ctx, pool, clinic), seed=10)
    trips, rtt = await round_trips(ctx, clinic)
    ctx.log(f"engine {result.rate:.0f} docs/s, ceiling {result.ceiling:.0f} docs/s")
    return versus("1a", "Posting throughput, service layer (8 tasks)",
                  f"{rounds * per} ServiceRenderings × 5 lines (2 goods, 3 services), write+post, 8 tasks",
                  result.rate, "docs/s", result.ceiling, "ceiling", at_least=0.5,
                  note=f"{result.note()}; the engine's write+post is {len(trips)} statements ({', '.join(trips)}), "
                       "the ceiling's 1; "
                       f"one round trip (SELECT $1) p50 {rtt * 1e6:.0f} µs here")


# -- statements ---------------------------------------------------------------------------------


def role(sql: str) -> str:
    """What a statement the engine sent is, for the notes: transaction control, the document loaded
    and locked, a read, or a write (a statement that inserts, updates or deletes)."""
    if TRANSACTION.match(sql):
        return sql.split()[0].rstrip(";").upper()
    if re.search(r"\bFOR\s+UPDATE\b", sql, re.IGNORECASE):
        return "load and lock"
    if re.search(r"\b(INSERT|UPDATE|DELETE)\b", sql, re.IGNORECASE):
        return "write"
    return "read"


def roles(statements: list[str]) -> list[str]:
    return [role(s) for s in statements]


async def statements_of(conn: asyncpg.Connection, work: Callable[[], Awaitable[object]]) -> list[str]:
    """Every SQL statement ``work()`` sends on ``conn``, transaction control included."""
    seen: list[str] = []

    def log(record) -> None:
        seen.append(record.query)

    conn.add_query_logger(log)
    try:
        await work()
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon after each statement
    finally:
        conn.remove_query_logger(log)
    return seen


async def statement_rows(ctx: Context, clinic: Clinic) -> list[Row]:
    kind = ctx.registry.documents[KIND]
    engine = ctx.engine
    out = []
    async with pool_of(ctx, 1) as pool, pool.acquire() as conn:
        for row_id, goods, services in (("2a", 2, 3), ("2b", 80, 120)):
            lines = goods + services
            warm, warm_draft, draft, fresh = plans(clinic, 4, goods=goods, services=services, seed=20 + lines)
            # The connection prepares every statement (and learns the row types) first.
            await engine.create(conn, kind, warm.as_input(clinic.organization), post=True)
            warmed = await engine.create(conn, kind, warm_draft.as_input(clinic.organization))
            await engine.post(conn, kind, warmed.id)
            doc = await engine.create(conn, kind, draft.as_input(clinic.organization))
            posting = await statements_of(conn, lambda d=doc: engine.post(conn, kind, d.id))
            both = await statements_of(conn, lambda p=fresh: engine.create(conn, kind, p.as_input(clinic.organization),
                                                                           post=True))
            counted = [r for r in roles(posting) if not TRANSACTION.match(r)]
            together = [r for r in roles(both) if not TRANSACTION.match(r)]
            ctx.log(f"{lines} lines: post {len(counted)} statements ({', '.join(roles(posting))}), "
                    f"write+post {len(together)} ({', '.join(roles(both))})")
            out.append(count(row_id, f"Statements per posting, {lines} lines",
                             f"Engine.post of a written ServiceRendering, {goods} goods + {services} services",
                             len(counted), "statements", at_most=8,
                             comparison=f"write+post of a new document: {len(together)}",
                             note=f"{', '.join(counted)} (transaction control not counted: "
                                  f"{', '.join(r for r in roles(posting) if TRANSACTION.match(r)) or 'none'}); "
                                  f"write+post of a new document: {', '.join(roles(both))}"))
    return out


# -- back-dated posting ---------------------------------------------------------------------------


async def back_dated(ctx: Context, clinic: Clinic, history_rows: int) -> Row:
    kind = ctx.registry.documents[KIND]
    engine = ctx.engine
    pairs = ctx.pick(smoke=15, full=100)
    now = dt.datetime.now(dt.UTC)
    back = now - dt.timedelta(days=730)
    today_times, back_times = [], []
    async with pool_of(ctx, 1) as pool, pool.acquire() as conn:
        today_docs = [await engine.create(conn, kind, p.as_input(clinic.organization))
                      for p in plans(clinic, pairs + 3, seed=31, date=now)]
        back_docs = [await engine.create(conn, kind, p.as_input(clinic.organization))
                     for p in plans(clinic, pairs + 3, seed=32, date=back)]
        for i, (today_doc, back_doc) in enumerate(zip(today_docs, back_docs, strict=True)):
            for doc, times in ((today_doc, today_times), (back_doc, back_times)):
                started = time.perf_counter()
                await engine.post(conn, kind, doc.id)
                if i >= 3:  # the first three warm the connection up
                    times.append(time.perf_counter() - started)
    today_ms, back_ms = statistics.median(today_times) * 1000, statistics.median(back_times) * 1000
    return versus("3", "Back-dated posting (24 months back) vs today",
                  f"Engine.post, 5 lines, {pairs} pairs alternating; stock history {thousands(history_rows)} "
                  "movements", back_ms, "ms", today_ms, "today", at_most=1.5,
                  target_text="≤ 1.5 × today", note="medians")


async def rows(ctx: Context) -> list[Row]:
    history = await stock_history(ctx)
    clinic = history.clinic
    return [await throughput(ctx, clinic), *await statement_rows(ctx, clinic),
            await back_dated(ctx, clinic, history.report.rows)]
