"""Issue 15 point 7 as a property: over random histories of renderings, payments (cash and bank,
some for an invoice), refunds to the client, goods received from a supplier and payments to it,
across half a year, the reconciliation act of any period agrees with the settlements registers:
its opening balance, its debit and credit turnovers and its closing balance are the register's
balance-and-turnovers of the same period (read from the totals), and its rows (read from the
movements) add up to the same turnovers."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erp.app.settings import Settings
from erp.configuration import registry
from erp.platform import catalog_service as svc
from erp.platform.db import connect
from erp.platform.errors import Conflict
from erp.platform.posting import Engine
from erp.registers.settlements import settlements
from erp.registers.supplier_settlements import supplier_settlements
from erp.services import reconciliation
from tests.conftest import SECRET

TZ = ZoneInfo("Europe/Moscow")
amounts = st.sampled_from(["0.01", "150.00", "333.33", "1000.00", "2500.50"])
moments = st.tuples(st.integers(1, 6), st.integers(1, 28), st.integers(0, 23))
steps = st.one_of(
    st.tuples(st.just("render"), amounts, moments),
    st.tuples(st.just("pay"), st.sampled_from(["cash", "bank"]), amounts, moments),
    st.tuples(st.just("refund"), amounts, moments),
    st.tuples(st.just("receive"), amounts, moments),
    st.tuples(st.just("pay_supplier"), amounts, moments),
    st.tuples(st.just("unpost"), st.integers(0, 9)),
)
periods = st.tuples(st.dates(dt.date(2023, 12, 1), dt.date(2024, 7, 31)),
                    st.dates(dt.date(2023, 12, 1), dt.date(2024, 7, 31))).map(sorted)
_names = itertools.count(1)


def stamp(moment: tuple[int, int, int]) -> str:
    month, day, hour = moment
    return f"2024-{month:02d}-{day:02d}T{hour:02d}:00:00"


class World:
    def __init__(self, conn, reg, engine) -> None:
        self.conn, self.reg, self.engine = conn, reg, engine

    async def item(self, catalog: str, data: dict) -> int:
        return (await svc.create(self.conn, self.reg, self.reg.catalogs[catalog], data))["id"]

    async def setup(self) -> None:
        self.org = await self.item("organizations", {"name": "Клиника", "vat_rate": "none", "number_prefix": "К"})
        self.doctor = await self.item("doctors", {"name": "Ефимова Е.В."})
        self.service = await self.item("nomenclature", {"name": "Приём", "kind": "service", "price": "100.00"})
        self.goods = await self.item("nomenclature", {"name": "Шприц", "kind": "goods", "price": "10.00"})
        self.warehouse = await self.item("warehouses", {"name": "Склад"})
        self.desk = await self.item("cash-desks", {"name": "Касса", "organization_id": self.org})
        self.bank = await self.item("bank-accounts", {"name": "Счёт", "organization_id": self.org,
                                                      "account_number": "40702810938000000001"})
        # enough money in both accounts for every refund and supplier payment of a history
        for method, account in (("cash", {"cash_desk_id": self.desk}), ("bank", {"bank_account_id": self.bank})):
            payer = await self.item("clients", {"name": "Спонсор", "kind": "person"})
            await self.engine.create(self.conn, self.reg.documents["payments"], {
                "date": "2023-01-01T10:00:00", "organization_id": self.org, "client_id": payer,
                "amount": "1000000.00", "method": method, **account}, post=True)


async def play(world: World, history: list[tuple], period: list[dt.date]) -> None:
    conn, kinds, org = world.conn, world.reg.documents, world.org
    n = next(_names)
    client = await world.item("clients", {"name": f"Клиент {n}", "kind": "person"})
    supplier = await world.item("clients", {"name": f"Поставщик {n}", "kind": "company"})
    written: list[tuple[str, int]] = []
    for step in history:
        name = step[0]
        if name == "render":
            kind, data = "service-renderings", {
                "date": stamp(step[2]), "organization_id": org, "client_id": client, "doctor_id": world.doctor,
                "lines": [{"nomenclature_id": world.service, "quantity": "1", "price": step[1]}]}
        elif name == "pay":
            invoice = None
            if step[1] == "bank":  # a bank payment pays an invoice
                invoice = (await world.engine.create(conn, kinds["invoices"], {
                    "date": stamp(step[3]), "organization_id": org, "client_id": client,
                    "bank_account_id": world.bank,
                    "lines": [{"nomenclature_id": world.service, "quantity": "1", "price": step[2]}]},
                    post=True)).id
            account = {"cash_desk_id": world.desk} if step[1] == "cash" else {"bank_account_id": world.bank}
            kind, data = "payments", {"date": stamp(step[3]), "organization_id": org, "client_id": client,
                                      "amount": step[2], "method": step[1], "invoice_id": invoice, **account}
        elif name in ("refund", "pay_supplier"):
            kind, data = "outgoing-payments", {
                "date": stamp(step[2]), "organization_id": org, "method": "cash", "cash_desk_id": world.desk,
                "operation": "to_client" if name == "refund" else "to_supplier",
                "recipient_id": client if name == "refund" else supplier, "amount": step[1]}
        elif name == "receive":
            kind, data = "goods-receipts", {
                "date": stamp(step[2]), "organization_id": org, "supplier_id": supplier,
                "warehouse_id": world.warehouse,
                "lines": [{"nomenclature_id": world.goods, "quantity": "1", "price": step[1]}]}
        else:
            if written:
                kind, doc_id = written[step[1] % len(written)]
                try:
                    await world.engine.unpost(conn, kinds[kind], doc_id)
                except Conflict as exc:  # already unposted, or its goods already went
                    assert exc.code in ("transition_refused", "balance_shortage"), exc.message
            continue
        written.append((kind, (await world.engine.create(conn, kinds[kind], data, post=True)).id))

    start, end = period
    since = dt.datetime.combine(start, dt.time(), TZ)
    until = dt.datetime.combine(end, dt.time.max, TZ)
    for side, register, key in (("clients", settlements, {"client_id": client}),
                                ("suppliers", supplier_settlements, {"counterparty_id": supplier})):
        query = reconciliation.ActQuery(key.popitem()[1], org, start, end, side)
        act = await reconciliation.build(conn, world.reg, query, TZ)
        dimension = reconciliation.SIDES[side].dimension
        rows = await register.balance_and_turnovers(conn, since, until, organization_id=org,
                                                    **{dimension: query.counterparty_id})
        zero = Decimal("0.00")
        totals = rows[0] if rows else {"amount_opening": zero, "amount_receipt": zero, "amount_expense": zero,
                                       "amount_closing": zero}
        sign = 1 if side == "clients" else -1
        debit, credit = (totals["amount_receipt"], totals["amount_expense"])[::sign]
        assert act.opening == sign * totals["amount_opening"], (side, history, period)
        assert (act.debit, act.credit) == (debit, credit), (side, history, period)
        assert act.closing == sign * totals["amount_closing"], (side, history, period)
        assert sum((r.debit for r in act.rows), zero) == act.debit, (side, history, period)
        assert sum((r.credit for r in act.rows), zero) == act.credit, (side, history, period)
        assert all(start <= r.date <= end for r in act.rows)


def test_the_act_agrees_with_the_settlements_registers_over_random_histories(postgres, tmp_path):
    loop = asyncio.new_event_loop()
    name = loop.run_until_complete(postgres.create_database())
    url = postgres.url_of(name)
    conn = loop.run_until_complete(connect(url))
    try:
        reg = registry()
        engine = Engine(reg, Settings(database_url=url, secret_key=SECRET, timezone="Europe/Moscow",
                                      data_dir=tmp_path / "data", run_worker_in_serve=False))
        world = World(conn, reg, engine)
        loop.run_until_complete(world.setup())

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(st.lists(steps, min_size=1, max_size=10), periods)
        def histories(history, period):
            loop.run_until_complete(play(world, history, period))

        histories()
    finally:
        loop.run_until_complete(conn.close())
        loop.run_until_complete(postgres.drop_database(name))
        loop.close()
