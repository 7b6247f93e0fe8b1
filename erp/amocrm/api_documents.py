"""``/api/amocrm/widget/…``: the widget's «Документы» (a lead's documents, «Выставить счёт», «Отправить
клиенту») and the signed PDF links. Thin handlers over :mod:`erp.amocrm.lead_documents`.

Each «Документы» route wants amoCRM's disposable token (``X-Auth-Token``, as every widget route) and
the lead token the widget got for its card (``X-Lead-Token``, :mod:`erp.amocrm.lead_links`); the PDF
link carries its own signature instead, so a browser tab or a note in amoCRM opens it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import asyncpg
import msgspec
from litestar import Request, Response, get, post

from erp.amocrm import lead_documents, lead_links, widget
from erp.amocrm.connection import Connection
from erp.api.schemas import Id
from erp.platform.errors import ErpError, ValidationError


class LeadToken(msgspec.Struct):
    token: str
    lead_id: int
    expires_in: int


class LeadDocument(msgspec.Struct):
    kind: str  # requests, service-renderings, invoices
    title: str
    id: int
    number: str
    date: dt.date
    amount: Decimal
    status: str
    posted: bool
    appointment: str | None  # a Request's visit, «22.12.2021 09:05»
    pdf_url: str  # signed, works without a session for 30 minutes


class LeadDocuments(msgspec.Struct):
    lead_id: int
    documents: list[LeadDocument]


class MadeInvoice(msgspec.Struct):
    id: int
    number: str
    amount: Decimal
    file_name: str


class SentInvoice(msgspec.Struct):
    to: str
    file_name: str


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = msgspec.json.decode(raw or b"{}")
    except msgspec.DecodeError:
        raise ErpError("Тело запроса — не корректный JSON", code="malformed_json", status=400) from None
    if not isinstance(data, dict):
        raise ValidationError.field("body", "ожидается JSON-объект")
    return data


async def _lead(conn: asyncpg.Connection, request: Request) -> tuple[Connection, int]:
    settings = request.app.state.settings
    account = await widget.authenticate(conn, settings, request.headers.get("x-auth-token"))
    return account, lead_links.lead_of(settings.secret_key, account, request.headers.get("x-lead-token"))


@post("/lead-token", status_code=200, summary="Виджет: токен сделки для вкладки «Документы» (30 минут)")
async def widget_lead_token(request: Request) -> LeadToken:
    settings = request.app.state.settings
    async with request.app.state.pool.acquire() as conn:
        account = await widget.authenticate(conn, settings, request.headers.get("x-auth-token"))
    data = _json(await request.body())
    lead_id = data.get("lead_id")
    if type(lead_id) is not int or not 0 < lead_id < 2**63 or set(data) - {"lead_id"}:
        raise ValidationError.field("lead_id", "номер сделки — положительное целое число")
    return LeadToken(lead_links.lead_token(settings.secret_key, account, lead_id), lead_id,
                     lead_links.LEAD_TOKEN_SECONDS)


@get("/documents", summary="Виджет: заявки, оказания услуг и счета сделки — номер, сумма, статус, PDF")
async def widget_documents(request: Request) -> LeadDocuments:
    state = request.app.state
    async with state.pool.acquire() as conn:
        account, lead_id = await _lead(conn, request)
        found = await lead_documents.documents(conn, state.engine, state.settings, account.our_origin, lead_id)
    return LeadDocuments(lead_id, msgspec.convert(found, list[LeadDocument]))


@post("/invoices", status_code=201, summary="Виджет: выставить счёт клиенту сделки (услуги или заявка сделки)")
async def widget_invoice(request: Request) -> MadeInvoice:
    state = request.app.state
    async with state.pool.acquire() as conn:
        _, lead_id = await _lead(conn, request)
        data = _json(await request.body())
        return MadeInvoice(**await lead_documents.create_invoice(conn, state.engine, state.settings, lead_id, data))


@post("/invoices/{invoice_id:int}/send", status_code=200, summary="Виджет: отправить счёт сделки клиенту")
async def widget_send_invoice(request: Request, invoice_id: Id) -> SentInvoice:
    state = request.app.state
    async with state.pool.acquire() as conn:
        _, lead_id = await _lead(conn, request)
        return SentInvoice(**await lead_documents.send_invoice(conn, state.engine, state.settings, lead_id,
                                                               invoice_id))


@get("/file", summary="PDF по подписанной ссылке из виджета или примечания сделки", security=[],
     opt={"media_types": {"200": ("application/pdf",)}})
async def widget_file(request: Request, t: str = "") -> Response:
    state = request.app.state
    async with state.pool.acquire() as conn:
        name, content = await lead_documents.file(conn, state.engine, state.settings, t)
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}", "Cache-Control": "private, no-store"})


ROUTES = [widget_lead_token, widget_documents, widget_invoice, widget_send_invoice, widget_file]
PATHS = ["/lead-token", "/documents", "/invoices", "/invoices/{invoice_id:int}/send", "/file"]
