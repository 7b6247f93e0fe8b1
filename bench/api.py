"""HTTP posting row (1b): ServiceRenderings created and posted through the REST API.

16 concurrent httpx clients send ``POST /api/documents/service-renderings?post=true``
(write and post in one request) to the real ``erp serve``; every answer must be
201 with the document posted. The ceiling is the same raw-SQL script as row 1a
(:mod:`bench.ceiling`, 8 connections), measured right before and right after.
"""

from __future__ import annotations

from .core import Context, Row, fmt, versus
from .datasets import stock_history
from .posting import TASKS, ceiling, pool_of
from .workload import Plan, concurrently, plans

ORDER = 50
CLIENTS = 16


async def rows(ctx: Context) -> list[Row]:
    history = await stock_history(ctx)
    clinic = history.clinic
    server = await ctx.server()
    n = ctx.pick(smoke=160, full=3000)
    path = "/api/documents/service-renderings"

    async with server.client() as client:
        async def one(plan: Plan) -> None:
            response = await client.post(path, params={"post": "true"}, json=plan.as_json(clinic.organization))
            if response.status_code != 201 or not response.json()["posted"]:
                raise AssertionError(f"POST {path}: {response.status_code} {response.text[:300]}")

        items = plans(clinic, n + CLIENTS * 2, seed=51)
        async with pool_of(ctx, TASKS) as pool:
            before = await ceiling(ctx, pool, clinic, ctx.pick(smoke=120, full=3000), seed=52)
        await concurrently(CLIENTS, items[: CLIENTS * 2], one)  # warm the server's pool and statements
        seconds = await concurrently(CLIENTS, items[CLIENTS * 2:], one)
        async with pool_of(ctx, TASKS) as pool:
            after = await ceiling(ctx, pool, clinic, ctx.pick(smoke=120, full=3000), seed=53)
    rate = n / seconds
    ctx.log(f"HTTP {rate:.0f} docs/s; ceiling {before:.0f} and {after:.0f}")
    return [versus("1b", "Posting throughput, HTTP API (16 clients)",
                   f"{n} POST ?post=true, ServiceRenderings × 5 lines, 16 clients → erp serve (1 process)",
                   rate, "docs/s", (before + after) / 2, "ceiling", at_least=0.25,
                   note=f"ceiling (8 connections) before {fmt(before, 'docs/s')}, after {fmt(after, 'docs/s')}")]
