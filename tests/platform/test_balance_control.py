"""Контроль остатков: write, then check, in the writing statement itself; a shortfall refuses
the write (nothing of it is left), and concurrent postings on the same keys never leave a
negative balance."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import pytest

from erp.platform.db import create_pool, in_transaction
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister
from erp.platform.shortfalls import BalanceShortage, Shortfall
from erp.platform.totals import check_totals
from tests.platform.conftest import at, install
from tests.platform.writes import write_movements

D = Decimal


async def post(conn, reg, kind: str, recorder_id: int, movements) -> None:
    """What the posting engine does: write, and check what the write left, in one statement."""
    await write_movements(conn, reg, kind, recorder_id, movements)


def receipt(reg, item_id: int, quantity: int, day: int = 1):
    return reg.receipt(at(2024, 1, day), warehouse_id=1, item_id=item_id, quantity=D(quantity),
                       cost=D(quantity * 10))


def expense(reg, item_id: int, quantity: int, day: int = 2):
    return reg.expense(at(2024, 1, day), warehouse_id=1, item_id=item_id, quantity=D(quantity),
                       cost=D(quantity * 10))


async def quantities(db, reg) -> dict[int, Decimal]:
    return {r["item_id"]: r["quantity"] for r in await reg.balance(db)}


async def tables(db, reg) -> dict[str, list]:
    return {t: [tuple(r) for r in await db.fetch(f'SELECT * FROM "{t}" ORDER BY id')]
            for t in (reg.movements_table, reg.month_table, reg.balance_table)}


async def refusal(db, reg, kind: str, recorder_id: int, movements) -> list[Shortfall]:
    """The shortfalls the write is refused with; the refused write leaves every table as it was."""
    before = await tables(db, reg)
    with pytest.raises(BalanceShortage) as refused:
        await write_movements(db, reg, kind, recorder_id, movements)
    assert await tables(db, reg) == before
    return refused.value.shortfalls


async def test_a_shortfall_is_structured_and_rolls_the_posting_back(db, stock):
    await post(db, stock, "receipt", 1, [receipt(stock, 1, 5), receipt(stock, 2, 1)])
    issue = [expense(stock, 1, 3), expense(stock, 1, 4), expense(stock, 2, 1)]

    assert await refusal(db, stock, "issue", 9, issue) == [
        Shortfall(register="test-stock", dimensions={"warehouse_id": 1, "item_id": 1}, resource="quantity",
                  available=D(5), required=D(7), title="Товары на складах",
                  balances={"quantity": D(-2), "cost": D(-20)})]

    with pytest.raises(BalanceShortage) as caught:
        await post(db, stock, "issue", 9, issue)
    error = caught.value
    assert (error.status, error.code) == (409, "balance_shortage")
    assert error.message == ("Недостаточно остатка: Товары на складах (warehouse_id=1, item_id=1), "
                             "quantity: доступно 5.000, требуется 7.000"
                             " (после изменения: quantity -2.000, cost -20.00)")
    assert error.as_dict()["details"] == {"shortfalls": [
        {"register": "test-stock", "dimensions": {"warehouse_id": 1, "item_id": 1}, "resource": "quantity",
         "available": "5.000", "required": "7.000", "balances": {"quantity": "-2.000", "cost": "-20.00"}}]}
    # Nothing of the refused posting is left: movements, month totals, balances.
    assert await quantities(db, stock) == {1: D(5), 2: D(1)}
    assert await db.fetchval(f"SELECT count(*) FROM {stock.movements_table} WHERE recorder_kind = 'issue'") == 0
    assert await check_totals(db, stock) == []


async def test_re_posting_counts_what_the_document_takes_not_its_change(db, stock):
    await post(db, stock, "receipt", 1, [receipt(stock, 1, 5)])
    await post(db, stock, "issue", 2, [expense(stock, 1, 3)])
    # Taking 6 instead of 3: the key had 5 without this document.
    assert await refusal(db, stock, "issue", 2, [expense(stock, 1, 6)]) == [
        Shortfall(register="test-stock", dimensions={"warehouse_id": 1, "item_id": 1}, resource="quantity",
                  available=D(5), required=D(6), title="Товары на складах",
                  balances={"quantity": D(-1), "cost": D(-10)})]
    await post(db, stock, "issue", 2, [expense(stock, 1, 5)])
    assert await quantities(db, stock) == {}


async def test_taking_back_a_spent_receipt_is_refused(db, stock):
    await post(db, stock, "receipt", 1, [receipt(stock, 1, 5)])
    await post(db, stock, "issue", 2, [expense(stock, 1, 3)])

    for smaller in ([], [receipt(stock, 1, 2)]):  # unposting it, or re-posting it smaller
        with pytest.raises(BalanceShortage) as caught:
            await post(db, stock, "receipt", 1, smaller)
        [shortfall] = caught.value.shortfalls
        assert (shortfall.required, shortfall.available) == (D(0), D(-3) if not smaller else D(-1))
        assert "остаток станет" in caught.value.message
    assert await quantities(db, stock) == {1: D(2)}

    await post(db, stock, "receipt", 1, [receipt(stock, 1, 3)])  # exactly what was spent
    assert await quantities(db, stock) == {}


async def test_only_keys_the_writes_decreased_are_checked(db, stock):
    # A key already negative (written without control) does not block others' postings...
    await write_movements(db, stock, "legacy", 1, [expense(stock, 1, 4)], controlled=False)
    await post(db, stock, "receipt", 2, [receipt(stock, 2, 1)])
    # ...nor a receipt that brings it closer to zero, nor a re-post that changes nothing.
    await post(db, stock, "receipt", 3, [receipt(stock, 1, 1)])
    await post(db, stock, "receipt", 3, [receipt(stock, 1, 1)])
    assert await quantities(db, stock) == {1: D(-3), 2: D(1)}
    # Taking more from it is refused.
    with pytest.raises(BalanceShortage):
        await post(db, stock, "issue", 4, [expense(stock, 1, 1)])


async def test_registers_without_control_are_not_checked(db, sales):
    free = AccumulationRegister(
        "test-free-stock", kind="balance", title="Без контроля",
        dimensions=(Field("warehouse_id", "ref", ref="warehouses", required=True),
                    Field("item_id", "ref", ref="items", required=True)),
        resources=(Field("quantity", "quantity"), Field("cost", "money")))
    await install(db, free)
    # Taking from an empty key of a balance register without no_negative is written as it is...
    await write_movements(db, free, "issue", 1, [expense(free, 1, 3)])
    assert await quantities(db, free) == {1: D(-3)}
    # ...and so is a negative turnover.
    await write_movements(db, sales, "sale", 1, [
        sales.turnover(at(2024, 1, 2), client_id=1, item_id=1, quantity=D(-1), amount=D(-100))])
    assert (await sales.turnovers(db, at(2024, 1, 1), at(2024, 1, 31)))[0]["amount"] == D(-100)
    assert await check_totals(db, free) == [] and await check_totals(db, sales) == []


async def test_the_check_is_part_of_the_writing_statement(db, stock):
    """Balance control cannot be left out or run apart from the write: with no transaction around
    it, a refused write commits nothing, not even the rows it wrote before the check."""
    await post(db, stock, "receipt", 1, [receipt(stock, 1, 1)])
    assert not db.is_in_transaction()
    assert [s.required for s in await refusal(db, stock, "issue", 1, [expense(stock, 1, 1), expense(stock, 1, 1),
                                                                   receipt(stock, 2, 1)])] == [D(2)]
    assert await quantities(db, stock) == {1: D(1)}
    assert await db.fetchval(f"SELECT count(*) FROM {stock.movements_table} WHERE recorder_kind = 'issue'") == 0
    assert await check_totals(db, stock) == []


async def test_concurrent_postings_on_hot_keys_never_go_negative(db, database_url, stock):
    await post(db, stock, "receipt", 1, [receipt(stock, 1, 11), receipt(stock, 2, 11)])
    pool = await create_pool(database_url, min_size=16, max_size=16)
    rng = random.Random(7)

    def take(n: int):
        async def work(conn):
            lines = [expense(stock, 1, 2), expense(stock, 2, 2)]
            rng.shuffle(lines)  # the order of lines must not matter for locking
            await write_movements(conn, stock, "issue", n, lines)  # refused when short
            await asyncio.sleep(0.005)  # widen the window between the write and the commit
            return n
        return in_transaction(pool, work)

    try:
        results = await asyncio.gather(*(take(n) for n in range(1, 17)), return_exceptions=True)
    finally:
        await pool.close()
    accepted = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, BalanceShortage) for r in refused), refused
    assert len(accepted) == 5  # 11 // 2 on each key
    assert await quantities(db, stock) == {1: D(1), 2: D(1)}
    assert await db.fetchval(f"SELECT count(DISTINCT recorder_id) FROM {stock.movements_table} "
                             "WHERE recorder_kind = 'issue'") == 5
    assert await check_totals(db, stock) == []
