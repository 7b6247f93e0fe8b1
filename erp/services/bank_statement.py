"""Загрузка выписки банка: a ``1CClientBankExchange`` file (:mod:`.bank_exchange`) becomes payments.

One service for the REST API and the UI, in two steps as the Excel import of catalogs:

* :func:`preview` reads the file and says what each of its payments would become, writing nothing.
  The direction of a row follows our account: the bank account of one of our organizations (found by
  its number in «Банковские счета») that is the recipient makes an incoming payment («Поступление
  оплаты», its client found by the payer's INN, and KPP when several clients share the INN; the
  invoice found by its number in the purpose, «Оплата по счету № 12 от …», among that client's posted
  invoices with something still due); our account as the payer makes an outgoing one («Списание
  денежных средств» to the supplier found by the recipient's INN, a refund to a client when the
  purpose says «возврат»); both ours, a transfer between them («Перемещение денежных средств»).
  A row loaded before (same date, number, accounts and amount) is ``imported``; one whose
  counterparty is not found, or is found twice, is ``unmatched`` and waits for the user's choice.
* :func:`apply` does it inside one transaction, with the user's choices per row (another client,
  invoice, operation or cash-flow item, or ``skip``): every document is created and posted by the
  posting engine, as a user would post it (the period lock, the money that may not go negative, an
  invoice of another client — each refuses the whole statement, naming its row, and nothing is
  written). The row's key is written first (``INSERT … ON CONFLICT DO NOTHING``), so two users
  loading one statement at once make each payment once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from erp.platform.db import retried
from erp.platform.errors import ErpError, ValidationError

from .bank_exchange import BankDocument, Statement, StatementError, invoice_numbers, number_parts, parse

IN, OUT, TRANSFER = "in", "out", "transfer"
READY, IMPORTED, UNMATCHED, SKIPPED = "ready", "imported", "unmatched", "skipped"
KINDS = {IN: "payments", OUT: "outgoing-payments", TRANSFER: "money-transfers"}
OPERATIONS = ("to_supplier", "to_client", "other_expense")
SHOWN_INVOICES = 20
_REFUND = re.compile(r"возвр", re.IGNORECASE)


@dataclass
class Row:
    """One payment of the statement and what loading it makes."""

    index: int  # 1, 2… in the order of the file
    doc: BankDocument
    direction: str
    organization_id: int
    account_id: int  # our bank account (the payer's for a transfer)
    account_to_id: int | None = None  # a transfer's receiving account
    status: str = READY
    client_id: int | None = None  # the payer (in) or the recipient (out)
    client_name: str = ""
    invoice_id: int | None = None
    invoice_number: str = ""
    operation: str = ""
    cash_flow_item_id: int | None = None
    note: str = ""
    candidates: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)  # the client's invoices with something due
    invoice_chosen: bool = False  # the user's choice, not the purpose, names the invoice (or none)
    document: dict[str, Any] | None = None  # the document made (now or by an earlier load)

    @property
    def day(self) -> dt.date:
        """The day the money moved: ДатаПоступило of an incoming payment, ДатаСписано of an outgoing one."""
        moved = self.doc.received if self.direction == IN else self.doc.written_off
        return moved or self.doc.date

    @property
    def inn(self) -> str:
        return self.doc.payer_inn if self.direction == IN else self.doc.recipient_inn

    @property
    def counterparty(self) -> str:
        return self.doc.payer_name if self.direction == IN else self.doc.recipient_name

    def as_dict(self) -> dict[str, Any]:
        d = self.doc
        return {"row": self.index, "line": d.line, "kind": d.kind, "number": d.number, "date": d.date,
                "day": self.day, "amount": d.amount, "direction": self.direction, "status": self.status,
                "counterparty": self.counterparty, "inn": self.inn,
                "counterparty_account": d.payer_account if self.direction == IN else d.recipient_account,
                "purpose": d.purpose, "organization_id": self.organization_id, "bank_account_id": self.account_id,
                "bank_account_to_id": self.account_to_id, "client_id": self.client_id,
                "client_name": self.client_name, "invoice_id": self.invoice_id,
                "invoice_number": self.invoice_number, "operation": self.operation,
                "cash_flow_item_id": self.cash_flow_item_id, "note": self.note, "candidates": self.candidates,
                "invoices": self.invoices,
                "document": self.document}


@dataclass
class Plan:
    statement: Statement
    accounts: list[dict[str, Any]]  # the file's accounts that are ours
    rows: list[Row]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    def summary(self) -> dict[str, Any]:
        s = self.statement
        return {"version": s.version, "encoding": s.encoding, "start": s.start, "end": s.end,
                "accounts": self.accounts, "total": len(self.rows), "ready": self.count(READY),
                "imported": self.count(IMPORTED), "unmatched": self.count(UNMATCHED), "skipped": self.count(SKIPPED),
                "incoming": sum((r.doc.amount for r in self.rows if r.direction == IN), Decimal("0.00")),
                "outgoing": sum((r.doc.amount for r in self.rows if r.direction == OUT), Decimal("0.00"))}


# -- pure matching ---------------------------------------------------------------------------------


def direction_of(doc: BankDocument, ours: Mapping[str, Mapping[str, Any]]) -> str:
    """In, out or a transfer between our own accounts; neither side ours is a broken statement."""
    payer, recipient = doc.payer_account in ours, doc.recipient_account in ours
    if payer and recipient:
        return TRANSFER
    if recipient:
        return IN
    if payer:
        return OUT
    raise StatementError(f"в документе № {doc.number} от {doc.date:%d.%m.%Y} ни счёт плательщика "
                         f"{doc.payer_account}, ни счёт получателя {doc.recipient_account} не принадлежат "
                         "организациям (справочник «Банковские счета»)", "statement_unknown_account", line=doc.line)


def pick_client(clients: Sequence[Mapping[str, Any]], kpp: str) -> tuple[Mapping[str, Any] | None, list]:
    """The one client of an INN, or the one with the KPP among several; else none and the candidates."""
    if len(clients) == 1:
        return clients[0], []
    by_kpp = [c for c in clients if kpp and (c.get("kpp") or "") == kpp]
    if len(by_kpp) == 1:
        return by_kpp[0], []
    return None, list(clients)


def pick_invoice(purpose: str, invoices: Sequence[Mapping[str, Any]], day: dt.date) -> Mapping[str, Any] | None:
    """The invoice the purpose names, among the client's: its number (with or without the organization's
    prefix and leading zeros), something still due, dated no later than the payment — the latest such."""
    named = invoice_numbers(purpose)
    if not named:
        return None
    found = []
    for inv in invoices:
        parts = number_parts(inv["number"])
        if parts is None or inv["due"] <= 0 or inv["date"] > day:
            continue
        if any(n == parts[1] and (not prefix or prefix == parts[0]) for prefix, n in named):
            found.append(inv)
    return max(found, key=lambda i: (i["date"], i["id"])) if found else None


# -- reading ---------------------------------------------------------------------------------------


async def preview(conn: asyncpg.Connection, content: bytes, choices: Mapping[int, Mapping[str, Any]] | None = None,
                  *, tz=None) -> Plan:
    """What loading ``content`` would make, row by row, with the user's ``choices``; writes nothing."""
    statement = parse(content)
    numbers = {*statement.accounts, *(a for d in statement.documents for a in (d.payer_account, d.recipient_account))}
    ours = {r["account_number"]: dict(r) for r in await conn.fetch(
        "SELECT a.id, a.organization_id, a.account_number, a.name, o.name AS organization FROM cat_bank_accounts a"
        " JOIN cat_organizations o ON o.id = a.organization_id"
        " WHERE NOT a.deletion_mark AND a.account_number = ANY($1::text[]) ORDER BY a.id", sorted(numbers))}
    mine = [ours[a] for a in statement.accounts if a in ours]
    if not mine:
        raise StatementError(
            "ни один расчётный счёт выписки (" + ", ".join(statement.accounts[:5]) + ") не найден среди банковских "
            "счетов организаций: добавьте счёт в справочник «Банковские счета» или выберите выписку своего счёта",
            "statement_no_our_account")
    rows = []
    for i, doc in enumerate(statement.documents, start=1):
        direction = direction_of(doc, ours)
        account = ours[doc.recipient_account if direction == IN else doc.payer_account]
        row = Row(i, doc, direction, account["organization_id"], account["id"])
        if direction == TRANSFER:
            row.account_to_id = ours[doc.recipient_account]["id"]
            if ours[doc.recipient_account]["organization_id"] != row.organization_id:
                row.status, row.note = UNMATCHED, ("перевод между счетами разных организаций: оформите его "
                                                   "поступлением и списанием вручную")
        rows.append(row)
    await _imported(conn, rows)
    await _match(conn, rows)
    _choose(rows, choices or {})
    await _invoices(conn, rows, tz)
    await _names(conn, rows)
    return Plan(statement, [{"account_number": a["account_number"], "id": a["id"], "name": a["name"],
                             "organization_id": a["organization_id"], "organization": a["organization"]}
                            for a in mine], rows)


async def _imported(conn: asyncpg.Connection, rows: list[Row]) -> None:
    if not rows:
        return
    found = await conn.fetch(
        "SELECT r.doc_date, r.doc_number, r.payer_account, r.recipient_account, r.amount, r.document_kind,"
        " r.document_id FROM bank_statement_rows r JOIN unnest($1::date[], $2::text[], $3::text[], $4::text[],"
        " $5::numeric[]) AS k(d, n, p, r, a) ON (r.doc_date, r.doc_number, r.payer_account, r.recipient_account,"
        " r.amount) = (k.d, k.n, k.p, k.r, k.a)",
        *(list(col) for col in zip(*(r.doc.key for r in rows), strict=True)))
    done = {(f["doc_date"], f["doc_number"], f["payer_account"], f["recipient_account"], f["amount"]): f
            for f in found}
    for r in rows:
        if (f := done.get(r.doc.key)) is not None:
            r.status, r.note = IMPORTED, "загружен раньше"
            r.document = {"kind": f["document_kind"], "id": f["document_id"]}


async def _match(conn: asyncpg.Connection, rows: list[Row]) -> None:
    """Counterparties by INN (one query)."""
    todo = [r for r in rows if r.status == READY and r.direction != TRANSFER]
    inns = sorted({r.inn for r in todo if r.inn})
    by_inn: dict[str, list[dict]] = {}
    if inns:
        for c in await conn.fetch("SELECT id, name, inn, kpp FROM cat_clients WHERE NOT deletion_mark"
                                  " AND inn = ANY($1::text[]) ORDER BY id", inns):
            by_inn.setdefault(c["inn"], []).append(dict(c))
    for r in todo:
        kpp = r.doc.payer_kpp if r.direction == IN else r.doc.recipient_kpp
        client, candidates = pick_client(by_inn.get(r.inn, []), kpp) if r.inn else (None, [])
        if r.direction == OUT:
            r.operation = "to_client" if _REFUND.search(r.doc.purpose) else "to_supplier"
        if client is not None:
            r.client_id = client["id"]
        else:
            r.status = UNMATCHED
            r.candidates = [{"id": c["id"], "name": c["name"], "kpp": c["kpp"]} for c in candidates]
            r.note = (f"несколько контрагентов с ИНН {r.inn}: выберите" if candidates else
                      f"контрагент с ИНН {r.inn} не найден: выберите его" if r.inn else
                      "в выписке нет ИНН контрагента: выберите его")


async def _invoices(conn: asyncpg.Connection, rows: list[Row], tz) -> None:
    """The open invoices of each incoming row's client (one query), and the one its purpose names
    unless the user chose."""
    todo = [r for r in rows if r.status == READY and r.direction == IN and r.client_id]
    pairs = sorted({(r.organization_id, r.client_id) for r in todo})
    if not pairs:
        return
    invoices: dict[tuple[int, int], list[dict]] = {}
    for inv in await conn.fetch(
            "SELECT i.id, i.number, i.date, i.organization_id, i.client_id, coalesce(b.amount, 0) AS due"
            " FROM doc_invoices i JOIN unnest($1::bigint[], $2::bigint[]) AS k(o, c)"
            " ON i.organization_id = k.o AND i.client_id = k.c"
            " JOIN reg_invoice_payments_balance b ON b.invoice_id = i.id"
            " WHERE i.posted AND NOT i.deletion_mark AND b.amount > 0 ORDER BY i.date DESC, i.id DESC",
            [p[0] for p in pairs], [p[1] for p in pairs]):
        day = inv["date"].astimezone(tz).date() if tz is not None else inv["date"].date()
        invoices.setdefault((inv["organization_id"], inv["client_id"]), []).append(
            {"id": inv["id"], "number": inv["number"], "date": day, "due": inv["due"]})
    for r in todo:
        own = invoices.get((r.organization_id, r.client_id), [])
        r.invoices = own[:SHOWN_INVOICES]
        if r.invoice_chosen:
            continue
        inv = pick_invoice(r.doc.purpose, own, r.day)
        if inv is not None:
            r.invoice_id, r.invoice_number = inv["id"], inv["number"]
        elif invoice_numbers(r.doc.purpose):
            r.note = "счёт из назначения платежа не найден среди неоплаченных счетов клиента: оплата без счёта"


def _id(value: Any, what: str, row: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number < 2**63:
        raise ValidationError(f"Строка выписки {row}: «{what}» — ожидается идентификатор", code="bad_choice",
                              details={"row": row, "fields": {what: "ожидается идентификатор"}})
    return number


def _choose(rows: list[Row], choices: Mapping[int, Mapping[str, Any]]) -> None:
    """The user's word wins over the match: another counterparty, invoice, operation, item, or skip."""
    by_index = {r.index: r for r in rows}
    for index, choice in choices.items():
        r = by_index.get(int(index))
        if r is None or r.status == IMPORTED or not isinstance(choice, Mapping):
            continue
        if choice.get("skip") in (True, "1", "true", "on"):
            r.status, r.note = SKIPPED, "пропущен по выбору пользователя"
            continue
        client = _id(choice.get("client_id"), "client_id", r.index)
        if client is not None and r.direction != TRANSFER and client != r.client_id:
            r.client_id, r.invoice_id, r.invoice_number, r.candidates = client, None, "", []
            r.status, r.note = READY, "контрагент выбран вручную"
        if "invoice_id" in choice and r.direction == IN:
            r.invoice_id, r.invoice_number = _id(choice.get("invoice_id"), "invoice_id", r.index), ""
            r.invoice_chosen = True
        operation = choice.get("operation")
        if operation and r.direction == OUT:
            if operation not in OPERATIONS:
                raise ValidationError(f"Строка выписки {r.index}: неизвестный вид операции «{operation}»",
                                      code="bad_choice", details={"row": r.index, "fields": {"operation": operation}})
            r.operation = operation
        r.cash_flow_item_id = _id(choice.get("cash_flow_item_id"), "cash_flow_item_id", r.index) or r.cash_flow_item_id


async def _names(conn: asyncpg.Connection, rows: list[Row]) -> None:
    """The chosen counterparties' and invoices' presentations, for the preview."""
    clients = {r.client_id for r in rows if r.client_id}
    invoices = {r.invoice_id for r in rows if r.invoice_id and not r.invoice_number}
    names = {c["id"]: c["name"] for c in await conn.fetch(
        "SELECT id, name FROM cat_clients WHERE id = ANY($1::bigint[])", list(clients))} if clients else {}
    numbers = {i["id"]: i["number"] for i in await conn.fetch(
        "SELECT id, number FROM doc_invoices WHERE id = ANY($1::bigint[])", list(invoices))} if invoices else {}
    for r in rows:
        r.client_name = names.get(r.client_id, "") if r.client_id else ""
        if r.invoice_id and not r.invoice_number:
            r.invoice_number = numbers.get(r.invoice_id, "")


# -- writing ---------------------------------------------------------------------------------------


def document_data(row: Row, tz) -> dict[str, Any]:
    """The document a ready row makes, as the API takes it: dated the day the money moved (09:00 and a
    second per row, so that a day's incoming payments come before its outgoing ones)."""
    d = row.doc
    moment = dt.datetime.combine(row.day, dt.time(9)) + dt.timedelta(seconds=row.index)
    where = f"Выписка банка: {d.kind.lower()} № {d.number} от {d.date:%d.%m.%Y}"
    base = {"date": moment.isoformat(), "organization_id": row.organization_id, "amount": str(d.amount),
            "method": "bank", "bank_account_id": row.account_id}
    if row.cash_flow_item_id:
        base["cash_flow_item_id"] = row.cash_flow_item_id
    if row.direction == IN:
        return {**base, "client_id": row.client_id, "invoice_id": row.invoice_id,
                "comment": f"{where}. {d.purpose}"[:500]}
    if row.direction == OUT:
        return {**base, "recipient_id": row.client_id, "operation": row.operation or "to_supplier",
                "purpose": d.purpose[:500], "comment": where[:500]}
    return {**base, "method_to": "bank", "bank_account_to_id": row.account_to_id,
            "comment": f"{where}. {d.purpose}"[:500]}


ORDER = {IN: 0, TRANSFER: 1, OUT: 2}


async def apply(conn: asyncpg.Connection, engine, content: bytes,
                choices: Mapping[int, Mapping[str, Any]] | None = None, *, author_id: int | None = None) -> Plan:
    """Load the statement in one transaction: every ready row's document created and posted, or, when one
    is refused, nothing (the error names the row). Rows loaded before and rows left unmatched make nothing.
    A deadlock or serialization failure runs the whole load again."""
    return await retried(lambda: _apply(conn, engine, content, choices, author_id))


async def _apply(conn: asyncpg.Connection, engine, content: bytes, choices, author_id: int | None) -> Plan:
    async with conn.transaction():
        found = await preview(conn, content, choices, tz=engine.tz)
        for row in sorted((r for r in found.rows if r.status == READY),
                          key=lambda r: (r.day, ORDER[r.direction], r.index)):
            d = row.doc
            key_id = await conn.fetchval(
                "INSERT INTO bank_statement_rows (doc_date, doc_number, payer_account, recipient_account, amount,"
                " user_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (doc_date, doc_number,"
                " payer_account, recipient_account, amount) DO NOTHING RETURNING id", *d.key, author_id)
            if key_id is None:  # another load of the same statement got there first
                row.status, row.note = IMPORTED, "загружен раньше"
                continue
            kind = engine.registry.documents[KINDS[row.direction]]
            try:
                doc = await engine.create(conn, kind, document_data(row, engine.tz), post=True, author_id=author_id)
            except ErpError as exc:
                raise _of_row(exc, row) from None
            await conn.execute("UPDATE bank_statement_rows SET document_kind = $2, document_id = $3 WHERE id = $1",
                               key_id, kind.name, doc.id)
            row.document = {"kind": kind.name, "id": doc.id, "number": doc.number}
    return found


def _of_row(exc: ErpError, row: Row) -> ErpError:
    """The engine's refusal naming the statement's row: nothing of the statement is written."""
    d = row.doc
    exc.message = f"Выписка не загружена: строка {row.index} (№ {d.number} от {d.date:%d.%m.%Y} на " \
                  f"{d.amount} руб.): {exc.message}"
    exc.args = (exc.message,)
    exc.details = {**(exc.details if isinstance(exc.details, dict) else {}), "row": row.index, "line": d.line}
    return exc
