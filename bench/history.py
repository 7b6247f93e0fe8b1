"""History independence rows (4c, 4e): a balance stays as fast when a key has years of dense history.

The data is :func:`bench.datasets.skewed_history`: a few keys with 100 000
movements each and a hundred keys with 100 (smoke: 2 × 10 000 and 20 × 100),
on a warehouse of their own, in the same movements table as the rest of the
run's stock history. For random moments of the history, each moment is asked
of a random long key and of a random short key, one after the other (which
goes first alternates), all the balances first and then all the naive sums:

* **4c** ``balance(at, key)`` through the register's own function
  (:func:`erp.platform.virtual_tables.balance`): the long keys' p50 divided by
  the short keys' p50 must stay ≤ 1.5;
* **4e** the naive SUM of the key's movements up to the moment (what one
  writes without totals, with the same index on (key, period)) on the same
  pairs: its p50 must grow with the history, long ÷ short ≥ 50, which shows the
  data really is skewed and 4c is not flat for want of history.

Both answers are compared on every pair.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from .balances import naive_sql
from .core import Context, Row, fmt, ms, percentile, thousands, versus
from .datasets import skewed_history

ORDER = 31


async def rows(ctx: Context) -> list[Row]:
    skewed = await skewed_history(ctx)
    h = skewed.history
    stock = ctx.registry.registers["stock"]
    rnd = random.Random(20)
    samples = ctx.pick(smoke=300, full=2000)
    span = (skewed.end - skewed.start).total_seconds()
    moments = [skewed.start + dt.timedelta(seconds=rnd.uniform(0, span)) for _ in range(samples)]
    groups = [("long", h.long_keys), ("short", h.short_keys)]
    # long first for even moments, short first for odd ones: neither group always follows the other
    cases = [(group, rnd.choice(keys), at) for i, at in enumerate(moments)
             for group, keys in groups[:: 1 - 2 * (i % 2)]]
    balance: dict[str, list[float]] = {"long": [], "short": []}
    naive: dict[str, list[float]] = {"long": [], "short": []}
    answers = []
    sql = naive_sql(stock.movements_table)
    pool = await ctx.pool()
    async with pool.acquire() as conn:
        for _, (w, g), at in cases[:40]:  # prepare both statements and let PostgreSQL settle on its plans
            await stock.balance(conn, at=at, warehouse_id=w, nomenclature_id=g)
            await conn.fetchrow(sql, w, g, at)
        # the balances, then the naive sums: a cheap call never waits behind a long naive sum just run
        for group, (w, g), at in cases:
            started = time.perf_counter()
            got = await stock.balance(conn, at=at, warehouse_id=w, nomenclature_id=g)
            balance[group].append(time.perf_counter() - started)
            answers.append(got[0]["quantity"] if got else 0)
        for (group, (w, g), at), quantity in zip(cases, answers, strict=True):
            started = time.perf_counter()
            summed = await conn.fetchrow(sql, w, g, at)
            naive[group].append(time.perf_counter() - started)
            if quantity != (summed["quantity"] or 0):
                raise AssertionError(f"balance({at}, {w}/{g}) = {quantity}, the movements say {summed['quantity']}")
        held = await conn.fetchval("SELECT reltuples::bigint FROM pg_class WHERE oid = $1::regclass",
                                   stock.movements_table)
    data = (f"{len(h.long_keys)} keys × {thousands(skewed.long_movements)} movements and {len(h.short_keys)} × "
            f"{thousands(skewed.short_movements)}, {skewed.years} years, own warehouse, in a table of "
            f"≈{thousands(held)}; {samples} random moments, each for a long and a short key")
    p = {name: {g: ms(percentile(t[g], 50)) for g in t} for name, t in (("balance", balance), ("naive", naive))}
    p99 = {name: {g: ms(percentile(t[g], 99)) for g in t} for name, t in (("balance", balance), ("naive", naive))}
    return [
        versus("4c", "balance(at, key) p50: keys of 100 000 movements vs keys of 100", data,
               p["balance"]["long"], "ms", p["balance"]["short"], "short keys' p50", at_most=1.5,
               target_text="≤ 1.5 × short keys' p50",
               note=(f"p99 long {fmt(p99['balance']['long'], 'ms')}, short {fmt(p99['balance']['short'], 'ms')};"
                     " balance() agrees with the naive SUM on every pair")),
        versus("4e", "Naive SUM p50: keys of 100 000 movements vs keys of 100 (beside 4c)",
               f"{data}; the sum of the key's movements up to the moment, index on (key, period)",
               p["naive"]["long"], "ms", p["naive"]["short"], "short keys' p50", at_least=50,
               target_text="≥ 50 × short keys' p50",
               note=f"p99 long {fmt(p99['naive']['long'], 'ms')}, short {fmt(p99['naive']['short'], 'ms')}"),
    ]
