"""HTTP posting row (1b): ServiceRenderings created and posted through the REST API.

16 concurrent httpx clients send ``POST /api/documents/service-renderings?post=true``
(write and post in one request) to the real ``erp serve``; every answer must be
201 with the document posted. The ceiling is the same raw-SQL script as row 1a
(:mod:`bench.ceiling`, 8 connections), run in turn with the HTTP rounds.
"""

from __future__ import annotations

from .core import Context, Row, versus
from .datasets import stock_history
from .posting import TASKS, ceiling_run_of, duel, pool_of
from .workload import Plan, concurrently

ORDER = 50
CLIENTS = 16


async def rows(ctx: Context) -> list[Row]:
    history = await stock_history(ctx)
    clinic = history.clinic
    server = await ctx.server()
    rounds, per = ctx.pick(smoke=3, full=4), ctx.pick(smoke=48, full=750)
    path = "/api/documents/service-renderings"

    async with server.client() as client, pool_of(ctx, TASKS) as pool:
        async def one(plan: Plan) -> None:
            response = await client.post(path, params={"post": "true"}, json=plan.as_json(clinic.organization))
            if response.status_code != 201 or not response.json()["posted"]:
                raise AssertionError(f"POST {path}: {response.status_code} {response.text[:300]}")

        result = await duel(clinic, rounds, per, lambda items: concurrently(CLIENTS, items, one),
                            ceiling_run_of(ctx, pool, clinic), seed=50)
    ctx.log(f"HTTP {result.rate:.0f} docs/s, ceiling {result.ceiling:.0f} docs/s")
    return [versus("1b", "Posting throughput, HTTP API (16 clients)",
                   f"{rounds * per} POST ?post=true, ServiceRenderings × 5 lines, 16 clients → erp serve (1 process)",
                   result.rate, "docs/s", result.ceiling, "ceiling (8 connections)", at_least=0.25,
                   note=result.note())]
