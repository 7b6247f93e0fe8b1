"""Inventory count row (14, issue 16 point 11): a 200-line «Инвентаризация товаров» posts in the
same statements as any other posting.

On a warehouse of its own, 200 goods come in with one posted GoodsReceipt (untimed). Then, on one
connection whose statements are prepared first: ``Engine.post`` of a written 200-line count (its
reads: the book balances at the count's moment, the current balances and the last known averages
of the 200 keys, all in one read query; its shortages and surpluses in one write), and write+post
of a new one («Провести и закрыть»). The comparison is the same for a 1-line count measured in the
same run: the number of statements must not grow with the lines. The count posts shortages and
surpluses both (every third item is short by one, every third has one more than the books), and
the row checks that the register holds exactly what was counted afterwards.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from .clinic import add_items
from .core import Context, Row, count, fmt
from .posting import TRANSACTION, pool_of, roles, statements_of

ORDER = 35
LINES = 200
ON_BOOKS = 10  # of every item before the count


async def rows(ctx: Context) -> list[Row]:
    clinic = await ctx.clinic()
    engine, docs = ctx.engine, ctx.registry.documents
    kind, receipt_kind = docs["inventory-counts"], docs["goods-receipts"]
    stock = ctx.registry.registers["stock"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    async with pool_of(ctx, 1) as pool, pool.acquire() as conn:
        cat = ctx.registry.catalogs
        (warehouse,) = await add_items(conn, cat["warehouses"], [{"name": "Склад инвентаризации (бенчмарк)"}])
        items = await add_items(conn, cat["nomenclature"], [
            {"name": f"Расходник {i + 1:03d}", "kind": "goods", "unit": "шт", "price": "5", "vat_rate": "20"}
            for i in range(LINES)])
        await engine.create(conn, receipt_kind, {
            "date": (now - dt.timedelta(days=2)).isoformat(), "supplier_id": clinic.supplier, "warehouse_id": warehouse,
            "lines": [{"nomenclature_id": n, "quantity": str(ON_BOOKS), "price": "4.00"} for n in items]}, post=True)

        def counted(i: int) -> int:
            return ON_BOOKS - 1 if i % 3 == 0 else ON_BOOKS + 1 if i % 3 == 1 else ON_BOOKS

        def body(lines: int, day: int) -> dict:
            return {"date": (now - dt.timedelta(days=1, minutes=day)).isoformat(),
                    "organization_id": clinic.organization, "warehouse_id": warehouse,
                    "responsible": "Кладовщик (бенчмарк)",
                    "lines": [{"nomenclature_id": n, "quantity": str(counted(i))}
                              for i, n in zip(range(lines), items, strict=False)]}

        async def measure(lines: int) -> tuple[list[str], list[str], float, int]:
            """Statements of post and of write+post; both counts are unposted afterwards, so every
            measurement starts from the same books. The last figure: items not holding what was counted."""
            draft = await engine.create(conn, kind, body(lines, 1))
            started = time.perf_counter()
            posting = await statements_of(conn, lambda: engine.post(conn, kind, draft.id))
            took = time.perf_counter() - started
            await engine.unpost(conn, kind, draft.id)
            made: list = []

            async def write_and_post() -> None:
                made.append(await engine.create(conn, kind, body(lines, 2), post=True))

            fresh = await statements_of(conn, write_and_post)
            held = {r["nomenclature_id"]: r["quantity"]
                    for r in await stock.balance(conn, warehouse_id=warehouse)}
            wrong = sum(1 for i, n in zip(range(lines), items, strict=False)
                        if held.get(n, Decimal(0)) != Decimal(counted(i)))
            await engine.unpost(conn, kind, made[0].id)
            return roles(posting), roles(fresh), took, wrong

        await measure(1)  # the connection prepares its statements and learns the row types first
        await measure(LINES)
        one_post, _, _, _ = await measure(1)
        post, both, took, wrong = await measure(LINES)
    if wrong:
        raise AssertionError(f"after the count {wrong} of {LINES} items do not hold what was counted")
    counted_roles = [r for r in post if not TRANSACTION.match(r)]
    together = [r for r in both if not TRANSACTION.match(r)]
    one = [r for r in one_post if not TRANSACTION.match(r)]
    ctx.log(f"inventory count: {LINES} lines post {len(counted_roles)} statements ({', '.join(post)}), "
            f"1 line {len(one)}; write+post {len(together)}")
    return [count("14", "Statements per posting, inventory count of 200 lines",
                  f"Engine.post of a written «Инвентаризация товаров», {LINES} lines (a third short, a third "
                  "surplus), own warehouse", len(counted_roles), "statements", at_most=8,
                  comparison=f"1-line count: {len(one)}; write+post of a new 200-line count: {len(together)}",
                  note=f"{', '.join(counted_roles)} (transaction control not counted); 1 line: {', '.join(one)}; "
                       f"write+post: {', '.join(both)}; the 200-line post took {fmt(took * 1000, 'ms')}; "
                       f"after it every one of the {LINES} balances is what was counted")]
