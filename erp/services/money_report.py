"""«Денежные средства»: the money of each organization in each cash desk and bank account on a date,
the cash flow of a period by cash-flow item (статья движения денежных средств) and, drilled down from
any figure, the documents that made it.

Balances and each account's opening, incoming, outgoing and closing come from the money register's
virtual tables. The cash-flow item is an attribute of a movement, not a dimension, so the split of a
period's turnover by item is read from the period's movements; it always adds up to the account's
turnover. A movement without an item (a transfer between the organization's own accounts, say)
shows as «Без статьи».
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from erp.platform.errors import ValidationError
from erp.platform.metadata import Registry
from erp.registers.money import BANK_ACCOUNTS, CASH_DESKS, money
from erp.services.supplier_debts import _document_text, _names, end_of

HISTORY_LIMIT = 1000
KINDS = (CASH_DESKS, BANK_ACCOUNTS)
KIND_TITLES = {CASH_DESKS: "Касса", BANK_ACCOUNTS: "Банковский счёт"}
NO_ITEM = "Без статьи"
ZERO = Decimal("0.00")
Direction = Literal["in", "out"]


class MoneyBalance(msgspec.Struct, frozen=True):
    organization_id: int
    organization: str
    account_kind: str
    account_id: int
    account: str
    amount: Decimal


class MoneyBalances(msgspec.Struct, frozen=True):
    date: dt.date
    rows: list[MoneyBalance]
    total: Decimal


class ItemFlow(msgspec.Struct, frozen=True):
    """What came in and went out under one cash-flow item (``None``: without an item)."""

    cash_flow_item_id: int | None
    cash_flow_item: str
    incoming: Decimal
    outgoing: Decimal


class AccountFlow(msgspec.Struct, frozen=True):
    organization_id: int
    organization: str
    account_kind: str
    account_id: int
    account: str
    opening: Decimal
    incoming: Decimal
    outgoing: Decimal
    closing: Decimal
    items: list[ItemFlow]


class CashFlow(msgspec.Struct, frozen=True):
    start: dt.date
    end: dt.date
    accounts: list[AccountFlow]
    items: list[ItemFlow]  # every account's items added together
    opening: Decimal
    incoming: Decimal
    outgoing: Decimal
    closing: Decimal


class MoneyMovement(msgspec.Struct, frozen=True):
    """One document's movement of the account; ``balance`` (the money after it) only when every
    movement of the account is listed (no item or direction chosen)."""

    date: dt.datetime
    kind: str
    id: int
    document: str
    cash_flow_item_id: int | None
    cash_flow_item: str
    incoming: Decimal | None
    outgoing: Decimal | None
    balance: Decimal | None


class MoneyDocuments(msgspec.Struct, frozen=True):
    organization_id: int
    organization: str
    account_kind: str
    account_id: int
    account: str
    start: dt.date
    end: dt.date
    cash_flow_item_id: int | None
    without_item: bool
    direction: str | None
    opening: Decimal
    rows: list[MoneyMovement]
    incoming: Decimal  # of the documents chosen (all of them, shown or not)
    outgoing: Decimal
    closing: Decimal
    truncated: bool


def start_of(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tz)


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationError.field("end", "конец периода раньше начала")


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationError.field("account_kind", f"вид счёта: {', '.join(KINDS)}")


async def _account_names(conn: asyncpg.Connection, registry: Registry, rows: list[dict]) -> dict[tuple[str, int], str]:
    out: dict[tuple[str, int], str] = {}
    for kind in KINDS:
        ids = {r["account_id"] for r in rows if r["account_kind"] == kind}
        out |= {(kind, i): name for i, name in (await _names(conn, registry, kind, ids)).items()}
    return out


def _order(organization: str, kind: str, account: str, *ids: int) -> tuple:
    return organization, KINDS.index(kind), account, *ids


async def balances(conn: asyncpg.Connection, registry: Registry, day: dt.date, tz: ZoneInfo,
                   organization_id: int | None = None) -> MoneyBalances:
    """The money in each desk and account at the end of ``day`` (that day's documents count);
    empty accounts are not listed."""
    filters = {} if organization_id is None else {"organization_id": organization_id}
    found = [r for r in await money.balance(conn, at=end_of(day, tz), **filters) if r["amount"]]
    orgs = await _names(conn, registry, "organizations", {r["organization_id"] for r in found})
    accounts = await _account_names(conn, registry, found)
    rows = [MoneyBalance(r["organization_id"], orgs.get(r["organization_id"], ""), r["account_kind"], r["account_id"],
                         accounts.get((r["account_kind"], r["account_id"]), ""), r["amount"]) for r in found]
    rows.sort(key=lambda r: _order(r.organization, r.account_kind, r.account, r.organization_id, r.account_id))
    return MoneyBalances(day, rows, sum((r.amount for r in rows), ZERO))


SUMS = ("coalesce(sum(amount) FILTER (WHERE record_type > 0), 0)::numeric(20, 2) AS incoming,"
        " coalesce(sum(amount) FILTER (WHERE record_type < 0), 0)::numeric(20, 2) AS outgoing")
ITEMS_SQL = f"""
SELECT organization_id, account_kind, account_id, cash_flow_item_id, {SUMS}
FROM "{money.movements_table}"
WHERE period >= $1 AND period <= $2 AND ($3::bigint IS NULL OR organization_id = $3)
GROUP BY organization_id, account_kind, account_id, cash_flow_item_id
"""


def _items(found: list[tuple[int | None, Decimal, Decimal]], names: dict[int, str]) -> list[ItemFlow]:
    """Items summed by id, the named ones by name, «Без статьи» last."""
    summed: dict[int | None, tuple[Decimal, Decimal]] = {}
    for item, incoming, outgoing in found:
        was = summed.get(item, (ZERO, ZERO))
        summed[item] = (was[0] + incoming, was[1] + outgoing)
    out = [ItemFlow(item, names.get(item, "") if item is not None else NO_ITEM, v[0], v[1])
           for item, v in summed.items()]
    return sorted(out, key=lambda i: (i.cash_flow_item_id is None, i.cash_flow_item, i.cash_flow_item_id or 0))


async def cash_flow(conn: asyncpg.Connection, registry: Registry, start: dt.date, end: dt.date, tz: ZoneInfo,
                    organization_id: int | None = None) -> CashFlow:
    """Движение денежных средств from the start of ``start`` to the end of ``end``: per account the
    opening and closing money and what came in and went out, split by cash-flow item."""
    check_period(start, end)
    since, until = start_of(start, tz), end_of(end, tz)
    filters = {} if organization_id is None else {"organization_id": organization_id}
    totals = await money.balance_and_turnovers(conn, since, until, **filters)
    by_item: dict[tuple[int, str, int], list[tuple[int | None, Decimal, Decimal]]] = {}
    for r in await conn.fetch(ITEMS_SQL, since, until, organization_id):
        by_item.setdefault((r["organization_id"], r["account_kind"], r["account_id"]), []).append(
            (r["cash_flow_item_id"], r["incoming"], r["outgoing"]))
    orgs = await _names(conn, registry, "organizations", {r["organization_id"] for r in totals})
    accounts = await _account_names(conn, registry, totals)
    items = await _names(conn, registry, "cash-flow-items",
                         {i for found in by_item.values() for i, _, _ in found if i is not None})
    rows = []
    for r in totals:
        key = (r["organization_id"], r["account_kind"], r["account_id"])
        rows.append(AccountFlow(r["organization_id"], orgs.get(r["organization_id"], ""), r["account_kind"],
                                r["account_id"], accounts.get((r["account_kind"], r["account_id"]), ""),
                                r["amount_opening"], r["amount_receipt"], r["amount_expense"], r["amount_closing"],
                                _items(by_item.get(key, []), items)))
    rows.sort(key=lambda a: _order(a.organization, a.account_kind, a.account, a.organization_id, a.account_id))
    every = [(i.cash_flow_item_id, i.incoming, i.outgoing) for a in rows for i in a.items]
    return CashFlow(start, end, rows, _items(every, items),
                    *(sum((getattr(a, f) for a in rows), ZERO) for f in ("opening", "incoming", "outgoing", "closing")))


def _conditions(item: int | None, without_item: bool, direction: Direction | None) -> str:
    out = []
    if without_item:
        out.append("cash_flow_item_id IS NULL")
    elif item is not None:
        out.append("cash_flow_item_id = $6")
    if direction is not None:
        out.append("record_type > 0" if direction == "in" else "record_type < 0")
    return "".join(f" AND {c}" for c in out)


async def documents(conn: asyncpg.Connection, registry: Registry, organization_id: int, account_kind: str,
                    account_id: int, start: dt.date, end: dt.date, tz: ZoneInfo, *, item: int | None = None,
                    without_item: bool = False, direction: Direction | None = None) -> MoneyDocuments:
    """Расшифровка: the account's money before ``start``, the documents that moved it up to the end
    of ``end`` (only an item's, or only incoming or outgoing ones, when asked; the first
    :data:`HISTORY_LIMIT`) and the money at the end."""
    check_period(start, end)
    check_kind(account_kind)
    if direction not in (None, "in", "out"):
        raise ValidationError.field("direction", "направление: in (поступление) или out (списание)")
    key = {"organization_id": organization_id, "account_kind": account_kind, "account_id": account_id}
    since, until = start_of(start, tz), end_of(end, tz)
    chosen = _conditions(item, without_item, direction)
    where = (f'FROM "{money.movements_table}" WHERE organization_id = $1 AND account_kind = $2'
             f" AND account_id = $3 AND period >= $4 AND period <= $5{chosen}")
    args: list[Any] = [organization_id, account_kind, account_id, since, until]
    if "$6" in chosen:
        args.append(item)
    moves = await conn.fetch(f"SELECT period, record_type, recorder_kind, recorder_id, amount, cash_flow_item_id"
                             f" {where} ORDER BY period, recorder_kind, recorder_id, line_no"
                             f" LIMIT {HISTORY_LIMIT + 1}", *args)
    sums = await conn.fetchrow(f"SELECT {SUMS} {where}", *args)
    before = await money.balance(conn, at=since - dt.timedelta(microseconds=1), **key)
    after = await money.balance(conn, at=until, **key)
    texts: dict[tuple[str, int], str] = {}
    for kind_name in {m["recorder_kind"] for m in moves}:
        kind = registry.documents[kind_name]
        ids = sorted({m["recorder_id"] for m in moves if m["recorder_kind"] == kind_name})
        for r in await conn.fetch(f'SELECT id, number, date FROM "{kind.table}" WHERE id = ANY($1::bigint[])', ids):
            texts[(kind_name, r["id"])] = _document_text(kind.title, r["number"], r["date"], tz)
    items = await _names(conn, registry, "cash-flow-items", {m["cash_flow_item_id"] for m in moves} - {None})
    whole = not chosen  # every movement listed: the money after each one means something
    left = opening = sum((b["amount"] for b in before), ZERO)
    rows = []
    for m in moves[:HISTORY_LIMIT]:
        left += m["record_type"] * m["amount"]
        item_id = m["cash_flow_item_id"]
        rows.append(MoneyMovement(
            m["period"], m["recorder_kind"], m["recorder_id"],
            texts.get((m["recorder_kind"], m["recorder_id"]), f"{m['recorder_kind']} {m['recorder_id']}"),
            item_id, items.get(item_id, "") if item_id is not None else NO_ITEM,
            m["amount"] if m["record_type"] > 0 else None, m["amount"] if m["record_type"] < 0 else None,
            left if whole else None))
    orgs = await _names(conn, registry, "organizations", {organization_id})
    account = await _names(conn, registry, account_kind, {account_id})
    return MoneyDocuments(organization_id, orgs.get(organization_id, ""), account_kind, account_id,
                          account.get(account_id, ""), start, end, None if without_item else item, without_item,
                          direction, opening, rows, sums["incoming"], sums["outgoing"],
                          sum((b["amount"] for b in after), ZERO), len(moves) > HISTORY_LIMIT)
