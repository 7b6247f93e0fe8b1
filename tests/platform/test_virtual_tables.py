"""Виртуальные таблицы: остатки at a moment, обороты by period, остатки и обороты."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from erp.platform.errors import ValidationError
from erp.platform.virtual_tables import balance, balance_and_turnovers, balance_pieces, turnover_pieces
from tests.platform.conftest import TZ, at
from tests.platform.writes import write_movements

D = Decimal
ROUTES = [(m, p, d) for m in ("earlier", "later") for p in ("head", "tail") for d in ("head", "tail")]


@pytest.fixture
async def history(db, stock):
    """Warehouse 1 gets 10 of item 1 on 10 Jan, sells 3 on 31 Jan at 23:59:59 Moscow time
    and 2 on 1 Mar; warehouse 2 gets 5 of item 2 on 15 Feb."""
    await write_movements(db, stock, "receipt", 1, [
        stock.receipt(at(2024, 1, 10), warehouse_id=1, item_id=1, quantity=D(10), cost=D("100.00"))])
    await write_movements(db, stock, "issue", 1, [
        stock.expense(at(2024, 1, 31, 23, 59) + dt.timedelta(seconds=59), warehouse_id=1, item_id=1,
                      quantity=D(3), cost=D("30.00"))])
    await write_movements(db, stock, "receipt", 2, [
        stock.receipt(at(2024, 2, 15), warehouse_id=2, item_id=2, quantity=D(5), cost=D("25.00"))])
    await write_movements(db, stock, "issue", 2, [
        stock.expense(at(2024, 3, 1, 0, 0), warehouse_id=1, item_id=1, quantity=D(2), cost=D("20.00"))])
    return stock


def amounts(rows, *names):
    return [tuple(r[n] for n in names) for r in rows]


@pytest.mark.parametrize("route", ROUTES)
async def test_balance_at_a_moment_includes_movements_at_that_moment(db, history, route):
    sale = at(2024, 1, 31, 23, 59) + dt.timedelta(seconds=59)
    just_before = sale - dt.timedelta(microseconds=1)
    assert amounts(await balance(db, history, just_before, route=route), "item_id", "quantity") == [(1, D(10))]
    assert amounts(await balance(db, history, sale, route=route), "item_id", "quantity") == [(1, D(7))]
    assert amounts(await balance(db, history, at(2024, 3, 1, 0, 0), route=route), "item_id", "quantity") == [
        (1, D(5)), (2, D(5))]
    assert await balance(db, history, at(2023, 12, 31), route=route) == []


async def test_balance_now_and_filters(db, history):
    assert await history.balance(db) == [
        {"warehouse_id": 1, "item_id": 1, "quantity": D(5), "cost": D(50)},
        {"warehouse_id": 2, "item_id": 2, "quantity": D(5), "cost": D(25)}]
    assert amounts(await history.balance(db, warehouse_id=2), "item_id") == [(2,)]
    assert amounts(await history.balance(db, item_id=[1, 2]), "item_id") == [(1,), (2,)]
    assert amounts(await history.balance(db, at(2024, 2, 1), item_id=(2, 3)), "item_id") == []
    assert await history.balance(db, warehouse_id=[]) == []
    with pytest.raises(ValidationError) as caught:
        await history.balance(db, shelf_id=1)
    assert caught.value.code == "unknown_dimension"
    with pytest.raises(ValidationError):
        await history.balance(db, warehouse_id="склад")


async def test_turnovers_with_each_periodicity(db, history):
    start, end = at(2024, 1, 1, 0, 0), at(2024, 3, 1, 0, 0)
    names = ("item_id", "quantity_receipt", "quantity_expense", "quantity_turnover")
    assert amounts(await history.turnovers(db, start, end), *names) == [
        (1, D(10), D(5), D(5)), (2, D(5), D(0), D(5))]
    by_month = await history.turnovers(db, start, end, "month")
    assert amounts(by_month, "period", *names) == [
        (dt.date(2024, 1, 1), 1, D(10), D(3), D(7)),
        (dt.date(2024, 2, 1), 2, D(5), D(0), D(5)),
        (dt.date(2024, 3, 1), 1, D(0), D(2), D(-2))]
    by_day = await history.turnovers(db, start, end, "day", warehouse_id=1)
    assert amounts(by_day, "period", "quantity_expense") == [
        (dt.date(2024, 1, 10), D(0)), (dt.date(2024, 1, 31), D(3)), (dt.date(2024, 3, 1), D(2))]
    by_year = await history.turnovers(db, start, end, "year")
    assert amounts(by_year, "period", "item_id", "cost_receipt", "cost_expense") == [
        (dt.date(2024, 1, 1), 1, D(100), D(50)), (dt.date(2024, 1, 1), 2, D(25), D(0))]
    # Both ends are inclusive moments; a range inside one month.
    assert amounts(await history.turnovers(db, at(2024, 3, 1, 0, 0), at(2024, 3, 1, 0, 0)),
                   "quantity_expense") == [(D(2),)]
    assert await history.turnovers(db, end, start) == []
    with pytest.raises(ValidationError):
        await history.turnovers(db, start, end, "week")


async def test_turnover_register(db, sales):
    await write_movements(db, sales, "sale", 1, [
        sales.turnover(at(2023, 12, 31, 23), client_id=1, item_id=1, quantity=D(1), amount=D(100)),
        sales.turnover(at(2024, 1, 15), client_id=1, item_id=1, quantity=D(2), amount=D(180)),
        sales.turnover(at(2024, 1, 16), client_id=2, item_id=1, quantity=D(1), amount=D(90))])
    assert await sales.turnovers(db, at(2023, 1, 1), at(2024, 12, 31)) == [
        {"client_id": 1, "item_id": 1, "quantity": D(3), "amount": D(280)},
        {"client_id": 2, "item_id": 1, "quantity": D(1), "amount": D(90)}]
    assert amounts(await sales.turnovers(db, at(2023, 1, 1), at(2024, 12, 31), "year", client_id=1),
                   "period", "amount") == [(dt.date(2023, 1, 1), D(100)), (dt.date(2024, 1, 1), D(180))]
    with pytest.raises(ValidationError) as caught:
        await sales.balance(db)
    assert caught.value.code == "not_a_balance_register"


@pytest.mark.parametrize("route", ROUTES)
async def test_balance_and_turnovers(db, history, route):
    rows = await balance_and_turnovers(db, history, at(2024, 2, 1, 0, 0), at(2024, 3, 1, 0, 0), route=route)
    names = ("warehouse_id", "quantity_opening", "quantity_receipt", "quantity_expense", "quantity_closing")
    assert amounts(rows, *names) == [(1, D(7), D(0), D(2), D(5)), (2, D(0), D(5), D(0), D(5))]
    assert rows[0]["cost_closing"] == D(50)
    # Amounts keep the resource's scale, zeros included (what the API prints).
    assert (str(rows[1]["quantity_opening"]), str(rows[1]["cost_expense"])) == ("0.000", "0.00")
    # A key with no movements in the range still shows its balance.
    rows = await history.balance_and_turnovers(db, at(2024, 4, 1), at(2024, 4, 30), warehouse_id=2)
    assert amounts(rows, *names) == [(2, D(5), D(0), D(0), D(5))]


@pytest.mark.parametrize("start, end", [
    (at(2024, 1, 3), at(2026, 5, 28)), (at(2024, 1, 17), at(2024, 1, 18)), (at(2024, 1, 1, 0, 0), at(2024, 2, 1)),
    (at(2020, 2, 29), at(2024, 2, 29, 23, 59))])
def test_no_plan_reads_more_than_half_a_month_of_movements_per_edge(start, end):
    for pieces in (turnover_pieces(start, end, TZ), balance_pieces(start, TZ), balance_pieces(end, TZ)):
        raws = [p for p in pieces if p[0] == "raw"]
        assert all(p[3] - p[1] <= dt.timedelta(days=16) for p in raws)
        assert sum((p[3] - p[1] for p in raws), dt.timedelta(0)) <= dt.timedelta(days=31)


@pytest.mark.parametrize("moment", [at(2024, 1, 1, 0, 0), at(2024, 1, 17, 3, 5), at(2024, 1, 17, 20, 59),
                                    at(2024, 1, 31, 23, 59), at(2024, 3, 31, 2, 30), at(2024, 2, 29, 12, 0)])
@pytest.mark.parametrize("route", ROUTES)
def test_a_balance_reads_whole_days_from_day_totals_and_at_most_half_a_day_of_movements(moment, route):
    """What a balance at any moment reads does not grow with a key's history: whole months, the
    partial month's whole days (from the day totals) and, without a forced route, half a day of raw
    movements at most; the day pieces stay inside the moment's month."""
    for day in (None, route[2]):
        pieces = balance_pieces(moment, TZ, months=route[0], partial=route[1], day=day)
        raws = [p for p in pieces if p[0] == "raw"]
        assert len(raws) == 1
        assert raws[0][3] - raws[0][1] <= dt.timedelta(hours=24 if day else 12)
        month = moment.astimezone(TZ).date().replace(day=1)
        assert all(p[1].replace(day=1) == month and p[2].replace(day=1) == month and p[1] <= p[2]
                   for p in pieces if p[0] == "days")
