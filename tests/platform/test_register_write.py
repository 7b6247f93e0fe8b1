"""Writing movements: replace mode, totals kept by the delta, one statement per
register whatever the number of lines, back-dating at constant cost; and reading
balances as a posting's needs read them, now or at a past moment."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from erp.platform.metadata import Registry
from erp.platform.posting import read_needs
from erp.platform.posting.inputs import Balances
from erp.platform.totals import check_totals
from tests.platform.conftest import at
from tests.platform.writes import current_balances, write_movements

D = Decimal


async def rows(db, table: str) -> list[dict]:
    return [dict(r) for r in await db.fetch(f"SELECT * FROM {table} ORDER BY id")]


async def test_post_repost_unpost_keeps_totals_equal_to_movements(db, stock):
    receipt = [stock.receipt(at(2024, 1, 10), warehouse_id=1, item_id=7, quantity=D(10), cost=D("100.00")),
               stock.receipt(at(2024, 2, 3), warehouse_id=1, item_id=8, quantity=D(4), cost=D("40.00"),
                             note="партия 2")]
    await write_movements(db, stock, "receipt", 1, receipt)
    await write_movements(db, stock, "issue", 1, [
        stock.expense(at(2024, 2, 5), warehouse_id=1, item_id=7, quantity=D(3), cost=D("30.00"))])

    movements = await rows(db, stock.movements_table)
    assert [(m["recorder_kind"], m["line_no"], m["record_type"], m["quantity"], m["note"]) for m in movements] == [
        ("receipt", 1, 1, D(10), ""), ("receipt", 2, 1, D(4), "партия 2"), ("issue", 1, -1, D(3), "")]
    assert await stock.balance(db) == [
        {"warehouse_id": 1, "item_id": 7, "quantity": D(7), "cost": D(70)},
        {"warehouse_id": 1, "item_id": 8, "quantity": D(4), "cost": D(40)}]
    assert await check_totals(db, stock) == []

    # Re-posting replaces the recorder's whole set: item 8 leaves, item 9 comes.
    await write_movements(db, stock, "receipt", 1, [
        receipt[0], stock.receipt(at(2024, 2, 3), warehouse_id=1, item_id=9, quantity=D(2), cost=D(6))])
    assert [(r["item_id"], r["quantity"]) for r in await stock.balance(db)] == [(7, D(7)), (9, D(2))]
    assert await check_totals(db, stock) == []

    # Unposting is writing the empty set.
    await write_movements(db, stock, "issue", 1, [])
    await write_movements(db, stock, "receipt", 1, [])
    assert await stock.balance(db) == []
    assert await rows(db, stock.movements_table) == []
    assert await check_totals(db, stock) == []


async def test_turnover_register_keeps_month_totals(db, sales):
    await write_movements(db, sales, "sale", 1, [
        sales.turnover(at(2024, 3, 31, 23, 30), client_id=5, item_id=1, quantity=D(1), amount=D("500.00")),
        sales.turnover(at(2024, 4, 1, 0, 30), client_id=5, item_id=1, quantity=D(2), amount=D("900.00"))])
    months = await db.fetch(f"SELECT month, quantity, amount FROM {sales.month_table} ORDER BY month")
    # Months are cut in the register's timezone (Moscow), not UTC.
    assert [(m["month"].month, m["quantity"], m["amount"]) for m in months] == [
        (3, D(1), D(500)), (4, D(2), D(900))]
    assert await check_totals(db, sales) == []


async def test_write_is_one_statement_whatever_the_number_of_lines(db, stock):
    def lines(n: int):
        return [stock.receipt(at(2024, 1 + i % 12, 1 + i % 28), warehouse_id=1 + i % 3, item_id=i,
                              quantity=D(i), cost=D(i)) for i in range(1, n + 1)]

    await write_movements(db, stock, "warm-up", 1, lines(1))  # asyncpg learns the array types once
    statements: list[str] = []
    db.add_query_logger(lambda q: statements.append(q.query))

    async def count(movements, recorder_id: int) -> int:
        statements.clear()
        await write_movements(db, stock, "receipt", recorder_id, movements)
        await asyncio.sleep(0.01)  # asyncpg calls query loggers with call_soon
        return len(statements)

    counts = {}
    for n in (5, 200):
        counts[n] = await count(lines(n), n)
        counts[f"{n} again"] = await count(lines(n)[::-1], n)  # re-post
    counts["unpost"] = await count([], 200)
    assert counts == {5: 1, "5 again": 1, 200: 1, "200 again": 1, "unpost": 1}
    assert await check_totals(db, stock) == []


async def _versions(db, table: str) -> dict[int, str]:
    return {r["id"]: r["xmin"] for r in await db.fetch(f"SELECT id, xmin::text FROM {table}")}


@pytest.mark.parametrize("history_months", [3, 36])
async def test_back_dated_posting_touches_one_month_row_and_the_current_row(db, stock, history_months):
    for i in range(history_months):
        year, month = 2021 + i // 12, 1 + i % 12
        await write_movements(db, stock, "receipt", i + 1, [
            stock.receipt(at(year, month, 15), warehouse_id=1, item_id=1, quantity=D(5), cost=D(50)),
            stock.receipt(at(year, month, 16), warehouse_id=2, item_id=1, quantity=D(1), cost=D(10))])
    before = {t: await _versions(db, t) for t in (stock.movements_table, stock.month_table, stock.balance_table)}

    # A document dated in the first month of the history.
    await write_movements(db, stock, "issue", 1, [
        stock.expense(at(2021, 1, 20), warehouse_id=1, item_id=1, quantity=D(2), cost=D(20))])

    after = {t: await _versions(db, t) for t in before}
    changed = {t: sum(1 for id_, v in after[t].items() if before[t].get(id_) != v) for t in before}
    assert changed == {stock.movements_table: 1, stock.month_table: 1, stock.balance_table: 1}
    assert (await stock.balance(db, warehouse_id=1))[0]["quantity"] == D(5 * history_months - 2)
    assert (await stock.balance(db, at(2021, 1, 31), warehouse_id=1))[0]["quantity"] == D(3)
    assert await check_totals(db, stock) == []


async def test_current_balances_exclude_the_recorders_own_movements(db, stock):
    await write_movements(db, stock, "receipt", 1, [
        stock.receipt(at(2024, 1, 1), warehouse_id=1, item_id=1, quantity=D(10), cost=D("100.00"))])
    await write_movements(db, stock, "issue", 2, [
        stock.expense(at(2024, 1, 2), warehouse_id=1, item_id=1, quantity=D(4), cost=D("40.00"))])
    keys = [{"warehouse_id": 1, "item_id": 1}, {"warehouse_id": 1, "item_id": 2}, {"warehouse_id": 1, "item_id": 1}]
    assert await current_balances(db, stock, keys) == {
        (1, 1): {"quantity": D(6), "cost": D(60)}, (1, 2): {"quantity": D(0), "cost": D(0)}}
    # Re-posting the issue must see the stock as if the issue were not there yet.
    assert await current_balances(db, stock, keys[:1], exclude_recorder=("issue", 2)) == {
        (1, 1): {"quantity": D(10), "cost": D(100)}}


async def test_balances_at_a_past_moment_exclude_the_recorders_own_movements(db, stock):
    """A back-dated document asks for the balance at its own moment: what every other recorder
    moved up to that moment (movements at the very moment included), none of its own, whenever
    they are dated, and nothing moved later."""
    def key(item: int, quantity: int, **kw) -> dict:
        return {"warehouse_id": 1, "item_id": item, "quantity": D(quantity), "cost": D(quantity * 10), **kw}

    moment = at(2024, 1, 10)
    await write_movements(db, stock, "receipt", 1, [stock.receipt(at(2024, 1, 1), **key(1, 10))])
    await write_movements(db, stock, "issue", 3, [stock.expense(at(2024, 1, 5), **key(1, 1))])
    await write_movements(db, stock, "issue", 2, [stock.expense(moment, **key(1, 4)),
                                                  stock.expense(at(2024, 3, 1), **key(1, 2))])
    await write_movements(db, stock, "issue", 4, [stock.expense(moment, **key(1, 2))])
    await write_movements(db, stock, "receipt", 2, [stock.receipt(at(2024, 2, 1), **key(1, 3)),
                                                    stock.receipt(at(2024, 1, 9), **key(2, 5))])
    registry = Registry([stock])
    keys = ((1, 1), (1, 2), (1, 3))

    async def balances(at_, recorder):
        found, _ = await read_needs(db, registry, {"b": Balances(stock.name, keys, at=at_)}, recorder)
        return {k: (v["quantity"], v["cost"]) for k, v in found["b"].items()}

    zero = (D(0), D(0))
    # at the moment, without issue 2: 10 received, 1 and 2 (the latter at that very moment) issued
    assert await balances(moment, ("issue", 2)) == {(1, 1): (D(7), D(70)), (1, 2): (D(5), D(50)), (1, 3): zero}
    # with it: its movement at the moment counts, the one after it does not
    assert await balances(moment, None) == {(1, 1): (D(3), D(30)), (1, 2): (D(5), D(50)), (1, 3): zero}
    # just before the moment: neither issue 4 nor issue 2 yet
    assert await balances(moment - dt.timedelta(microseconds=1), ("issue", 2)) == {
        (1, 1): (D(9), D(90)), (1, 2): (D(5), D(50)), (1, 3): zero}
    # before anything was moved
    assert await balances(at(2023, 12, 31), ("issue", 2)) == {k: zero for k in keys}
    # now, without issue 2: the February receipt counts too
    assert await balances(None, ("issue", 2)) == {(1, 1): (D(10), D(100)), (1, 2): (D(5), D(50)), (1, 3): zero}
    # excluding another recorder's own movements at the moment (receipt 2 moved item 2 before it)
    assert (await balances(moment, ("receipt", 2)))[(1, 2)] == zero
    assert await check_totals(db, stock) == []
