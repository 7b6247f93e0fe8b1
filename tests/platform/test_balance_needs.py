"""The engine's declared reads of balances beyond ``Balances``: ``BalancesWhere`` (every key of a
warehouse, now or at a moment, without the recorder's own movements) and ``LastBalances`` (each
key's last balance with quantity, up to a moment: the last known average), each one expression of
the operation's one read query."""

from __future__ import annotations

from decimal import Decimal as D

from erp.platform.metadata import Registry
from erp.platform.posting import read_needs
from erp.platform.posting.inputs import BalancesWhere, LastBalances, select
from tests.platform.conftest import at, make_stock
from tests.platform.writes import write_movements


async def _history(db, stock) -> None:
    await write_movements(db, stock, "receipt", 1, [
        stock.receipt(at(2024, 1, 10), warehouse_id=1, item_id=7, quantity=D(10), cost=D("100.00")),
        stock.receipt(at(2024, 1, 10), warehouse_id=1, item_id=8, quantity=D(4), cost=D("40.00")),
        stock.receipt(at(2024, 1, 10), warehouse_id=2, item_id=7, quantity=D(1), cost=D("9.00"))])
    await write_movements(db, stock, "issue", 1, [  # item 8 all gone on 5 February
        stock.expense(at(2024, 2, 5), warehouse_id=1, item_id=7, quantity=D(3), cost=D("30.00")),
        stock.expense(at(2024, 2, 5), warehouse_id=1, item_id=8, quantity=D(4), cost=D("40.00"))])
    await write_movements(db, stock, "receipt", 2, [
        stock.receipt(at(2024, 3, 1), warehouse_id=1, item_id=9, quantity=D(2), cost=D("6.00"))])


async def test_balances_where_reads_every_key_of_a_warehouse_at_a_moment(db, stock):
    await _history(db, stock)
    registry = Registry([stock])

    async def held(at_=None, recorder=None):
        found, _ = await read_needs(db, registry, {"h": BalancesWhere(stock.name, {"warehouse_id": 1}, at=at_)},
                                    recorder)
        return {k: (v["quantity"], v["cost"]) for k, v in found["h"].items()}

    # now: item 8 is gone (not listed), item 9 has come; the other warehouse is not read
    assert await held() == {(1, 7): (D("7.000"), D("70.00")), (1, 9): (D("2.000"), D("6.00"))}
    # on 1 February, before the issue and the second receipt
    assert await held(at(2024, 2, 1)) == {(1, 7): (D("10.000"), D("100.00")), (1, 8): (D("4.000"), D("40.00"))}
    # without the issue's own movements (a re-posted document does not count itself)
    assert await held(at(2024, 2, 20), ("issue", 1)) == {(1, 7): (D("10.000"), D("100.00")),
                                                         (1, 8): (D("4.000"), D("40.00"))}
    assert await held(at(2023, 12, 31)) == {}


async def test_last_balances_give_the_last_known_average_up_to_a_moment(db, stock):
    await _history(db, stock)
    registry = Registry([stock])
    keys = ((1, 7), (1, 8), (1, 9), (3, 7))

    async def last(at_=None, recorder=None):
        found, _ = await read_needs(db, registry, {"l": LastBalances(stock.name, keys, at=at_)}, recorder)
        return {k: (v["quantity"], v["cost"]) for k, v in found["l"].items()}

    # item 8 is empty now, but its last balance with quantity was 4 for 40.00; warehouse 3 never had item 7
    assert await last() == {(1, 7): (D("7.000"), D("70.00")), (1, 8): (D("4.000"), D("40.00")),
                            (1, 9): (D("2.000"), D("6.00"))}
    assert await last(at(2024, 1, 9)) == {}
    assert await last(at(2024, 2, 20), ("issue", 1)) == {(1, 7): (D("10.000"), D("100.00")),
                                                         (1, 8): (D("4.000"), D("40.00"))}


def test_both_are_expressions_of_the_one_read_query():
    stock = make_stock()
    registry = Registry([stock])
    sql, args, aliases = select(registry, {"a": BalancesWhere(stock.name, {"warehouse_id": 1}, at=at(2024, 2, 1)),
                                           "b": LastBalances(stock.name, ((1, 7), (1, 8)), at=at(2024, 2, 1))},
                                ("issue", 1))
    assert sql.startswith("SELECT ARRAY(") and sql.count("SELECT ") >= 2 and aliases == ["n0", "n1"]
    assert args[:2] == [1, at(2024, 2, 1)] and ("issue" in args and 1 in args)
