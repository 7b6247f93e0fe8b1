"""Random histories of posting, re-posting, unposting and back-dated posting,
spanning several years, checked after every step against a naive model: a
list of movements summed by brute force. Every virtual table must agree with
it, along every route, and the totals must equal their recomputation."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from erp.platform.db import connect
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister
from erp.platform.totals import check_totals
from erp.platform.virtual_tables import balance, balance_and_turnovers, month_of, month_start, shift_month
from tests.platform.conftest import install
from tests.platform.writes import write_movements

TZ = ZoneInfo("Europe/Berlin")  # with summer time, so months do not start at a fixed UTC hour
DIMENSIONS = (Field("warehouse_id", "ref", ref="warehouses", required=True),
              Field("item_id", "ref", ref="items", required=True))
STOCK = AccumulationRegister("model-stock", kind="balance", timezone="Europe/Berlin", dimensions=DIMENSIONS,
                             resources=(Field("quantity", "quantity"), Field("cost", "money")))
SALES = AccumulationRegister("model-sales", kind="turnover", timezone="Europe/Berlin", dimensions=DIMENSIONS,
                             resources=(Field("quantity", "quantity"), Field("cost", "money")))
ROUTES = [(m, p, d) for m in ("earlier", "later") for p in ("head", "tail") for d in ("head", "tail")]
FILTERS = [{}, {"warehouse_id": 1}, {"item_id": [2]}, {"warehouse_id": [1, 2], "item_id": 1}]
START = dt.date(2023, 1, 1)


def moment(month_index: int, day: int | str, hour: int) -> dt.datetime:
    month = shift_month(START, month_index)
    if day == "last":  # the last microsecond of the month
        return month_start(shift_month(month, 1), TZ) - dt.timedelta(microseconds=1)
    return dt.datetime(month.year, month.month, int(day), hour, tzinfo=TZ)


moments = st.builds(moment, st.integers(0, 35), st.sampled_from([1, 1, 2, 14, 15, 16, 28, "last"]),
                    st.sampled_from([0, 12, 23]))


class Line(NamedTuple):
    period: dt.datetime
    warehouse_id: int
    item_id: int
    sign: int
    quantity: Decimal
    cost: Decimal

    @property
    def key(self) -> tuple[int, int]:
        return self.warehouse_id, self.item_id


lines = st.lists(st.builds(Line, moments, st.integers(1, 2), st.integers(1, 2), st.sampled_from([1, 1, -1]),
                           st.integers(0, 5).map(Decimal), st.integers(0, 50).map(Decimal)), max_size=5)


def matches(line: Line, filters: dict[str, Any]) -> bool:
    for name, value in filters.items():
        allowed = value if isinstance(value, list) else [value]
        if getattr(line, name) not in allowed:
            return False
    return True


def period_of(moment_: dt.datetime, periodicity: str | None) -> dt.date | None:
    local = moment_.astimezone(TZ).date()
    return {None: None, "day": local, "month": local.replace(day=1),
            "year": local.replace(month=1, day=1)}[periodicity]


def nonzero(sums: dict) -> dict:
    return {k: tuple(v) for k, v in sums.items() if any(v)}


class History(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    conn: Any

    def __init__(self) -> None:
        super().__init__()
        self.docs: dict[int, list[Line]] = {}
        self.next_id = 1
        self.recent: list[dt.datetime] = []
        self.run(self.conn.execute("TRUNCATE " + ", ".join(t._meta.tablename
                                                           for r in (STOCK, SALES) for t in r.tables())))

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    # -- the model ------------------------------------------------------------

    def all_lines(self, filters: dict[str, Any]) -> list[Line]:
        return [line for doc in self.docs.values() for line in doc if matches(line, filters)]

    def model_balance(self, at: dt.datetime | None, filters: dict[str, Any]) -> dict:
        sums: dict = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for line in self.all_lines(filters):
            if at is None or line.period <= at:
                sums[line.key][0] += line.sign * line.quantity
                sums[line.key][1] += line.sign * line.cost
        return nonzero(sums)

    def model_turnovers(self, start, end, periodicity, filters, signed: bool) -> dict:
        width = 4 if signed else 2
        sums: dict = defaultdict(lambda: [Decimal(0)] * width)
        for line in self.all_lines(filters):
            if start <= line.period <= end:
                key = (period_of(line.period, periodicity), *line.key)
                if signed:
                    side = 0 if line.sign > 0 else 1
                    sums[key][side] += line.quantity
                    sums[key][2 + side] += line.cost
                else:
                    sums[key][0] += line.quantity
                    sums[key][1] += line.cost
        return nonzero(sums)

    # -- the steps ------------------------------------------------------------

    def write(self, doc_id: int, new: list[Line]) -> None:
        stock = [(STOCK.receipt if line.sign > 0 else STOCK.expense)(
            line.period, warehouse_id=line.warehouse_id, item_id=line.item_id, quantity=line.quantity,
            cost=line.cost) for line in new]
        sales = [SALES.turnover(line.period, warehouse_id=line.warehouse_id, item_id=line.item_id,
                                quantity=line.quantity, cost=line.cost) for line in new]

        async def go():
            async with self.conn.transaction():
                await write_movements(self.conn, STOCK, "doc", doc_id, stock)
                await write_movements(self.conn, SALES, "doc", doc_id, sales)

        self.run(go())
        self.recent = [line.period for line in new or self.docs.get(doc_id, [])]
        if new:
            self.docs[doc_id] = new
        else:
            self.docs.pop(doc_id, None)

    @rule(new=lines)
    def post(self, new: list[Line]) -> None:
        self.write(self.next_id, new)
        self.next_id += 1

    @precondition(lambda self: self.docs)
    @rule(data=st.data(), new=lines)
    def repost(self, data, new: list[Line]) -> None:
        self.write(data.draw(st.sampled_from(sorted(self.docs))), new)

    @precondition(lambda self: self.docs)
    @rule(data=st.data())
    def unpost(self, data) -> None:
        self.write(data.draw(st.sampled_from(sorted(self.docs))), [])

    @precondition(lambda self: self.docs)
    @rule(new=lines.filter(bool), days=st.integers(1, 400))
    def post_back_dated(self, new: list[Line], days: int) -> None:
        """A document dated before everything already posted."""
        earliest = min(line.period for doc in self.docs.values() for line in doc)
        self.write(self.next_id, [line._replace(period=earliest - dt.timedelta(days=days)) for line in new])
        self.next_id += 1

    @rule(a=moments, b=moments, filters=st.sampled_from(FILTERS))
    def query_any_range(self, a: dt.datetime, b: dt.datetime, filters: dict[str, Any]) -> None:
        start, end = min(a, b), max(a, b)
        self.check_balance([start, end], filters)
        self.check_range(start, end, filters)

    # -- the checks -----------------------------------------------------------

    def check_balance(self, points: list[dt.datetime], filters: dict[str, Any]) -> None:
        def rows(found):
            return {(r["warehouse_id"], r["item_id"]): (r["quantity"], r["cost"]) for r in found}

        assert rows(self.run(STOCK.balance(self.conn, **filters))) == self.model_balance(None, filters)
        for point in points:
            expected = self.model_balance(point, filters)
            assert rows(self.run(STOCK.balance(self.conn, point, **filters))) == expected, point
            for route in ROUTES:
                assert rows(self.run(balance(self.conn, STOCK, point, route=route, **filters))) == expected, (
                    point, route)

    def check_range(self, start: dt.datetime, end: dt.datetime, filters: dict[str, Any]) -> None:
        for periodicity in (None, "day", "month", "year"):
            found = self.run(STOCK.turnovers(self.conn, start, end, periodicity, **filters))
            assert {(r.get("period"), r["warehouse_id"], r["item_id"]): (
                r["quantity_receipt"], r["quantity_expense"], r["cost_receipt"], r["cost_expense"])
                for r in found} == self.model_turnovers(start, end, periodicity, filters, True)
            assert all(r["quantity_turnover"] == r["quantity_receipt"] - r["quantity_expense"] for r in found)
            found = self.run(SALES.turnovers(self.conn, start, end, periodicity, **filters))
            assert {(r.get("period"), r["warehouse_id"], r["item_id"]): (r["quantity"], r["cost"])
                    for r in found} == self.model_turnovers(start, end, periodicity, filters, False)
        opening = self.model_balance(start - dt.timedelta(microseconds=1), filters)
        moved = self.model_turnovers(start, end, None, filters, True)
        zero = (Decimal(0),) * 4
        expected = {}
        for key in {*opening, *(k[1:] for k in moved)}:
            o = opening.get(key, (Decimal(0),) * 2)
            m = moved.get((None, *key), zero)
            expected[key] = (o[0], m[0], m[1], o[0] + m[0] - m[1], o[1], m[2], m[3], o[1] + m[2] - m[3])
        for route in ROUTES:
            found = self.run(balance_and_turnovers(self.conn, STOCK, start, end, route=route, **filters))
            assert {(r["warehouse_id"], r["item_id"]): tuple(r[f"{res}_{c}"] for res in ("quantity", "cost")
                    for c in ("opening", "receipt", "expense", "closing")) for r in found} == expected, route

    @invariant()
    def totals_and_virtual_tables_agree_with_the_model(self) -> None:
        for reg in (STOCK, SALES):
            assert self.run(check_totals(self.conn, reg)) == []
        if self.recent:
            self.check_balance(sorted(set(self.recent))[:3], {})
            first, last = min(self.recent), max(self.recent)
            self.check_range(month_start(month_of(first, TZ), TZ), last, {})


def test_random_histories_agree_with_a_naive_model(postgres):
    loop = asyncio.new_event_loop()
    name = loop.run_until_complete(postgres.create_database())
    conn = None
    try:
        conn = loop.run_until_complete(connect(postgres.url_of(name)))
        loop.run_until_complete(install(conn, STOCK, SALES))
        History.loop, History.conn = loop, conn
        run_state_machine_as_test(History, settings=settings(
            max_examples=25, stateful_step_count=15, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    finally:
        if conn is not None:
            loop.run_until_complete(conn.close())
        loop.run_until_complete(postgres.drop_database(name))
        loop.close()
