"""Исходящие события: the transactional outbox towards amoCRM.

Hooks subscribed to the posting engine write a row into ``amocrm_events`` inside the very
transaction that posts (or unposts) the document, and ``NOTIFY`` the deliverer, which wakes at
commit. So an event exists exactly when its posting committed: nothing is lost when a process dies,
and nothing is sent for a posting that rolled back.

Events carry what to do, not the amount: the deliverer computes the lead's total when it sends.

* ``budget``: a ServiceRendering based on a Request with a lead id was posted, re-posted or
  unposted (or a Request with posted renderings changed its lead): send the lead's current total.
* ``fields``: the widget booked an appointment: set "Дата записи к врачу", "Врач", "Время записи".
* ``note``: a text note on the lead (the booked appointment, an invoice payment).
* ``won``: the lead's invoice is fully paid and a posted ServiceRendering goes with it: move the
  lead to 142 ("Успешно реализовано") in its own pipeline.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from erp.platform.document import Doc, DocumentKind
from erp.platform.hook_sql import HookStatement, in_statement

CHANNEL = "amocrm_outbox"
LEAD_UPDATES = ("budget", "fields", "won")
KINDS = (*LEAD_UPDATES, "note")

_INVOICE_DUE = "LEFT JOIN reg_invoice_payments_balance b ON b.invoice_id = i.id"


async def enqueue(conn: asyncpg.Connection, kind: str, lead_id: int, *, payload: dict[str, Any] | None = None,
                  document: tuple[str, int] | None = None) -> int:
    """Add an outgoing event (inside the caller's transaction) and wake the deliverer at commit."""
    event_id = await conn.fetchval(
        "INSERT INTO amocrm_events (direction, kind, lead_id, payload, state, document_kind, document_id)"
        " VALUES ('out', $1, $2, $3, 'pending', $4, $5) RETURNING id",
        kind, lead_id, payload or {}, document[0] if document else None, document[1] if document else None)
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return event_id


def people_number(number: str) -> str:
    """A document number as people say it: "00000000219" and "К-000000219" are "219"."""
    digits = ""
    for ch in reversed(number):
        if not ch.isdigit():
            break
        digits = ch + digits
    return str(int(digits)) if digits else number


def money_text(value: Decimal) -> str:
    """``1 000,50``: Russian grouping and decimal comma."""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


# -- hooks ----------------------------------------------------------------------------------------


_EVENT = "INSERT INTO amocrm_events (direction, kind, lead_id, payload, state, document_kind, document_id)"
_WON = ("SELECT i.id, i.amocrm_lead_id FROM doc_invoices i " + _INVOICE_DUE + " WHERE i.posted"
        " AND i.amocrm_lead_id IS NOT NULL AND i.amount_total > 0 AND coalesce(b.amount, 0) <= 0"
        " AND ((i.based_on_kind = 'service-renderings' AND i.based_on_id = {id})"
        " OR ({base_kind} = 'invoices' AND i.id = {base_id}))")


def _rendering_posted_at_once(kind: DocumentKind, new: Doc) -> HookStatement:
    """:func:`on_service_rendering` for a new rendering written and posted in one statement: the
    same events (budget first, then won) and one wake-up of the deliverer when there are any."""
    base_kind, base_id = new.based_on or ("", 0)
    request = base_id if base_kind == "requests" else None
    won = _WON.format(id="doc.id", base_kind="$3", base_id="$4")
    return HookStatement(
        f"outbox_budget AS ({_EVENT} SELECT 'out', 'budget', r.amocrm_lead_id, $1::jsonb, 'pending', $2, doc.id"
        " FROM doc, doc_requests r WHERE r.id = $5 AND coalesce(r.amocrm_lead_id, 0) <> 0 RETURNING id),"
        f" outbox_won AS ({_EVENT} SELECT 'out', 'won', w.amocrm_lead_id, jsonb_build_object('invoice_id', w.id),"
        f" 'pending', $2, doc.id FROM doc, (SELECT count(*) FROM outbox_budget) AS budget_first, LATERAL ({won}) AS w"
        " ORDER BY w.id RETURNING id)",
        ({"action": "post"}, kind.name, base_kind, base_id, request),
        ("(SELECT count(pg_notify('" + CHANNEL + "', '')) FROM (SELECT 1 FROM outbox_budget UNION ALL"
         " SELECT 1 FROM outbox_won LIMIT 1) AS e)",))


@in_statement(_rendering_posted_at_once)
async def on_service_rendering(conn: asyncpg.Connection, kind: DocumentKind, old: Doc | None, new: Doc,
                               action: str) -> None:
    """Оказание услуг posted, re-posted or unposted: the lead's total changed."""
    if action not in ("post", "unpost"):
        return
    if new.based_on and new.based_on[0] == "requests":
        lead_id = await conn.fetchval("SELECT amocrm_lead_id FROM doc_requests WHERE id = $1", new.based_on[1])
        if lead_id:
            await enqueue(conn, "budget", lead_id, payload={"action": action}, document=(kind.name, new.id))
    if action == "post":
        base_kind, base_id = new.based_on or ("", 0)
        for row in await conn.fetch(_WON.format(id="$1", base_kind="$2", base_id="$3"), new.id, base_kind, base_id):
            await enqueue(conn, "won", row["amocrm_lead_id"], payload={"invoice_id": row["id"]},
                          document=(kind.name, new.id))


async def on_request(conn: asyncpg.Connection, kind: DocumentKind, old: Doc | None, new: Doc, action: str) -> None:
    """A Request moved to another lead: both leads' totals changed if it has posted renderings."""
    if action != "write" or old is None:
        return
    before, after = old.header.get("amocrm_lead_id"), new.header.get("amocrm_lead_id")
    if before == after or not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM doc_service_renderings WHERE based_on_kind = 'requests'"
            " AND based_on_id = $1 AND posted)", new.id):
        return
    for lead_id in sorted({before, after} - {None}):
        await enqueue(conn, "budget", lead_id, payload={"action": "lead_changed"}, document=(kind.name, new.id))


async def on_payment(conn: asyncpg.Connection, kind: DocumentKind, old: Doc | None, new: Doc, action: str) -> None:
    """Поступление оплаты for an invoice of a lead: a note with the invoice's state, and 142 when the
    invoice is paid in full and a posted ServiceRendering goes with it."""
    invoice_id = new.header.get("invoice_id")
    if action != "post" or not invoice_id:
        return
    inv = await conn.fetchrow(
        f"SELECT i.id, i.number, i.amocrm_lead_id, i.amount_total, i.based_on_kind, i.based_on_id,"
        f" coalesce(b.amount, 0) AS due FROM doc_invoices i {_INVOICE_DUE} WHERE i.id = $1 AND i.posted", invoice_id)
    if inv is None or not inv["amocrm_lead_id"] or not inv["amount_total"]:
        return
    number, total, due = people_number(inv["number"]), inv["amount_total"], inv["due"]
    if due <= 0:
        text = f"Счёт № {number} оплачен полностью"
    else:
        text = f"Счёт № {number} оплачен частично: {money_text(total - due)} из {money_text(total)}"
    lead_id, document = inv["amocrm_lead_id"], (kind.name, new.id)
    await enqueue(conn, "note", lead_id, payload={"text": text}, document=document)
    if due <= 0 and await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM doc_service_renderings s WHERE s.posted AND ("
            " (s.id = $2 AND $3 = 'service-renderings') OR (s.based_on_kind = 'invoices' AND s.based_on_id = $1)))",
            inv["id"], inv["based_on_id"] or 0, inv["based_on_kind"] or ""):
        await enqueue(conn, "won", lead_id, payload={"invoice_id": inv["id"]}, document=document)


async def enqueue_appointment(conn: asyncpg.Connection, lead_id: int, request: Doc, *, doctor: str, day: str,
                              time: str) -> None:
    """The widget booked an appointment: the lead's appointment fields and a note."""
    document = ("requests", request.id)
    await enqueue(conn, "fields", lead_id, document=document,
                  payload={"values": {"Дата записи к врачу": day, "Врач": doctor, "Время записи": time}})
    day_text = f"{day[8:10]}.{day[5:7]}.{day[0:4]}"
    await enqueue(conn, "note", lead_id, document=document, payload={
        "text": f"Создана заявка № {people_number(request.number)}: {doctor}, {day_text} {time}"})


def subscribe(registry) -> None:
    registry.subscribe("service-renderings", on_service_rendering)
    registry.subscribe("requests", on_request)
    registry.subscribe("payments", on_payment)
