"""Issue 15 point 6 as a property: after random histories of payments, outgoing payments, transfers, edits,
unposts and posts (the ones of :mod:`tests.ledger.test_money_property`), «Денежные средства» on any day is
the money register's balance, and the cash flow of any period agrees with the register: each account's
opening and closing are its balances, its incoming and outgoing are its turnovers, the items add up to
them, and each item's drill-down adds up to the item."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erp.app.settings import Settings
from erp.configuration import registry
from erp.platform.db import connect
from erp.platform.posting import Engine
from erp.registers.money import money
from erp.services import money_report
from tests.conftest import SECRET
from tests.ledger.test_money_property import Clinic, play, steps

TZ = ZoneInfo("Europe/Moscow")


async def agree(conn, reg, first: int, last: int) -> None:
    start, end = dt.date(2024, 3, first), dt.date(2024, 3, last)
    at = dt.datetime.combine(end, dt.time.max, TZ)
    report = await money_report.balances(conn, reg, end, TZ)
    register = {(r["organization_id"], r["account_kind"], r["account_id"]): r["amount"]
                for r in await money.balance(conn, at=at) if r["amount"]}
    assert {(r.organization_id, r.account_kind, r.account_id): r.amount for r in report.rows} == register

    flow = await money_report.cash_flow(conn, reg, start, end, TZ)
    before = {(r["organization_id"], r["account_kind"], r["account_id"]): r["amount"]
              for r in await money.balance(conn, at=dt.datetime.combine(start, dt.time(), TZ)
                                           - dt.timedelta(microseconds=1))}
    turns = {(r["organization_id"], r["account_kind"], r["account_id"]): r
             for r in await money.turnovers(conn, dt.datetime.combine(start, dt.time(), TZ), at)}
    for a in flow.accounts:
        key = (a.organization_id, a.account_kind, a.account_id)
        turn = turns.get(key, {"amount_receipt": Decimal(0), "amount_expense": Decimal(0)})
        assert (a.opening, a.closing) == (before.get(key, Decimal(0)), register.get(key, Decimal(0)))
        assert (a.incoming, a.outgoing) == (turn["amount_receipt"], turn["amount_expense"])
        assert sum((i.incoming for i in a.items), Decimal(0)) == a.incoming
        assert sum((i.outgoing for i in a.items), Decimal(0)) == a.outgoing
        assert a.opening + a.incoming - a.outgoing == a.closing
        for item in a.items:
            found = await money_report.documents(conn, reg, a.organization_id, a.account_kind, a.account_id, start,
                                                 end, TZ, item=item.cash_flow_item_id,
                                                 without_item=item.cash_flow_item_id is None)
            assert (found.incoming, found.outgoing) == (item.incoming, item.outgoing)
            assert sum((r.incoming or 0 for r in found.rows), Decimal(0)) == item.incoming
    listed = {(a.organization_id, a.account_kind, a.account_id) for a in flow.accounts}
    assert {k for k, v in register.items() if v} <= listed


def test_the_money_reports_agree_with_the_register_after_random_histories(postgres, tmp_path):
    loop = asyncio.new_event_loop()
    name = loop.run_until_complete(postgres.create_database())
    url = postgres.url_of(name)
    conn = loop.run_until_complete(connect(url))
    try:
        reg = registry()
        engine = Engine(reg, Settings(database_url=url, secret_key=SECRET, timezone="Europe/Moscow",
                                      data_dir=tmp_path / "data", run_worker_in_serve=False))
        clinic = Clinic(conn, reg)
        loop.run_until_complete(clinic.setup())

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(st.lists(steps, min_size=1, max_size=10), st.integers(1, 28), st.integers(0, 27))
        def histories(history, first, length):
            loop.run_until_complete(play(engine, clinic, history))
            loop.run_until_complete(agree(conn, reg, first, min(first + length, 28)))

        histories()
    finally:
        loop.run_until_complete(conn.close())
        loop.run_until_complete(postgres.drop_database(name))
        loop.close()
