"""Исходящие события: the transactional outbox towards amoCRM.

Subscribers of the posting engine add a row to ``amocrm_events`` to the very statement that
posts (or unposts) the document, and ``NOTIFY`` the deliverer, which wakes at commit. So an event
exists exactly when its posting committed: nothing is lost when a process dies,
and nothing is sent for a posting that rolled back.

Events carry what to do, not the amount: the deliverer computes the lead's total when it sends.

* ``budget``: a ServiceRendering based on a Request with a lead id was posted, re-posted or
  unposted (or a Request with posted renderings changed its lead, or a «Возврат от клиента» of
  such a rendering was posted, re-posted or unposted): send the lead's current total, rendered
  less returned.
* ``fields``: the widget booked an appointment: set "Дата записи к врачу", "Врач", "Время записи".
* ``note``: a text note on the lead (the booked appointment, an invoice payment).
* ``won``: the lead's invoice is fully paid and a posted ServiceRendering goes with it: move the
  lead to 142 ("Успешно реализовано") in its own pipeline.
* ``contact``: a client linked to an amoCRM contact changed its name, phone or email: send them to the
  contact (``contact_id``, not ``lead_id``). A trigger on ``cat_clients`` writes it, whatever changed
  the client (:mod:`erp.amocrm.contacts`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from erp.platform.document import Doc
from erp.platform.posting.inputs import Balances, Documents, Later, Lookup
from erp.platform.posting.plan import DOC_ID, Notify, Row
from erp.platform.posting.subscribers import Subscriber

CHANNEL = "amocrm_outbox"
LEAD_UPDATES = ("budget", "fields", "won")
CONTACT = "contact"
KINDS = (*LEAD_UPDATES, "note", CONTACT)


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


# -- subscribers ----------------------------------------------------------------------------------


def _event(kind: str, lead_id: int, payload: dict[str, Any], change) -> Row:
    return Row("amocrm_events", {"direction": "out", "kind": kind, "lead_id": lead_id, "payload": payload,
                                 "state": "pending", "document_kind": change.kind.name, "document_id": DOC_ID},
               types={"direction": "text", "kind": "text", "lead_id": "bigint", "payload": "jsonb",
                      "state": "text", "document_kind": "text"})


_INVOICE_FIELDS = ("amocrm_lead_id", "amount_total", "based_on_kind", "based_on_id")
_DUE = ("invoice-payments", "invoice_id")


def _paid_invoices(found: list[dict]) -> list[dict]:
    """The posted invoices of a lead paid in full."""
    return [i for i in found if i["posted"] and i["amocrm_lead_id"] and (i["amount_total"] or 0) > 0
            and i["balance"] <= 0]


def _rendering_action(change) -> str | None:
    if change.operation in ("mark", "unmark"):
        return None
    if change.new.posted:
        return "post"
    if change.old is not None and change.old.posted:
        return "unpost"
    return None


def _rendering_needs(kind, operation, old: Doc | None, new: Doc) -> dict:
    if operation in ("mark", "unmark") or not (new.posted or (old is not None and old.posted)):
        return {}
    base_kind, base_id = new.based_on or ("", 0)
    needs: dict[str, Any] = {}
    if base_kind == "requests":
        needs["request"] = Lookup("requests", base_id, ("amocrm_lead_id",))
    if new.posted:
        needs["invoices"] = Documents("invoices", {"based_on_kind": kind.name, "based_on_id": new.id or 0},
                                      _INVOICE_FIELDS, posted=True, balance=_DUE)
        if base_kind == "invoices":
            needs["base"] = Documents("invoices", {"id": base_id}, _INVOICE_FIELDS, posted=True, balance=_DUE)
    return needs


def _rendering_rows(change) -> list:
    """Оказание услуг posted, re-posted or unposted: the lead's total changed (``budget``); posted with
    its invoice paid in full: the lead is won."""
    action = _rendering_action(change)
    if action is None:
        return []
    rows = []
    request = change.inputs.get("request")
    if request and request["amocrm_lead_id"]:
        rows.append(_event("budget", request["amocrm_lead_id"], {"action": action}, change))
    if action == "post":
        paid = _paid_invoices([*change.inputs.get("invoices", []), *change.inputs.get("base", [])])
        rows += [_event("won", i["amocrm_lead_id"], {"invoice_id": i["id"]}, change)
                 for i in sorted({i["id"]: i for i in paid}.values(), key=lambda i: i["id"])]
    return [*rows, Notify(CHANNEL)] if rows else []


def _return_needs(kind, operation, old: Doc | None, new: Doc) -> dict:
    if operation in ("mark", "unmark") or not (new.posted or (old is not None and old.posted)):
        return {}
    base_kind, base_id = new.based_on or ("", 0)
    if base_kind != "service-renderings":
        return {}

    def request(found) -> dict:
        rendering = found.get("rendering")
        if rendering is None or rendering["based_on_kind"] != "requests":
            return {}
        return {"request": Lookup("requests", rendering["based_on_id"], ("amocrm_lead_id",))}

    return {"rendering": Lookup("service-renderings", base_id, ("based_on_kind", "based_on_id")),
            "later": Later(request)}


def _return_rows(change) -> list:
    """Возврат от клиента posted, re-posted or unposted: the lead of its rendering's Request has a new total."""
    action = _rendering_action(change)
    request = (change.inputs.get("later") or {}).get("request")
    if action is None or not request or not request["amocrm_lead_id"]:
        return []
    return [_event("budget", request["amocrm_lead_id"], {"action": f"return_{action}"}, change), Notify(CHANNEL)]


def _request_needs(kind, operation, old: Doc | None, new: Doc) -> dict:
    if operation != "write" or old is None or old.header.get("amocrm_lead_id") == new.header.get("amocrm_lead_id"):
        return {}
    return {"renderings": Documents("service-renderings", {"based_on_kind": "requests", "based_on_id": new.id},
                                    posted=True)}


def _request_rows(change) -> list:
    """A Request moved to another lead: both leads' totals changed if it has posted renderings."""
    if not change.inputs.get("renderings"):
        return []
    leads = sorted({change.old.header.get("amocrm_lead_id"), change.new.header.get("amocrm_lead_id")} - {None})
    rows = [_event("budget", lead, {"action": "lead_changed"}, change) for lead in leads]
    return [*rows, Notify(CHANNEL)] if rows else []


def _payment_needs(kind, operation, old: Doc | None, new: Doc) -> dict:
    invoice_id = new.header.get("invoice_id")
    if not new.posted or operation in ("mark", "unmark", "unpost") or not invoice_id:
        return {}

    def renderings(found) -> dict:
        invoice = found.get("invoice")
        if invoice is None or invoice["based_on_kind"] != "service-renderings":
            return {}
        return {"base": Lookup("service-renderings", invoice["based_on_id"], ("posted",))}

    return {"invoice": Lookup("invoices", invoice_id, ("number", "posted", *_INVOICE_FIELDS)),
            "due": Balances(_DUE[0], ((invoice_id,),)),
            "renderings": Documents("service-renderings", {"based_on_kind": "invoices", "based_on_id": invoice_id},
                                    posted=True),
            "later": Later(renderings)}


def _payment_rows(change) -> list:
    """Поступление оплаты for an invoice of a lead: a note with the invoice's state, and 142 when the
    invoice is paid in full and a posted ServiceRendering goes with it."""
    invoice = change.inputs.get("invoice")
    if invoice is None or not invoice["posted"] or not invoice["amocrm_lead_id"] or not invoice["amount_total"]:
        return []
    invoice_id = change.new.header["invoice_id"]
    before = change.inputs["due"].get((invoice_id,), {}).get("amount", Decimal(0))
    due = before - change.new.header["amount"]  # what this payment leaves due
    number, total = people_number(invoice["number"]), invoice["amount_total"]
    if due <= 0:
        text = f"Счёт № {number} оплачен полностью"
    else:
        text = f"Счёт № {number} оплачен частично: {money_text(total - due)} из {money_text(total)}"
    lead_id = invoice["amocrm_lead_id"]
    rows = [_event("note", lead_id, {"text": text}, change)]
    base = change.inputs["later"].get("base")
    if due <= 0 and (change.inputs["renderings"] or (base and base["posted"])):
        rows.append(_event("won", lead_id, {"invoice_id": invoice_id}, change))
    return [*rows, Notify(CHANNEL)]


on_service_rendering = Subscriber("outbox", _rendering_rows, _rendering_needs)
on_request = Subscriber("outbox", _request_rows, _request_needs)
on_payment = Subscriber("outbox", _payment_rows, _payment_needs)
on_client_return = Subscriber("outbox", _return_rows, _return_needs)


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
    registry.subscribe("client-returns", on_client_return)
