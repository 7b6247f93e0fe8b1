"""Data generator rows (10a, 10b): ``erp bench seed``'s stock history and the totals afterwards.

It runs first, on a quiet database, and builds the data sets the other rows
read: the stock history (timed, 10a) and the ServiceRenderings for the lists.
Then every accumulation register's totals are compared with its movements
(:func:`erp.platform.totals.check_totals`, what ``erp totals check`` runs):
the count of differences must be zero.
"""

from __future__ import annotations

import time

from erp.platform.totals import check_totals

from .core import Context, Row, count, fmt, limit, thousands
from .datasets import renderings, stock_history

ORDER = 10
SECONDS_PER_10M = 300


async def rows(ctx: Context) -> list[Row]:
    history = await stock_history(ctx)
    listed = await renderings(ctx)
    report = history.report
    allowed = SECONDS_PER_10M * report.rows / 10_000_000
    steps = ", ".join(f"{name} {fmt(seconds, 's')}" for name, seconds in report.steps.items())
    started = time.perf_counter()
    async with ctx.connection() as conn:
        differences = [d for reg in ctx.registry.registers.values() for d in await check_totals(conn, reg)]
    checked = time.perf_counter() - started
    return [
        limit("10a", "erp bench seed: stock movements by COPY",
              f"{thousands(report.rows)} movements, {thousands(history.keys)} keys, {history.years} years, "
              "totals added up by the generator (COPY), VACUUM ANALYZE", report.seconds, "s", at_most=allowed,
              target_text=f"≤ 300 s per 10 M (here {fmt(allowed, 's')})",
              comparison=f"{fmt(report.rows / report.seconds, 'rows/s')}",
              note=f"{steps}; also {thousands(listed.rows)} ServiceRenderings × 3 lines in {fmt(listed.seconds, 's')}"),
        count("10b", "Totals consistent after the seed (erp totals check)",
              f"check_totals of {len(ctx.registry.registers)} registers against their movements",
              len(differences), "differences", comparison=f"check took {fmt(checked, 's')}"),
    ]
