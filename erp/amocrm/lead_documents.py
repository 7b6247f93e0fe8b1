"""«Документы» in the lead card: the lead's Requests, renderings and invoices, «Выставить счёт» and
«Отправить клиенту», for the widget (the lead comes from the lead token, :mod:`erp.amocrm.lead_links`).

A lead's documents are its Requests (``amocrm_lead_id``), its invoices (``amocrm_lead_id``, which an
invoice based on a Request takes from it) and the «Оказание услуг» based on either. Anything else is
"not found" to the widget, whatever its id.

An invoice is made for the lead's client from services picked in the nomenclature, or on the basis of
one of the lead's Requests. The client is the lead's last Request's (posted first); a lead with no
Request takes its main contact's, read from amoCRM and found or created exactly as booking does
(:func:`erp.amocrm.contacts.lead_contact`, :func:`~erp.amocrm.contacts.linked_client`: one client per
contact however many invoices and bookings run at once), with the client's organization (else the
first) and its default bank account. amoCRM failing then refuses the invoice (502
``amocrm_contact_unavailable``, 503 ``amocrm_busy``) and nothing is written; a lead without a contact
is a 409 ``lead_client_unknown`` asking to attach one. The invoice is posted and printed in the same
transaction, so a refusal (an empty invoice, no bank account to print) leaves nothing behind. Every
PDF kept in the generated documents registry for a lead becomes a note in the lead with its link (a
trigger of the amoCRM app enqueues it, :func:`erp.amocrm.deliver` writes the link), whichever path
printed it: here, the stage actions, or the ERP's own «Печать» and «Отправить клиенту».
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from erp.amocrm import contacts, lead_links
from erp.amocrm.contacts import Person
from erp.amocrm.outbox import people_number
from erp.app.settings import Settings
from erp.platform import audit
from erp.platform.db import retried
from erp.platform.document_store import load_many
from erp.platform.errors import Conflict, ErpError, NotFound, ValidationError
from erp.platform.posting import Engine

FORMS = {"requests": "contract", "service-renderings": "act", "invoices": "invoice"}
INVOICE_STATUS = {"unpaid": "Не оплачен", "partially_paid": "Оплачен частично", "paid": "Оплачен"}
MAX_LINES = 50
MAX_QUANTITY = Decimal(1_000_000)
REFUSED = "счёт не выставлен"  # what amoCRM failing refused

# The lead's documents, one statement: its Requests, its invoices, and the renderings based on either.
LEAD_DOCUMENTS = """
WITH requests AS (
    SELECT r.id, r.number, r.date, r.posted, r.deletion_mark, r.starts_at, v.name AS visit_status,
           (SELECT coalesce(sum(l.quantity * l.price), 0) FROM doc_requests_lines l WHERE l.document_id = r.id)
               AS amount
    FROM doc_requests r LEFT JOIN cat_visit_statuses v ON v.id = r.visit_status_id
    WHERE r.amocrm_lead_id = $1),
invoices AS (SELECT id, number, date, posted, deletion_mark, amount_total AS amount FROM doc_invoices
             WHERE amocrm_lead_id = $1)
SELECT 'requests' AS kind, id, number, date, posted, deletion_mark, amount, starts_at, visit_status FROM requests
UNION ALL
SELECT 'invoices', id, number, date, posted, deletion_mark, amount, NULL, NULL FROM invoices
UNION ALL
SELECT 'service-renderings', s.id, s.number, s.date, s.posted, s.deletion_mark, s.amount_total, NULL, NULL
FROM doc_service_renderings s
WHERE (s.based_on_kind = 'requests' AND s.based_on_id IN (SELECT id FROM requests))
   OR (s.based_on_kind = 'invoices' AND s.based_on_id IN (SELECT id FROM invoices))
ORDER BY date, id
"""


def _status(row: asyncpg.Record, due: dict[int, dict]) -> str:
    if row["deletion_mark"]:
        return "Помечен на удаление"
    if row["kind"] == "requests":
        return (row["visit_status"] or "Записан") if row["posted"] else "Не проведена (запись отменена)"
    if not row["posted"]:
        return "Не проведён" if row["kind"] == "invoices" else "Не проведено"
    if row["kind"] == "invoices":
        return INVOICE_STATUS.get(due.get(row["id"], {}).get("status", ""), "Не оплачен")
    return "Проведено"


async def documents(conn: asyncpg.Connection, engine: Engine, settings: Settings, origin: str,
                    lead_id: int) -> list[dict[str, Any]]:
    """The lead's documents, oldest first: kind, number, date, amount, status and a PDF link."""
    rows = await conn.fetch(LEAD_DOCUMENTS, lead_id)
    kind = engine.registry.documents["invoices"]
    invoices = await load_many(conn, kind, [r["id"] for r in rows if r["kind"] == "invoices"])
    due = dict(await engine.derive(conn, kind, invoices)) if invoices else {}
    out = []
    for row in rows:
        starts = row["starts_at"].astimezone(settings.tz).strftime("%d.%m.%Y %H:%M") if row["starts_at"] else None
        out.append({
            "kind": row["kind"], "title": engine.registry.documents[row["kind"]].title, "id": row["id"],
            "number": people_number(row["number"]), "date": row["date"].astimezone(settings.tz).date(),
            "amount": Decimal(row["amount"] or 0).quantize(Decimal("0.01")), "status": _status(row, due),
            "posted": row["posted"], "appointment": starts,
            "pdf_url": lead_links.document_link(settings.secret_key, origin, lead_id, row["kind"], row["id"])})
    return out


async def belongs(conn: asyncpg.Connection, lead_id: int, kind: str, doc_id: int) -> bool:
    """Whether ``kind``/``doc_id`` is one of the lead's documents."""
    return any(r["kind"] == kind and r["id"] == doc_id for r in await conn.fetch(LEAD_DOCUMENTS, lead_id))


# -- «Выставить счёт» -------------------------------------------------------------------------------


def _id(value: Any) -> bool:
    return type(value) is int and 0 < value < 2**63


def _lines(data: dict[str, Any]) -> tuple[int | None, list[tuple[int, Decimal]]]:
    """``request_id`` or the chosen ``lines`` (nomenclature and quantity), checked."""
    problems: dict[str, str] = {}
    unknown = set(data) - {"request_id", "lines"}
    problems.update({key: "неизвестное поле" for key in sorted(unknown)})
    request_id, raw = data.get("request_id"), data.get("lines")
    chosen: list[tuple[int, Decimal]] = []
    if request_id is not None and raw:
        problems["lines"] = "либо заявка, либо услуги — не то и другое вместе"
    elif request_id is not None:
        if not _id(request_id):
            problems["request_id"] = "выберите заявку сделки из списка"
    elif not isinstance(raw, list) or not raw:
        problems["lines"] = "выберите хотя бы одну услугу или заявку, на основании которой выставить счёт"
    elif len(raw) > MAX_LINES:
        problems["lines"] = f"не больше {MAX_LINES} строк"
    else:
        for i, line in enumerate(raw):
            item = line.get("nomenclature_id") if isinstance(line, dict) else None
            try:
                quantity = Decimal(str(line.get("quantity", "1"))) if isinstance(line, dict) else Decimal(0)
            except InvalidOperation:
                quantity = Decimal(0)
            if not _id(item) or set(line) - {"nomenclature_id", "quantity"}:
                problems[f"lines.{i}"] = "выберите услугу из найденных"
            elif not (quantity.is_finite() and 0 < quantity <= MAX_QUANTITY) or quantity != quantity.quantize(
                    Decimal("0.001")):
                problems[f"lines.{i}.quantity"] = "количество — положительное число, до трёх знаков после запятой"
            else:
                chosen.append((item, quantity))
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Счёт не выставлен — {summary}", details={"fields": problems})
    return request_id, chosen


async def _lead_request(conn: asyncpg.Connection, lead_id: int, request_id: int | None) -> asyncpg.Record | None:
    """The Request named (404 unless the lead's), else the lead's latest one (posted first), else ``None``."""
    if request_id is not None:
        row = await conn.fetchrow("SELECT id, number, client_id FROM doc_requests WHERE id = $1"
                                  " AND amocrm_lead_id = $2 AND NOT deletion_mark", request_id, lead_id)
        if row is None:
            raise NotFound(f"Заявка с id {request_id} не найдена в этой сделке", code="document_not_found")
        return row
    return await conn.fetchrow("SELECT id, number, client_id FROM doc_requests WHERE amocrm_lead_id = $1"
                               " AND NOT deletion_mark ORDER BY posted DESC, id DESC LIMIT 1", lead_id)


async def _contact_header(conn: asyncpg.Connection, engine: Engine, contact: tuple[int, Person] | None
                          ) -> dict[str, Any]:
    """The invoice's client (the lead's main contact's, found or created as booking does) and organization
    (the client's, else the first) with its default bank account, for a lead without a Request."""
    if contact is None:
        raise Conflict("Клиент счёта неизвестен: у сделки нет ни записи к врачу, ни контакта. Привяжите к сделке "
                       "контакт в amoCRM (или запишите клиента к врачу) и выставьте счёт снова",
                       code="lead_client_unknown")
    client_id = await contacts.linked_client(conn, engine, *contact)
    organization = await conn.fetchval(
        "SELECT o.id FROM cat_organizations o LEFT JOIN cat_clients c ON c.id = $1 AND c.organization_id = o.id"
        " WHERE NOT o.deletion_mark ORDER BY c.id IS NULL, o.id LIMIT 1", client_id)
    account = await conn.fetchval("SELECT id FROM cat_bank_accounts WHERE organization_id = $1 AND NOT deletion_mark"
                                  " ORDER BY is_default DESC, id LIMIT 1", organization)
    return {"client_id": client_id, "organization_id": organization, "bank_account_id": account}


async def _services(conn: asyncpg.Connection, chosen: list[tuple[int, Decimal]]) -> list[dict[str, Any]]:
    ids = sorted({item for item, _ in chosen})
    found = {r["id"]: r for r in await conn.fetch(
        "SELECT id, name, price FROM cat_nomenclature WHERE id = ANY($1::bigint[]) AND NOT is_group"
        " AND NOT deletion_mark", ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError.field("lines", f"номенклатура с id {missing[0]} не найдена или помечена на удаление")
    return [{"nomenclature_id": item, "quantity": quantity, "price": found[item]["price"] or Decimal(0)}
            for item, quantity in chosen]


async def create_invoice(conn: asyncpg.Connection, engine: Engine, settings: Settings, lead_id: int,
                         data: dict[str, Any]) -> dict[str, Any]:
    """Post an invoice for the lead's client and keep its PDF (which becomes a note in the lead)."""
    from erp.printing import service as printing

    request_id, chosen = _lines(data)
    kind = engine.registry.documents["invoices"]
    now = dt.datetime.now(settings.tz).strftime("%Y-%m-%dT%H:%M:%S")

    contact = None
    if request_id is None and await _lead_request(conn, lead_id, None) is None:
        # no Request to take the client from: the lead's main contact, read before the transaction
        contact = await contacts.lead_contact(conn, settings, lead_id, refused=REFUSED, without_when_paused=False)

    async def make():
        async with conn.transaction():
            request = await _lead_request(conn, lead_id, request_id)
            if request is None:  # the lead's client from its contact, with the chosen services
                lines = await _services(conn, chosen)
                filled = {**await _contact_header(conn, engine, contact), "lines": lines}
            else:
                filled = await engine.fill_based_on(conn, kind, "requests", request["id"])
            if request_id is not None:
                made = await conn.fetchval("SELECT number FROM doc_invoices WHERE based_on_kind = 'requests'"
                                           " AND based_on_id = $1 AND NOT deletion_mark ORDER BY id LIMIT 1",
                                           request["id"])
                if made is not None:
                    raise Conflict(f"По заявке № {people_number(request['number'])} уже выставлен счёт "
                                   f"№ {people_number(made)}", code="invoice_exists")
            elif request is not None:  # the lead's client and the Request's organization, with the chosen services
                filled.pop("based_on")
                filled["lines"] = await _services(conn, chosen)
            doc = await engine.create(conn, kind, {**filled, "date": now, "amocrm_lead_id": lead_id,
                                                   "comment": f"Из amoCRM, сделка {lead_id}"}, post=True)
            printed = await printing.render_pdf(conn, "invoices", doc.id, FORMS["invoices"], tz=settings.tz,
                                                config=engine.registry)
            return doc, printed

    with audit.acting_as(audit.AMOCRM):
        doc, printed = await retried(make)
    return {"id": doc.id, "number": people_number(doc.number), "amount": doc.header["amount_total"],
            "file_name": printed.file_name}


async def send_invoice(conn: asyncpg.Connection, engine: Engine, settings: Settings, lead_id: int,
                       invoice_id: int) -> dict[str, Any]:
    """Email the lead's invoice to its client; the PDF kept with the address becomes a note in the lead."""
    from erp.printing import mail

    if not await belongs(conn, lead_id, "invoices", invoice_id):
        raise NotFound(f"Счёт с id {invoice_id} не найден в этой сделке", code="document_not_found")
    posted = await conn.fetchval("SELECT posted AND NOT deletion_mark FROM doc_invoices WHERE id = $1", invoice_id)
    if not posted:
        raise Conflict("Счёт не проведён: отправить клиенту можно только проведённый счёт", code="invoice_not_posted")
    with audit.acting_as(audit.AMOCRM):
        sent = await mail.send_to_client(conn, "invoices", invoice_id, FORMS["invoices"],
                                         secret_key=settings.secret_key, tz=settings.tz, config=engine.registry)
    return {"to": sent["to"], "file_name": sent["file_name"]}


# -- the PDF behind a link --------------------------------------------------------------------------


async def file(conn: asyncpg.Connection, engine: Engine, settings: Settings, token: str | None) -> tuple[str, bytes]:
    """The file name and the PDF a signed link names: a kept PDF of the registry, or the document printed now."""
    from erp.printing import service as printing

    claims = lead_links.file_claims(settings.secret_key, token)
    lead_id = claims.get("lead_id")
    if "generated_id" in claims:
        row = await conn.fetchrow("SELECT file_name, content, facsimile, amocrm_lead_id FROM generated_documents"
                                  " WHERE id = $1", claims["generated_id"])
        if row is None or row["amocrm_lead_id"] != lead_id or row["facsimile"]:
            raise NotFound("PDF по этой ссылке больше нет", code="generated_not_found")
        return row["file_name"], row["content"]
    kind, doc_id = claims["kind"], claims["id"]
    if kind not in FORMS or type(lead_id) is not int or not await belongs(conn, lead_id, kind, doc_id):
        raise NotFound("Документ по этой ссылке больше не относится к сделке", code="document_not_found")
    try:
        printed = await printing.render_pdf(conn, kind, doc_id, FORMS[kind], tz=settings.tz, config=engine.registry,
                                            store=False)
    except ErpError as exc:
        exc.message = f"PDF не сформирован: {exc.message}"
        raise
    return printed.file_name, printed.content
