"""Акт сверки взаиморасчётов: the settlements with one counterparty over a period, as the
organization's books have them, for both parties to check and sign.

A client's act reads «Взаиморасчёты с клиентами» (positive: the client owes), a supplier's
«Расчёты с поставщиками» (positive: the organization owes). Both are printed as 1C prints them,
from the organization's side: a debit is what makes the counterparty owe more (a rendering, a
refund paid to a client, a payment to a supplier), a credit what makes it owe less (a client's
payment or return, goods received from a supplier). The opening balance is the register's balance
before the period, every document between is a row, and the closing balance is the opening plus
the debits less the credits — the register's own balance-and-turnovers of the period, so the
act and the register always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from erp.platform.errors import ValidationError
from erp.platform.metadata import Registry
from erp.platform.register import AccumulationRegister
from erp.platform.virtual_tables import movements
from erp.registers.settlements import settlements
from erp.registers.supplier_settlements import supplier_settlements
from erp.services.supplier_debts import end_of, report_day

ZERO = Decimal("0.00")
MAX_ROWS = 5000


@dataclass(frozen=True)
class Side:
    """Whose settlements the act reads: the register, its counterparty dimension and the sign
    that turns its balance into the organization's debit balance."""

    name: str
    title: str
    register: AccumulationRegister
    dimension: str
    sign: int  # +1: the register's receipt is a debit; -1: a credit


SIDES = {
    "clients": Side("clients", "с клиентом", settlements, "client_id", 1),
    "suppliers": Side("suppliers", "с поставщиком", supplier_settlements, "counterparty_id", -1),
}


@dataclass(frozen=True)
class Requisites:
    name: str
    inn: str = ""
    kpp: str = ""
    address: str = ""
    director: str = ""
    accountant: str = ""

    @property
    def line(self) -> str:
        parts = [self.inn and f"ИНН {self.inn}", self.kpp and f"КПП {self.kpp}", self.address]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class ActRow:
    """One document of the period: its date, its title, and its debit or credit."""

    date: dt.date
    kind: str
    id: int
    document: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class Reconciliation:
    side: str
    start: dt.date
    end: dt.date
    organization_id: int
    counterparty_id: int
    counterparty_code: str
    counterparty_email: str
    organization: Requisites
    counterparty: Requisites
    opening: Decimal            # the organization's debit balance before the period (negative: a credit)
    rows: tuple[ActRow, ...]
    debit: Decimal              # the period's debit turnover
    credit: Decimal
    closing: Decimal

    @staticmethod
    def _split(balance: Decimal) -> tuple[Decimal | None, Decimal | None]:
        return (balance, None) if balance > 0 else (None, -balance) if balance < 0 else (ZERO, None)

    @property
    def opening_columns(self) -> tuple[Decimal | None, Decimal | None]:
        """``(debit, credit)`` of the opening balance as it is printed."""
        return self._split(self.opening)

    @property
    def closing_columns(self) -> tuple[Decimal | None, Decimal | None]:
        return self._split(self.closing)

    @property
    def in_favour_of(self) -> str | None:
        """Whose favour the closing balance is in, or None when nobody owes anybody."""
        if self.closing > 0:
            return self.organization.name
        if self.closing < 0:
            return self.counterparty.name
        return None


@dataclass(frozen=True)
class ActQuery:
    """What the user asks for: the counterparty, the organization (its own when empty), the period."""

    counterparty_id: int | None
    organization_id: int | None
    start: dt.date
    end: dt.date
    side: str = "clients"


def read_query(counterparty_id: int | None, organization_id: int | None, start: Any, end: Any, side: Any,
               today: dt.date) -> ActQuery:
    """The query from its raw parameters; a bad one is a 422 naming the field, in Russian."""
    if side in (None, ""):
        side = "clients"
    if side not in SIDES:
        raise ValidationError("side: укажите clients (клиент) или suppliers (поставщик)", code="reconciliation_side",
                              details={"fields": {"side": "допустимые значения: clients, suppliers"}})
    if counterparty_id is None:
        raise ValidationError.field("counterparty_id", "выберите контрагента")
    last = report_day(end, "end", today)
    first = report_day(start, "start", last.replace(month=1, day=1))
    if last < first:
        raise ValidationError("Конец периода раньше его начала", code="period_reversed",
                              details={"fields": {"end": "конец периода раньше начала"}})
    return ActQuery(counterparty_id, organization_id, first, last, side)


async def _requisites(conn: asyncpg.Connection, registry: Registry, query: ActQuery):
    counterparty = await conn.fetchrow(
        f'SELECT id, code, name, inn, kpp, address, email, organization_id, is_group'
        f' FROM "{registry.catalogs["clients"].table}" WHERE id = $1', query.counterparty_id)
    if counterparty is None or counterparty["is_group"]:
        raise ValidationError(f"Контрагент с id {query.counterparty_id} не найден", code="counterparty_not_found",
                              details={"fields": {"counterparty_id": "контрагент не найден"}})
    organization_id = query.organization_id or counterparty["organization_id"]
    if organization_id is None:
        from erp.printing.defaults import default_organization

        organization_id = await default_organization(conn)
    org = await conn.fetchrow("SELECT id, name, full_name, inn, kpp, address, director, chief_accountant"
                              f' FROM "{registry.catalogs["organizations"].table}" WHERE id = $1',
                              organization_id) if organization_id else None
    if org is None:
        if query.organization_id is None:
            raise ValidationError("Не выбрана организация, от имени которой составляется акт сверки — выберите её",
                                  code="organization_missing",
                                  details={"fields": {"organization_id": "не выбрана организация"}})
        raise ValidationError(f"Организация с id {query.organization_id} не найдена", code="organization_not_found",
                              details={"fields": {"organization_id": "организация не найдена"}})
    ours = Requisites(org["full_name"] or org["name"], org["inn"] or "", org["kpp"] or "", org["address"] or "",
                      org["director"] or "", org["chief_accountant"] or "")
    theirs = Requisites(counterparty["name"], counterparty["inn"] or "", counterparty["kpp"] or "",
                        counterparty["address"] or "")
    return org, counterparty, ours, theirs


async def _titles(conn: asyncpg.Connection, registry: Registry, moves: list[dict], prefix: str,
                  tz: ZoneInfo) -> dict[tuple[str, int], str]:
    """«Оказание услуг № 12 от 22.12.2021» for every recorder; a payment for an invoice names it."""
    by_kind: dict[str, set[int]] = {}
    for m in moves:
        by_kind.setdefault(m["recorder_kind"], set()).add(m["recorder_id"])

    def number(raw: str) -> str:
        rest = raw[len(prefix):] if prefix and raw.startswith(prefix) else raw
        return rest.lstrip("0") or raw

    out: dict[tuple[str, int], str] = {}
    for kind_name, ids in by_kind.items():
        kind = registry.documents[kind_name]
        invoice = "d.invoice_id" if kind_name == "payments" else "NULL::bigint"
        found = await conn.fetch(f'SELECT d.id, d.number, d.date, {invoice} AS invoice_id FROM "{kind.table}" d'
                                 " WHERE d.id = ANY($1::bigint[])", sorted(ids))
        invoices = {r["id"]: r for r in await conn.fetch(
            f'SELECT id, number, date FROM "{registry.documents["invoices"].table}" WHERE id = ANY($1::bigint[])',
            sorted({r["invoice_id"] for r in found if r["invoice_id"]}))} if kind_name == "payments" else {}
        for r in found:
            text = f"{kind.title} № {number(r['number'])} от {r['date'].astimezone(tz):%d.%m.%Y}"
            invoice = invoices.get(r["invoice_id"])
            if invoice is not None:
                text += f" (оплата по счёту № {number(invoice['number'])} от {invoice['date'].astimezone(tz):%d.%m.%Y})"
            out[(kind_name, r["id"])] = text
    return out


async def build(conn: asyncpg.Connection, registry: Registry, query: ActQuery, tz: ZoneInfo) -> Reconciliation:
    """The act of ``query``: the balance before the period, every document in it, the balance after."""
    side = SIDES[query.side]
    org, counterparty, ours, theirs = await _requisites(conn, registry, query)
    key = {"organization_id": org["id"], side.dimension: counterparty["id"]}
    since, until = dt.datetime.combine(query.start, dt.time(), tz), end_of(query.end, tz)
    [totals] = await side.register.balance_and_turnovers(conn, since, until, **key) or [{
        "amount_opening": ZERO, "amount_receipt": ZERO, "amount_expense": ZERO, "amount_closing": ZERO}]
    moves = await movements(conn, side.register, since, until, limit=MAX_ROWS + 1, **key)
    if len(moves) > MAX_ROWS:
        raise ValidationError(f"За период больше {MAX_ROWS} операций — выберите период короче",
                              code="reconciliation_too_long", details={"fields": {"start": "слишком длинный период"}})
    prefix = await conn.fetchval("SELECT number_prefix FROM cat_organizations WHERE id = $1", org["id"]) or ""
    titles = await _titles(conn, registry, moves, prefix, tz)
    rows: list[ActRow] = []
    for m in moves:
        signed = m["record_type"] * side.sign * m["amount"]
        debit, credit = (m["amount"], ZERO) if m["record_type"] * side.sign > 0 else (ZERO, m["amount"])
        if signed == 0:
            continue
        doc = (m["recorder_kind"], m["recorder_id"])
        if rows and (rows[-1].kind, rows[-1].id) == doc:  # one row per document
            last = rows.pop()
            debit, credit = last.debit + debit, last.credit + credit
        rows.append(ActRow(m["period"].astimezone(tz).date(), doc[0], doc[1],
                           titles.get(doc, f"{doc[0]} {doc[1]}"), debit, credit))
    receipt, expense = totals["amount_receipt"], totals["amount_expense"]
    debit, credit = (receipt, expense) if side.sign > 0 else (expense, receipt)
    opening = side.sign * totals["amount_opening"] + ZERO  # + 0: never a "-0.00"
    return Reconciliation(
        side=side.name, start=query.start, end=query.end, organization_id=org["id"],
        counterparty_id=counterparty["id"], counterparty_code=counterparty["code"] or str(counterparty["id"]),
        counterparty_email=counterparty["email"] or "", organization=ours, counterparty=theirs, opening=opening,
        rows=tuple(rows), debit=debit, credit=credit, closing=opening + debit - credit)
