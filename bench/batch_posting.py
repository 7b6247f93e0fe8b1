"""Batch re-posting row (13): ``Engine.repost`` of posted ServiceRenderings against
re-posting the same documents one by one.

The documents are the posting rows' workload (5 lines: 2 goods, 3 services),
written and posted once, untimed. Then, on one connection, in interleaved
rounds (which side goes first alternates, so slow drift of a shared machine
hits both alike): the batch call, one transaction for all of them (loaded
and locked in one query, then a read and a write a document), and
``Engine.post`` of each in turn, each its own transaction (load and lock,
read, write, with BEGIN and COMMIT). The ratio is the one-by-one time over
the batch time.

Both must leave the same rows: after every timed re-post the movements of the
re-posted documents (every register, in full) are compared with those before
it, and at the end ``check_totals`` compares every register's totals with its
movements (``erp totals check``).

After the timed rounds, one more untimed pass of each (on a part of the
documents) logs every statement with its time on the connection, so the note
says where a document's time goes: the statements by :func:`~bench.posting.role`,
the rest (the client's Python and the event loop), and the CPU the client and
the connection's PostgreSQL backend used (from ``/proc`` when the server is
local), which a loaded machine does not inflate as it does wall time.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from erp.platform.register import AccumulationRegister
from erp.platform.totals import check_totals

from .core import Context, Row, fmt, thousands, versus
from .datasets import stock_history
from .posting import KIND, pool_of, role
from .workload import plans

ORDER = 30


async def movements_of(conn: asyncpg.Connection, registers: Sequence, ids: list[int]) -> list[tuple]:
    """Every movement the documents ``ids`` recorded, register by register, in a fixed order."""
    out: list[tuple] = []
    for reg in registers:
        rows = await conn.fetch(
            f'SELECT * FROM "{reg.movements_table}" WHERE recorder_kind = $1 AND recorder_id = ANY($2::bigint[])'
            " ORDER BY recorder_id, line_no", KIND, ids)
        out += [(reg.name, *(v for k, v in r.items() if k != "id")) for r in rows]
    return out


def backend_cpu(pid: int | None) -> float | None:
    """Seconds of CPU the PostgreSQL backend ``pid`` has used, when it runs on this machine."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def local_backend(conn: asyncpg.Connection, url: str) -> int | None:
    """The connection's backend pid if the server is on this machine (loopback or a socket), else None."""
    host = urlsplit(url).hostname
    if host not in (None, "", "localhost", "127.0.0.1", "::1") and not host.startswith("/"):
        return None
    return await conn.fetchval("SELECT pg_backend_pid()")


async def breakdown(conn: asyncpg.Connection, backend: int | None, documents: int,
                    work: Callable[[], Awaitable[object]]) -> str:
    """Where ``work()``'s time goes, per document, in milliseconds: the statements by role (asyncpg's
    own timing of each), the rest (Python and the event loop), and the CPU the client process and the
    connection's backend used (wall time waits for a CPU on a loaded machine, CPU time does not)."""
    spent: dict[str, float] = {}

    def log(record) -> None:
        spent[role(record.query)] = spent.get(role(record.query), 0.0) + record.elapsed

    conn.add_query_logger(log)
    server = backend_cpu(backend)
    try:
        client, started = time.process_time(), time.perf_counter()
        await work()
        total, client = time.perf_counter() - started, time.process_time() - client
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon after each statement
    finally:
        conn.remove_query_logger(log)
    after = backend_cpu(backend)
    per = 1e3 / documents
    parts = [f"{name} {seconds * per:.2f}" for name, seconds in spent.items()]
    parts.append(f"the rest {(total - sum(spent.values())) * per:.2f}")
    cpu = f"; CPU: client {client * per:.2f}" + (
        f", server {(after - server) * per:.2f}" if server is not None and after is not None else "")
    return f"{total * per:.2f} ms a document ({', '.join(parts)}{cpu})"


async def rows(ctx: Context) -> list[Row]:
    history = await stock_history(ctx)
    clinic = history.clinic
    kind = ctx.registry.documents[KIND]
    engine = ctx.engine
    n, rounds = ctx.pick(smoke=60, full=1000), ctx.pick(smoke=2, full=3)
    registers = [r for r in kind.registers if isinstance(r, AccumulationRegister)]
    batch_times, single_times = [], []
    differing: list[str] = []
    async with pool_of(ctx, 1) as pool, pool.acquire() as conn:
        docs = await engine.create_many(conn, kind, [p.as_input(clinic.organization)
                                                     for p in plans(clinic, n, seed=130)], post=True)
        ids = [d.id for d in docs]
        # Warm both paths up (statements prepared, row types learnt) on a few of them.
        await engine.repost(conn, kind, ids[:5])
        for i in ids[:5]:
            await engine.post(conn, kind, i)
        before = await movements_of(conn, registers, ids)

        async def batch() -> float:
            started = time.perf_counter()
            await engine.repost(conn, kind, ids)
            return time.perf_counter() - started

        async def one_by_one() -> float:
            started = time.perf_counter()
            for i in ids:
                await engine.post(conn, kind, i)
            return time.perf_counter() - started

        for r in range(rounds):
            order = ((batch, batch_times, "batch"), (one_by_one, single_times, "one by one"))
            for run, times, label in order if r % 2 == 0 else reversed(order):
                times.append(await run())
                after = await movements_of(conn, registers, ids)
                if after != before:
                    differing.append(f"round {r + 1} {label}: {len(set(after) ^ set(before))} movements differ")
                before = after
        part = ids[:ctx.pick(smoke=len(ids), full=200)]

        async def each() -> None:
            for i in part:
                await engine.post(conn, kind, i)

        backend = await local_backend(conn, ctx.database_url)
        where_batch = await breakdown(conn, backend, len(part), lambda: engine.repost(conn, kind, part))
        where_single = await breakdown(conn, backend, len(part), each)
    ratios = ", ".join(f"{s / b:.2f}" for b, s in zip(batch_times, single_times, strict=True))
    ctx.log(f"re-post of {n}: ratio per round {ratios}")
    # check_totals reads every register in full (10 M movements at full size): on a connection
    # without the pool's 60-second statement timeout, which a loaded machine exceeds.
    async with ctx.connection() as conn:
        differences = [d for reg in ctx.registry.registers.values() for d in await check_totals(conn, reg)]
    batch_s, single_s = statistics.median(batch_times), statistics.median(single_times)
    same = "; ".join(differing) if differing else (
        f"the {thousands(len(before))} movements identical after every re-post, batch or one by one")
    ctx.log(f"re-post of {n}: batch {batch_s:.2f} s, one by one {single_s:.2f} s")
    row = versus("13", "Re-posting 1 000 ServiceRenderings: batch vs one by one",
                 f"{thousands(n)} posted ServiceRenderings × 5 lines (2 goods, 3 services); Engine.repost "
                 "(one transaction) vs Engine.post of each (its own transaction), one connection",
                 n / batch_s, "docs/s", n / single_s, "one by one", at_least=2,
                 target_text="≥ 2 × faster than one by one",
                 note=f"{rounds} interleaved rounds (which goes first alternates), medians: batch {fmt(batch_s, 's')}, "
                      f"one by one {fmt(single_s, 's')}; ratio per round {ratios}; {same}; "
                      f"check_totals: {len(differences)} differences; statements timed on {len(part)} of them, "
                      f"batch {where_batch}, one by one {where_single}")
    if differing or differences:  # not the same rows: the speed is not comparable
        return [row.unmeasured(f"re-posting changed the rows: {same}; check_totals: {len(differences)} differences")]
    return [row]
