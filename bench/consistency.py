"""Consistency row (10c): the totals still agree with the movements at the end of the run.

By then the engine, the HTTP API and the hand-written ceiling
(:mod:`bench.ceiling`) have all posted documents. A difference would mean the
ceiling did not write the same rows as the engine, or that concurrent
postings lost an update, so it guards the honesty of the posting rows too.
"""

from __future__ import annotations

import time

from erp.platform.totals import check_totals

from .core import Context, Row, count, fmt

ORDER = 95


async def rows(ctx: Context) -> list[Row]:
    started = time.perf_counter()
    async with ctx.connection() as conn:
        posted = await conn.fetchval("SELECT count(*) FROM doc_service_renderings WHERE posted")
        differences = [d for reg in ctx.registry.registers.values() for d in await check_totals(conn, reg)]
    return [count("10c", "Totals consistent at the end of the run",
                  f"check_totals of every register after {posted} posted ServiceRenderings (engine, HTTP, ceiling)",
                  len(differences), "differences", comparison=f"check took {fmt(time.perf_counter() - started, 's')}")]
