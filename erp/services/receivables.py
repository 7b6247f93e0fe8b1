"""Дебиторская задолженность по срокам (receivables ageing): what clients still owe on posted invoices
on a date, by how long ago each invoice fell due.

An invoice is due on its «Оплатить до»; one without it, on its date plus the configured payment term
(``ERP_INVOICE_PAYMENT_DAYS``). On the report's day an invoice is ``day − due`` days past due and
overdue when that is more than zero: paid on its «Оплатить до» is paid in time. The amounts go into
four buckets by days past due: 0–30 (the ones not yet due count as 0), 31–60, 61–90 and more than 90.
What is still due comes from the invoice payments register at the end of the day, so a payment made
later does not count yet and a paid invoice is not listed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from erp.platform.errors import ValidationError
from erp.platform.metadata import Registry
from erp.registers.invoice_payments import invoice_payments
from erp.services.supplier_debts import _document_text, end_of

BUCKETS = ("0–30", "31–60", "61–90", "90+")
LIMITS = (30, 60, 90)  # the last day past due of each bucket but the last
ZERO = Decimal("0.00")


def bucket(days_past_due: int) -> int:
    """The bucket of an invoice ``days_past_due`` days past due (not yet due: negative, bucket 0)."""
    return next((i for i, last in enumerate(LIMITS) if days_past_due <= last), len(LIMITS))


def due_date(due: dt.date | None, date: dt.datetime, tz: ZoneInfo, term_days: int) -> dt.date:
    """«Оплатить до», or the invoice's day plus the payment term."""
    if due is not None:
        return due
    day = date.astimezone(tz).date()
    try:
        return day + dt.timedelta(days=term_days)
    except OverflowError:
        return dt.date.max


class AgedInvoice(msgspec.Struct, frozen=True):
    id: int
    number: str
    document: str
    date: dt.datetime
    due_date: dt.date
    due_date_assumed: bool  # no «Оплатить до»: the date plus the payment term
    organization_id: int
    organization: str
    client_id: int
    client: str
    amount_total: Decimal
    amount_due: Decimal
    days_past_due: int
    bucket: str
    overdue: bool


class ClientAgeing(msgspec.Struct, frozen=True):
    client_id: int
    client: str
    total: Decimal
    overdue: Decimal
    buckets: list[Decimal]  # in the order of :data:`BUCKETS`
    invoices: int
    overdue_invoices: int


class Ageing(msgspec.Struct, frozen=True):
    date: dt.date
    payment_days: int
    buckets: list[str]
    rows: list[ClientAgeing]
    total: Decimal
    overdue: Decimal
    bucket_totals: list[Decimal]


class ClientInvoices(msgspec.Struct, frozen=True):
    date: dt.date
    client_id: int
    client: str
    overdue_only: bool
    bucket: str | None
    rows: list[AgedInvoice]
    total: Decimal
    overdue: Decimal


INVOICES_SQL = """
SELECT i.id, i.number, i.date, i.due_date, i.organization_id, o.name AS organization, i.client_id,
       c.name AS client, i.amount_total
FROM doc_invoices i
JOIN cat_clients c ON c.id = i.client_id
JOIN cat_organizations o ON o.id = i.organization_id
WHERE i.id = ANY($1::bigint[]) AND i.posted AND NOT i.deletion_mark
  AND ($2::bigint IS NULL OR i.organization_id = $2) AND ($3::bigint IS NULL OR i.client_id = $3)
"""


async def aged_invoices(conn: asyncpg.Connection, registry: Registry, day: dt.date, tz: ZoneInfo, term_days: int,
                        organization_id: int | None = None, client_id: int | None = None) -> list[AgedInvoice]:
    """Every posted invoice with something still due at the end of ``day``, the oldest due first."""
    due = {r["invoice_id"]: r["amount"] for r in await invoice_payments.balance(conn, at=end_of(day, tz))
           if r["amount"] > 0}
    if not due:
        return []
    title = registry.documents["invoices"].title
    out = []
    for r in await conn.fetch(INVOICES_SQL, sorted(due), organization_id, client_id):
        until = due_date(r["due_date"], r["date"], tz, term_days)
        late = (day - until).days
        out.append(AgedInvoice(r["id"], r["number"], _document_text(title, r["number"], r["date"], tz),
                               r["date"], until, r["due_date"] is None, r["organization_id"], r["organization"],
                               r["client_id"], r["client"], r["amount_total"], due[r["id"]], late,
                               BUCKETS[bucket(late)], late > 0))
    out.sort(key=lambda i: (i.due_date, i.date, i.id))
    return out


def _client_row(invoices: list[AgedInvoice]) -> ClientAgeing:
    buckets = [ZERO] * len(BUCKETS)
    for i in invoices:
        buckets[BUCKETS.index(i.bucket)] += i.amount_due
    late = [i for i in invoices if i.overdue]
    return ClientAgeing(invoices[0].client_id, invoices[0].client, sum((i.amount_due for i in invoices), ZERO),
                        sum((i.amount_due for i in late), ZERO), buckets, len(invoices), len(late))


async def ageing(conn: asyncpg.Connection, registry: Registry, day: dt.date, tz: ZoneInfo, term_days: int,
                 organization_id: int | None = None, client_id: int | None = None) -> Ageing:
    """The ageing on ``day`` by client (by name), with the totals of each bucket."""
    by_client: dict[int, list[AgedInvoice]] = {}
    for invoice in await aged_invoices(conn, registry, day, tz, term_days, organization_id, client_id):
        by_client.setdefault(invoice.client_id, []).append(invoice)
    rows = sorted((_client_row(found) for found in by_client.values()), key=lambda r: (r.client, r.client_id))
    return Ageing(day, term_days, list(BUCKETS), rows, sum((r.total for r in rows), ZERO),
                  sum((r.overdue for r in rows), ZERO),
                  [sum((r.buckets[i] for r in rows), ZERO) for i in range(len(BUCKETS))])


async def client_invoices(conn: asyncpg.Connection, registry: Registry, day: dt.date, tz: ZoneInfo, term_days: int,
                          client_id: int, organization_id: int | None = None,
                          overdue_only: bool = False, bucket_index: int | None = None) -> ClientInvoices:
    """Расшифровка: the client's invoices behind a row, or behind one figure of it: only the overdue
    ones, or only one bucket's (its index in :data:`BUCKETS`)."""
    if bucket_index is not None and not 0 <= bucket_index < len(BUCKETS):
        raise ValidationError.field("bucket", f"номер интервала от 0 до {len(BUCKETS) - 1}")
    found = await aged_invoices(conn, registry, day, tz, term_days, organization_id, client_id)
    if overdue_only:
        found = [i for i in found if i.overdue]
    if bucket_index is not None:
        found = [i for i in found if i.bucket == BUCKETS[bucket_index]]
    name = await conn.fetchval(f'SELECT name FROM "{registry.catalogs["clients"].table}" WHERE id = $1', client_id)
    return ClientInvoices(day, client_id, name or "", overdue_only,
                          None if bucket_index is None else BUCKETS[bucket_index], found,
                          sum((i.amount_due for i in found), ZERO),
                          sum((i.amount_due for i in found if i.overdue), ZERO))
