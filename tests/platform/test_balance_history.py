"""Контроль остатков в прошлом: balance control keeps a ``no_negative`` resource at or above zero at
every moment of the key's history from the earliest moment a posting touches, not only now. A
back-dated expense, a receipt unposted or moved later under goods spent before a later receipt is
refused with the moment the balance would be short at; whatever is refused leaves every table as
it was."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import asyncpg
import pytest

from erp.platform.shortfalls import BalanceShortage, Shortfall
from erp.platform.totals import check_balance_history, check_totals
from tests.platform.conftest import TZ, at
from tests.platform.writes import write_movements

from .test_balance_control import quantities, refusal

D = Decimal
MARCH = 2026


def day(n: int, hour: int = 12) -> dt.datetime:
    return at(MARCH, 3, n, hour)


def came(reg, quantity: int, n: int, item_id: int = 1):
    return reg.receipt(day(n, 10), warehouse_id=1, item_id=item_id, quantity=D(quantity), cost=D(quantity * 10))


def went(reg, quantity: int, n: int, item_id: int = 1):
    return reg.expense(day(n), warehouse_id=1, item_id=item_id, quantity=D(quantity), cost=D(quantity * 10))


KEY = {"warehouse_id": 1, "item_id": 1}


async def test_a_back_dated_expense_is_checked_at_its_moment_and_after(db, stock):
    await write_movements(db, stock, "receipt", 1, [came(stock, 10, 1)])
    await write_movements(db, stock, "sale", 2, [went(stock, 8, 10)])
    # 5 on 05.03 leaves −3 now: refused as today
    [short] = await refusal(db, stock, "write-off", 3, [went(stock, 5, 5)])
    assert (short.available, short.required, short.moment) == (D(2), D(5), None)
    # a later receipt makes today's balance enough, but on 10.03 the sale had 2 left for 5 taken
    await write_movements(db, stock, "receipt", 4, [came(stock, 10, 15)])
    assert await refusal(db, stock, "write-off", 3, [went(stock, 5, 5)]) == [
        Shortfall(register="test-stock", dimensions=KEY, resource="quantity", available=D(2), required=D(5),
                  title="Товары на складах", moment=day(10), balances={"quantity": D(-3)})]
    # 2 fits at every moment
    await write_movements(db, stock, "write-off", 3, [went(stock, 2, 5)])
    assert await quantities(db, stock) == {1: D(10)}
    assert await check_balance_history(db, stock) == []


async def test_the_refusal_names_the_moment_and_what_is_missing(db, stock):
    await write_movements(db, stock, "receipt", 1, [came(stock, 10, 1), came(stock, 10, 15)])
    await write_movements(db, stock, "sale", 2, [went(stock, 8, 10)])
    with pytest.raises(BalanceShortage) as caught:
        await write_movements(db, stock, "write-off", 3, [went(stock, 5, 5)])
    error = caught.value
    assert (error.status, error.code) == (409, "balance_shortage")
    assert error.message == ("Недостаточно остатка: Товары на складах (warehouse_id=1, item_id=1), quantity:"
                             " на 10.03.2026 12:00 не хватает 3.000 (доступно 2.000, требуется 5.000)"
                             " (после изменения на 10.03.2026 12:00: quantity -3.000)")
    assert error.as_dict()["details"] == {"shortfalls": [
        {"register": "test-stock", "dimensions": KEY, "resource": "quantity", "available": "2.000",
         "required": "5.000", "moment": "2026-03-10T12:00:00+03:00", "balances": {"quantity": "-3.000"}}]}


async def test_the_lowest_balance_is_named_at_its_earliest_moment(db, stock):
    # 10 on 01.03, 4 sold on 06.03 and 4 more on 08.03, 10 more come on 20.03
    await write_movements(db, stock, "receipt", 1, [came(stock, 10, 1), came(stock, 10, 20)])
    await write_movements(db, stock, "sale", 2, [went(stock, 4, 6), went(stock, 4, 8)])
    # 7 on 05.03 fits that day (3 left), not on 06.03 (−1) nor on 08.03 (−5); today 5 are left
    [short] = await refusal(db, stock, "write-off", 3, [went(stock, 7, 5)])
    assert (short.moment, short.available - short.required, short.required) == (day(8), D(-5), D(7))


async def test_unposting_a_receipt_spent_before_a_later_one_is_refused(db, stock):
    await write_movements(db, stock, "receipt", 1, [came(stock, 10, 1)])
    await write_movements(db, stock, "sale", 2, [went(stock, 8, 10)])
    await write_movements(db, stock, "receipt", 3, [came(stock, 10, 15)])
    # today 12 are left, more than the 10 received on 01.03; but on 10.03 the sale would have had nothing
    [short] = await refusal(db, stock, "receipt", 1, [])
    assert (short.moment, short.available, short.required) == (day(10), D(-8), D(0))
    assert "на 10.03.2026 12:00 не хватает 8.000" in short.describe()
    # nor made smaller than what the sale took before the next receipt
    [short] = await refusal(db, stock, "receipt", 1, [came(stock, 7, 1)])
    assert (short.moment, short.available) == (day(10), D(-1))
    await write_movements(db, stock, "receipt", 1, [came(stock, 8, 1)])
    assert await check_balance_history(db, stock) == []


async def test_moving_a_receipt_later_past_what_it_paid_for_is_refused(db, stock):
    await write_movements(db, stock, "receipt", 1, [came(stock, 10, 1)])
    await write_movements(db, stock, "sale", 2, [went(stock, 8, 10)])
    # the same receipt dated 12.03: its balance now is the same, the sale on 10.03 had nothing
    [short] = await refusal(db, stock, "receipt", 1, [came(stock, 10, 12)])
    assert (short.moment, short.available, short.required) == (day(10), D(-8), D(0))
    # moved earlier, or later but still before the sale, it stays
    await write_movements(db, stock, "receipt", 1, [came(stock, 10, 9)])
    await write_movements(db, stock, "receipt", 1, [came(stock, 10, 1)])
    assert await check_balance_history(db, stock) == []


async def test_receipts_and_unchanged_re_posts_are_never_refused_for_the_past(db, stock):
    # a key whose past is already negative (written without control) does not block receipts into it,
    # at any date, nor a re-post that changes nothing
    await write_movements(db, stock, "legacy", 1, [went(stock, 4, 5)], controlled=False)
    await write_movements(db, stock, "receipt", 2, [came(stock, 6, 20)])
    await write_movements(db, stock, "receipt", 3, [came(stock, 1, 1)])
    await write_movements(db, stock, "receipt", 2, [came(stock, 6, 20)])
    assert await quantities(db, stock) == {1: D(3)}
    assert [(b.moment, b.value) for b in await check_balance_history(db, stock)] == [(day(5), D(-3))]
    # taking from it before its next receipt is refused, though today's balance would be enough
    [short] = await refusal(db, stock, "sale", 4, [went(stock, 1, 6)])
    assert (short.moment, short.available - short.required) == (day(6), D(-4))


async def test_only_the_moments_from_the_earliest_one_touched_count(db, stock):
    # the past before the posting's first moment is not the posting's to judge
    await write_movements(db, stock, "legacy", 1, [went(stock, 4, 2)], controlled=False)
    await write_movements(db, stock, "receipt", 2, [came(stock, 10, 3)])
    await write_movements(db, stock, "sale", 3, [went(stock, 5, 4)])
    assert await quantities(db, stock) == {1: D(1)}


async def test_keys_are_checked_apart(db, stock):
    await write_movements(db, stock, "receipt", 1, [came(stock, 5, 1, item_id=1), came(stock, 5, 1, item_id=2),
                                                   came(stock, 5, 20, item_id=1), came(stock, 5, 20, item_id=2)])
    await write_movements(db, stock, "sale", 2, [went(stock, 5, 10, item_id=1)])
    shorts = await refusal(db, stock, "write-off", 3, [went(stock, 3, 5, item_id=1), went(stock, 3, 5, item_id=2)])
    assert [(s.dimensions["item_id"], s.moment, s.available - s.required) for s in shorts] == [(1, day(10), D(-3))]


async def test_a_posting_that_waited_for_a_concurrent_one_on_its_key_sees_it(db, database_url, stock):
    """The past is read after the key's balance row is locked, with a fresh snapshot: a posting that
    committed on the key while this one waited for that row counts, although the statement's own
    snapshot was taken before it committed."""
    await write_movements(db, stock, "receipt", 1, [came(stock, 10, 1)])
    other = await asyncpg.connect(database_url)
    try:
        holding = other.transaction()
        await holding.start()
        # a receipt on 20.03 is written, not yet committed: it holds the key's balance row
        await write_movements(other, stock, "receipt", 2, [came(stock, 10, 20)])
        # a back-dated sale of 15 on 05.03 waits for that row; judged by the balance it gets after the wait
        # (20) and the movements its own snapshot holds (none after 05.03), it would pass
        waiting = asyncio.create_task(write_movements(db, stock, "sale", 3, [went(stock, 15, 5)]))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        await holding.commit()
        with pytest.raises(BalanceShortage) as caught:
            await waiting
    finally:
        await other.close()
    [short] = caught.value.shortfalls
    assert (short.moment, short.available - short.required) == (day(5), D(-5))
    # a date move that changes no balance locks the key's row too: the sale waiting for it sees the receipt
    # of 01.03 moved past its moment
    other = await asyncpg.connect(database_url)
    try:
        holding = other.transaction()
        await holding.start()
        await write_movements(other, stock, "receipt", 1, [came(stock, 10, 25)])
        waiting = asyncio.create_task(write_movements(db, stock, "sale", 4, [went(stock, 5, 10)]))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        await holding.commit()
        with pytest.raises(BalanceShortage) as caught:
            await waiting
    finally:
        await other.close()
    assert [(s.moment, s.available - s.required) for s in caught.value.shortfalls] == [(day(10), D(-5))]
    assert await quantities(db, stock) == {1: D(20)}
    assert await check_totals(db, stock) == [] and await check_balance_history(db, stock) == []


def test_moments_are_shown_in_the_register_time_zone():
    moment = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC).astimezone(TZ)
    short = Shortfall(register="r", dimensions={"k": 1}, resource="quantity", available=D(0), required=D(1),
                      moment=moment)
    assert "на 10.03.2026 12:00 не хватает 1" in short.describe()
