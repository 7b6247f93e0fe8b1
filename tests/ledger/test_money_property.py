"""Issue 15 points 2 and 3 as a property: over random sequences of payments into a cash desk or a bank
account, outgoing payments from either, transfers between them (each on a random day, so many are
back-dated), edits that re-post any of them, dates moved back or forth, unposts and posts again, no money
account of the register «Денежные средства» is ever left negative, now or at any moment of its history;
whatever is refused is a 409 (a Conflict) and writes nothing, and the totals still equal the movements."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from erp.app.settings import Settings
from erp.configuration import registry
from erp.platform import catalog_service as svc
from erp.platform.db import connect
from erp.platform.errors import Conflict
from erp.platform.posting import Engine
from erp.platform.totals import check_balance_history, check_balance_rules, check_totals
from erp.registers.money import money
from tests.conftest import SECRET
from tests.ledger.history import negative_moments

amounts = st.sampled_from(["0.01", "10.00", "33.33", "100.00", "250.50"])
accounts = st.sampled_from(["cash", "bank"])
days = st.integers(1, 28)
steps = st.one_of(
    st.tuples(st.just("pay"), accounts, amounts, days),
    st.tuples(st.just("out"), accounts, amounts, days),
    st.tuples(st.just("transfer"), accounts, amounts, days),
    st.tuples(st.just("edit"), st.integers(0, 5), amounts),
    st.tuples(st.just("move"), st.integers(0, 5), days),
    st.tuples(st.just("unpost"), st.integers(0, 5)),
    st.tuples(st.just("post"), st.integers(0, 5)),
)

NEGATIVE = "SELECT organization_id, account_kind, account_id, amount FROM reg_money_balance WHERE amount < 0"


class Clinic:
    def __init__(self, conn, reg) -> None:
        self.conn, self.reg = conn, reg

    async def item(self, catalog: str, data: dict) -> int:
        return (await svc.create(self.conn, self.reg, self.reg.catalogs[catalog], data))["id"]

    async def setup(self) -> None:
        self.org = await self.item("organizations", {"name": "Клиника", "vat_rate": "none", "number_prefix": "К"})
        self.client = await self.item("clients", {"name": "Иванов Иван Иванович", "kind": "person"})
        self.supplier = await self.item("clients", {"name": "ООО «МедСнаб»", "kind": "company"})


async def play(engine: Engine, clinic: Clinic, history: list[tuple]) -> None:
    conn, kinds = clinic.conn, engine.registry.documents
    desk = await clinic.item("cash-desks", {"name": f"Касса {id(history)}", "organization_id": clinic.org})
    bank = await clinic.item("bank-accounts", {"name": f"Счёт {id(history)}", "organization_id": clinic.org,
                                               "account_number": "40702810938000000001"})
    side = {"cash": {"cash_desk_id": desk}, "bank": {"bank_account_id": bank}}
    other = {"cash": "bank", "bank": "cash"}

    def pay(account: str, amount: str, day: int) -> dict:
        return {"date": f"2024-03-{day:02d}T10:00:00", "organization_id": clinic.org, "client_id": clinic.client,
                "amount": amount, "method": account, **side[account]}

    def out(account: str, amount: str, day: int) -> dict:
        return {"date": f"2024-03-{day:02d}T12:00:00", "organization_id": clinic.org, "operation": "to_supplier",
                "recipient_id": clinic.supplier, "amount": amount, "method": account, **side[account]}

    def transfer(account: str, amount: str, day: int) -> dict:
        target = other[account]
        return {"date": f"2024-03-{day:02d}T14:00:00", "organization_id": clinic.org, "amount": amount,
                "method": account, **side[account], "method_to": target,
                **{f"{name[:-3]}_to_id": value for name, value in side[target].items()}}

    made = {"pay": ("payments", pay), "out": ("outgoing-payments", out), "transfer": ("money-transfers", transfer)}
    written: list[tuple[str, int, dict]] = []
    for step in history:
        before = await conn.fetchval(f"SELECT count(*) FROM {money.movements_table}")
        try:
            if step[0] in made:
                kind, make = made[step[0]]
                data = make(*step[1:])
                doc = await engine.create(conn, kinds[kind], data, post=True)
                written.append((kind, doc.id, data))
            elif written:
                index = step[1] % len(written)
                kind, doc_id, data = written[index]
                if step[0] == "edit":
                    data = {**data, "amount": step[2]}
                    await engine.update(conn, kinds[kind], doc_id, data)
                    written[index] = (kind, doc_id, data)
                elif step[0] == "move":  # the same document dated another day, at its own hour
                    data = {**data, "date": f"2024-03-{step[2]:02d}{data['date'][10:]}"}
                    await engine.update(conn, kinds[kind], doc_id, data)
                    written[index] = (kind, doc_id, data)
                elif step[0] == "unpost":
                    await engine.unpost(conn, kinds[kind], doc_id)
                else:
                    await engine.post(conn, kinds[kind], doc_id)
        except Conflict as exc:  # refused as a 409: nothing written
            # short money, or unposting what is not posted
            assert exc.code in ("balance_shortage", "transition_refused"), (step, exc.code, exc.message)
            assert await conn.fetchval(f"SELECT count(*) FROM {money.movements_table}") == before, step
        negative = [tuple(r) for r in await conn.fetch(NEGATIVE)]
        assert negative == [], (step, negative)
        past = await negative_moments(conn, money)  # the running balance after every moment of every account
        assert past == [], (step, past)
    assert await check_totals(conn, money) == []
    assert await check_balance_rules(conn, money) == []
    assert await check_balance_history(conn, money) == []


def test_random_histories_never_leave_a_desk_or_account_negative(postgres, tmp_path):
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

        @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(st.lists(steps, min_size=1, max_size=14))
        # paid out more than came in; the payment under a payout unposted; a transfer unposted after the
        # target spent it; an edit raising a payout past the desk; a payout re-posted after its payment went
        @example([("pay", "cash", "100.00", 1), ("out", "cash", "250.50", 2)])
        @example([("pay", "cash", "100.00", 1), ("out", "cash", "33.33", 2), ("unpost", 0)])
        @example([("pay", "cash", "100.00", 1), ("transfer", "cash", "100.00", 2), ("out", "bank", "33.33", 3),
                  ("unpost", 1), ("edit", 1, "10.00"), ("unpost", 0)])
        @example([("pay", "bank", "100.00", 1), ("out", "bank", "33.33", 2), ("edit", 1, "250.50"),
                  ("edit", 0, "10.00")])
        @example([("pay", "cash", "33.33", 1), ("out", "cash", "33.33", 2), ("unpost", 1), ("unpost", 0),
                  ("post", 1), ("post", 0), ("post", 1)])
        # money paid out before it came (back-dated), the payment under a payout moved past it or unposted while
        # a later payment covers today's balance, a transfer moved before the money it sends
        @example([("pay", "cash", "100.00", 10), ("out", "cash", "33.33", 5), ("out", "cash", "33.33", 12),
                  ("pay", "cash", "100.00", 20), ("move", 0, 15), ("unpost", 0), ("move", 0, 3)])
        @example([("pay", "bank", "100.00", 10), ("transfer", "bank", "100.00", 11), ("pay", "bank", "250.50", 20),
                  ("move", 1, 9), ("move", 0, 12), ("edit", 1, "10.00"), ("move", 0, 12)])
        def histories(history):
            loop.run_until_complete(play(engine, clinic, history))

        histories()
    finally:
        loop.run_until_complete(conn.close())
        loop.run_until_complete(postgres.drop_database(name))
        loop.close()
