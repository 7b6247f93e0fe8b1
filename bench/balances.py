"""Balance rows (4a, 4b, 4d): the stock register's virtual tables on a long history.

``balance(at=moment, key)`` is timed in process at random moments of the
history for random keys, through the register's own function
(:func:`erp.platform.virtual_tables.balance`: totals plus at most half a month
of movements); every answer is checked against the naive SUM of the key's
movements up to the moment (untimed here: rows 4c and 4e in
:mod:`bench.history` compare the two on keys of short and long history).
The year of monthly turnovers is ``turnovers(start, end, "month", key)`` for
twelve whole months.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from erp.platform.virtual_tables import month_of, month_start, shift_month

from .core import Context, Row, limit, ms, percentile, thousands
from .datasets import stock_history

ORDER = 30


def naive_sql(table: str) -> str:
    return (f"SELECT sum(record_type * quantity) AS quantity, sum(record_type * cost) AS cost FROM {table}"
            " WHERE warehouse_id = $1 AND nomenclature_id = $2 AND period <= $3")


async def rows(ctx: Context) -> list[Row]:
    history = await stock_history(ctx)
    stock = ctx.registry.registers["stock"]
    keys = history.clinic.stock_keys
    rnd = random.Random(4)
    samples = ctx.pick(smoke=300, full=2000)
    span = (history.end - history.start).total_seconds()
    cases = [(rnd.choice(keys), history.start + dt.timedelta(seconds=rnd.uniform(0, span)))
             for _ in range(samples)]
    pool = await ctx.pool()
    balance_times = []
    async with pool.acquire() as conn:
        for (w, g), at in cases[:20]:  # prepare both statements first
            await stock.balance(conn, at=at, warehouse_id=w, nomenclature_id=g)
            await conn.fetchrow(naive_sql(stock.movements_table), w, g, at)
        for (w, g), at in cases:
            started = time.perf_counter()
            got = await stock.balance(conn, at=at, warehouse_id=w, nomenclature_id=g)
            balance_times.append(time.perf_counter() - started)
            naive = await conn.fetchrow(naive_sql(stock.movements_table), w, g, at)
            quantity = got[0]["quantity"] if got else 0
            if quantity != (naive["quantity"] or 0):
                raise AssertionError(f"balance({at}, {w}/{g}) = {quantity}, the movements say {naive['quantity']}")
        tz = stock.tz
        last = month_of(history.end, tz)
        start, end = month_start(shift_month(last, -12), tz), month_start(last, tz) - dt.timedelta(microseconds=1)
        turnover_times = []
        for (w, g), _ in cases[: samples // 2]:
            started = time.perf_counter()
            months = await stock.turnovers(conn, start, end, "month", warehouse_id=w, nomenclature_id=g)
            turnover_times.append(time.perf_counter() - started)
            if len(months) > 12:
                raise AssertionError(f"{len(months)} monthly rows for one year")
    p50, p99 = percentile(balance_times, 50), percentile(balance_times, 99)
    data = (f"{thousands(history.report.rows)} movements, {thousands(history.keys)} keys, {history.years} years; "
            f"{samples} random (moment, key)")
    return [
        limit("4a", "balance(at, key), p50", data, ms(p50), "ms", at_most=1,
              note="balance() agrees with the naive SUM of the movements on every pair"),
        limit("4b", "balance(at, key), p99", data, ms(p99), "ms", at_most=5),
        limit("4d", "A year of monthly turnovers for one key, p50",
              f"turnovers(12 whole months, 'month', key), {len(turnover_times)} random keys",
              ms(percentile(turnover_times, 50)), "ms", at_most=5,
              note=f"p99 {ms(percentile(turnover_times, 99)):.2f} ms"),
    ]
