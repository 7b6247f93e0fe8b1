"""Карточка клиента: one client's whole story on one page.

Past and upcoming appointments (Заявки) with their visit status, the service renderings
(Оказание услуг), the invoices (Счета на оплату) with their payment status and the amount
still due, the payments (Поступления оплаты), the current debt per organization (the
settlements register's balance), the sales of a period (the sales register's turnovers) and
the PDFs generated or emailed for the client. Each list holds the newest ``limit`` documents
(upcoming appointments: the nearest) and the count of all, so that a client with thousands of
documents opens as fast as one with ten: every read goes by an index that starts with the
client (migration ``erp_2026_12_06t12_30_00``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import asyncpg
import msgspec

from erp.platform.dates import MAX_MOMENT, DateError, read_day
from erp.platform.errors import NotFound, ValidationError
from erp.platform.metadata import Registry

DEFAULT_LIMIT = 20
MAX_LIMIT = 200

State = Literal["posted", "draft", "marked"]
InvoiceStatus = Literal["unpaid", "partially_paid", "paid"]


class Client(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    kind: str
    inn: str
    phone: str
    email: str
    deletion_mark: bool


class Appointment(msgspec.Struct, frozen=True):
    """A Request (Заявка): when, with whom, and how the visit went."""

    id: int
    number: str
    date: dt.datetime
    state: State
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    doctor_id: int
    doctor: str
    visit_status_id: int | None
    visit_status: str | None
    amocrm_lead_id: int | None


class Rendering(msgspec.Struct, frozen=True):
    id: int
    number: str
    date: dt.datetime
    state: State
    organization_id: int
    organization: str
    doctor_id: int
    doctor: str
    amount_total: Decimal


class Invoice(msgspec.Struct, frozen=True):
    """``status`` and ``amount_due`` come from the invoice payments register: None while the
    invoice is not posted (it is not owed yet)."""

    id: int
    number: str
    date: dt.datetime
    state: State
    organization_id: int
    organization: str
    due_date: dt.date | None
    amount_total: Decimal
    amount_due: Decimal | None
    status: InvoiceStatus | None


class Payment(msgspec.Struct, frozen=True):
    id: int
    number: str
    date: dt.datetime
    state: State
    organization_id: int
    organization: str
    amount: Decimal
    method: str
    invoice_id: int | None


class Debt(msgspec.Struct, frozen=True):
    """The client's balance with one organization: positive, the client owes; negative, an advance."""

    organization_id: int
    organization: str
    amount: Decimal


class SalesLine(msgspec.Struct, frozen=True):
    organization_id: int
    organization: str
    nomenclature_id: int
    nomenclature: str
    doctor_id: int
    doctor: str
    quantity: Decimal
    amount: Decimal
    vat: Decimal


class Sales(msgspec.Struct, frozen=True):
    start: dt.date
    end: dt.date
    lines: list[SalesLine]
    quantity: Decimal
    amount: Decimal
    vat: Decimal


class GeneratedDocument(msgspec.Struct, frozen=True):
    """A PDF printed or emailed for the client (the registry of generated documents)."""

    id: int
    document_kind: str
    document_id: int
    document_number: str
    document_date: dt.date | None
    form: str
    document_type: str
    file_name: str
    generated_at: dt.datetime
    sent_to: str | None
    sent_at: dt.datetime | None


class Summary(msgspec.Struct, frozen=True):
    """Each list holds the newest (upcoming appointments: the nearest) rows, and ``counts`` how many
    the client has in all under the same name."""

    client: Client
    upcoming_appointments: list[Appointment]
    past_appointments: list[Appointment]
    renderings: list[Rendering]
    invoices: list[Invoice]
    payments: list[Payment]
    generated_documents: list[GeneratedDocument]
    counts: dict[str, int]
    debts: list[Debt]
    debt_total: Decimal
    sales: Sales


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The sales shown when no period is asked for: the year so far."""
    return today.replace(month=1, day=1), today


def read_period(start: str | None, end: str | None) -> tuple[dt.date | None, dt.date | None]:
    """The sales period as typed (``ГГГГ-ММ-ДД``, empty for the default), every bad day named at once."""
    days: dict[str, dt.date | None] = {}
    problems: dict[str, str] = {}
    for name, raw in (("start", start), ("end", end)):
        try:
            days[name] = read_day(raw) if raw else None
        except DateError as exc:
            problems[name] = str(exc)
    if problems:
        raise ValidationError.fields(problems)
    return days["start"], days["end"]


def check_period(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ValidationError("Начало периода позже его конца", code="bad_period",
                              details={"fields": {"start": "начало периода позже его конца"}})


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError.field("limit", f"от 1 до {MAX_LIMIT}")


def _state(row: asyncpg.Record) -> State:
    return "marked" if row["deletion_mark"] else "posted" if row["posted"] else "draft"


async def summary(conn: asyncpg.Connection, registry: Registry, client_id: int, *, tz: dt.tzinfo,
                  start: dt.date | None = None, end: dt.date | None = None, limit: int = DEFAULT_LIMIT,
                  now: dt.datetime | None = None) -> Summary:
    """The client card of ``client_id``; sales from ``start`` to ``end`` (days in the clinic's time zone,
    both inclusive; the year so far by default)."""
    check_limit(limit)
    now = now or dt.datetime.now(dt.UTC)
    default_start, default_end = default_period(now.astimezone(tz).date())
    start, end = start or default_start, end or default_end
    check_period(start, end)
    row = await conn.fetchrow("SELECT id, code, name, kind, inn, phone, email, deletion_mark FROM cat_clients"
                              " WHERE id = $1 AND NOT is_group", client_id)
    if row is None:
        raise NotFound(f"Клиент с id {client_id} не найден", code="client_not_found")
    client = Client(**{k: "" if v is None else v for k, v in row.items()})
    upcoming, past = await _appointments(conn, client_id, now, limit, tz)
    debts = await _debts(conn, registry, client_id)
    return Summary(
        client=client, upcoming_appointments=upcoming, past_appointments=past,
        renderings=await _renderings(conn, client_id, limit, tz), invoices=await _invoices(conn, client_id, limit, tz),
        payments=await _payments(conn, client_id, limit, tz),
        generated_documents=await _generated(conn, client_id, limit, tz),
        counts=await _counts(conn, client_id, now), debts=debts,
        debt_total=sum((d.amount for d in debts), Decimal("0.00")),
        sales=await _sales(conn, registry, client_id, start, end, tz))


COUNTS = """
SELECT (SELECT count(*) FROM doc_requests WHERE client_id = $1 AND starts_at >= $2) AS upcoming_appointments,
       (SELECT count(*) FROM doc_requests WHERE client_id = $1 AND starts_at < $2) AS past_appointments,
       (SELECT count(*) FROM doc_service_renderings WHERE client_id = $1) AS renderings,
       (SELECT count(*) FROM doc_invoices WHERE client_id = $1) AS invoices,
       (SELECT count(*) FROM doc_payments WHERE client_id = $1) AS payments,
       (SELECT count(*) FROM generated_documents WHERE client_id = $1) AS generated_documents
"""


async def _counts(conn: asyncpg.Connection, client_id: int, now: dt.datetime) -> dict[str, int]:
    return dict(await conn.fetchrow(COUNTS, client_id, now))


APPOINTMENTS = """
SELECT r.id, r.number, r.date, r.posted, r.deletion_mark, r.starts_at, r.ends_at, r.doctor_id,
       d.name AS doctor, r.visit_status_id, s.name AS visit_status, r.amocrm_lead_id
FROM doc_requests r
JOIN cat_doctors d ON d.id = r.doctor_id
LEFT JOIN cat_visit_statuses s ON s.id = r.visit_status_id
WHERE r.client_id = $1 AND r.starts_at {op} $2
ORDER BY r.starts_at {order}, r.id {order} LIMIT $3
"""


async def _appointments(conn: asyncpg.Connection, client_id: int, now: dt.datetime, limit: int,
                        tz: dt.tzinfo) -> tuple[list[Appointment], list[Appointment]]:
    def make(r: asyncpg.Record) -> Appointment:
        return Appointment(id=r["id"], number=r["number"], date=r["date"].astimezone(tz), state=_state(r),
                           starts_at=r["starts_at"].astimezone(tz),
                           ends_at=r["ends_at"].astimezone(tz) if r["ends_at"] else None,
                           doctor_id=r["doctor_id"], doctor=r["doctor"], visit_status_id=r["visit_status_id"],
                           visit_status=r["visit_status"], amocrm_lead_id=r["amocrm_lead_id"])

    upcoming = await conn.fetch(APPOINTMENTS.format(op=">=", order="ASC"), client_id, now, limit)
    past = await conn.fetch(APPOINTMENTS.format(op="<", order="DESC"), client_id, now, limit)
    return [make(r) for r in upcoming], [make(r) for r in past]


async def _renderings(conn: asyncpg.Connection, client_id: int, limit: int, tz: dt.tzinfo) -> list[Rendering]:
    rows = await conn.fetch(
        "SELECT r.id, r.number, r.date, r.posted, r.deletion_mark, r.organization_id, o.name AS organization,"
        " r.doctor_id, d.name AS doctor, r.amount_total FROM doc_service_renderings r"
        " JOIN cat_organizations o ON o.id = r.organization_id JOIN cat_doctors d ON d.id = r.doctor_id"
        " WHERE r.client_id = $1 ORDER BY r.date DESC, r.id DESC LIMIT $2", client_id, limit)
    return [
        Rendering(id=r["id"], number=r["number"], date=r["date"].astimezone(tz), state=_state(r),
                  organization_id=r["organization_id"], organization=r["organization"], doctor_id=r["doctor_id"],
                  doctor=r["doctor"], amount_total=r["amount_total"] or Decimal("0.00")) for r in rows]


async def _invoices(conn: asyncpg.Connection, client_id: int, limit: int, tz: dt.tzinfo) -> list[Invoice]:
    rows = await conn.fetch(
        "SELECT i.id, i.number, i.date, i.posted, i.deletion_mark, i.organization_id, o.name AS organization,"
        " i.due_date, i.amount_total, b.amount AS owed FROM doc_invoices i"
        " JOIN cat_organizations o ON o.id = i.organization_id"
        " LEFT JOIN reg_invoice_payments_balance b ON b.invoice_id = i.id"
        " WHERE i.client_id = $1 ORDER BY i.date DESC, i.id DESC LIMIT $2", client_id, limit)

    def make(r: asyncpg.Record) -> Invoice:
        total = r["amount_total"] or Decimal("0.00")
        due: Decimal | None = None
        status: InvoiceStatus | None = None
        if r["posted"] and not r["deletion_mark"]:  # the same rule as the invoices report
            owed = r["owed"] or Decimal("0.00")
            due = max(owed, Decimal("0.00"))
            status = "paid" if owed <= 0 and total > 0 else "unpaid" if owed >= total else "partially_paid"
        return Invoice(id=r["id"], number=r["number"], date=r["date"].astimezone(tz), state=_state(r),
                       organization_id=r["organization_id"], organization=r["organization"], due_date=r["due_date"],
                       amount_total=total, amount_due=due, status=status)

    return [make(r) for r in rows]


async def _payments(conn: asyncpg.Connection, client_id: int, limit: int, tz: dt.tzinfo) -> list[Payment]:
    rows = await conn.fetch(
        "SELECT p.id, p.number, p.date, p.posted, p.deletion_mark, p.organization_id, o.name AS organization,"
        " p.amount, p.method, p.invoice_id FROM doc_payments p JOIN cat_organizations o ON o.id = p.organization_id"
        " WHERE p.client_id = $1 ORDER BY p.date DESC, p.id DESC LIMIT $2", client_id, limit)
    return [
        Payment(id=r["id"], number=r["number"], date=r["date"].astimezone(tz), state=_state(r),
                organization_id=r["organization_id"], organization=r["organization"], amount=r["amount"],
                method=r["method"], invoice_id=r["invoice_id"]) for r in rows]


async def _names(conn: asyncpg.Connection, table: str, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await conn.fetch(f"SELECT id, name FROM {table} WHERE id = ANY($1::bigint[])", list(ids))
    return {r["id"]: r["name"] for r in rows}


async def _debts(conn: asyncpg.Connection, registry: Registry, client_id: int) -> list[Debt]:
    rows = [r for r in await registry.registers["settlements"].balance(conn, client_id=client_id) if r["amount"]]
    names = await _names(conn, "cat_organizations", {r["organization_id"] for r in rows})
    return sorted((Debt(organization_id=r["organization_id"], organization=names.get(r["organization_id"], ""),
                        amount=r["amount"]) for r in rows), key=lambda d: (d.organization, d.organization_id))


async def _sales(conn: asyncpg.Connection, registry: Registry, client_id: int, start: dt.date, end: dt.date,
                 tz: dt.tzinfo) -> Sales:
    # The registers keep moments up to MAX_MOMENT: a period asked to the end of 9999 reads up to it.
    first = min(dt.datetime.combine(start, dt.time.min, tz), MAX_MOMENT)
    last = min(dt.datetime.combine(end, dt.time.max, tz), MAX_MOMENT)
    rows = await registry.registers["sales"].turnovers(conn, first, last, client_id=client_id)
    organizations = await _names(conn, "cat_organizations", {r["organization_id"] for r in rows})
    services = await _names(conn, "cat_nomenclature", {r["nomenclature_id"] for r in rows})
    doctors = await _names(conn, "cat_doctors", {r["doctor_id"] for r in rows})
    lines = sorted((SalesLine(
        organization_id=r["organization_id"], organization=organizations.get(r["organization_id"], ""),
        nomenclature_id=r["nomenclature_id"], nomenclature=services.get(r["nomenclature_id"], ""),
        doctor_id=r["doctor_id"], doctor=doctors.get(r["doctor_id"], ""), quantity=r["quantity"],
        amount=r["amount"], vat=r["vat"]) for r in rows), key=lambda s: (-s.amount, s.nomenclature, s.doctor))
    zero = Decimal("0.00")
    return Sales(start=start, end=end, lines=lines, quantity=sum((s.quantity for s in lines), Decimal("0.000")),
                 amount=sum((s.amount for s in lines), zero), vat=sum((s.vat for s in lines), zero))


async def _generated(conn: asyncpg.Connection, client_id: int, limit: int,
                     tz: dt.tzinfo) -> list[GeneratedDocument]:
    rows = await conn.fetch(
        "SELECT id, document_kind, document_id, document_number, document_date, form, document_type, file_name,"
        " generated_at, sent_to, sent_at FROM generated_documents WHERE client_id = $1"
        " ORDER BY generated_at DESC, id DESC LIMIT $2", client_id, limit)
    return [
        GeneratedDocument(**dict(r) | {"generated_at": r["generated_at"].astimezone(tz),
                                       "sent_at": r["sent_at"].astimezone(tz) if r["sent_at"] else None})
        for r in rows]
