"""REST of printing: print forms, batch print, the generated documents registry,
"Отправить клиенту" and new documents with the defaults applied.

- ``GET  /api/documents/{kind}/{id}/print/{form}`` — PDF; ``?format=html`` — preview; ``?facsimile=true``
- ``POST /api/documents/{kind}/{id}/send`` — email the PDF to the client
- ``GET  /api/documents/{kind}/new`` — a new, unsaved document with the defaults
- ``GET  /api/print/forms`` — the forms of each kind (the "Печать ▾" menu)
- ``POST /api/print/batch`` — several documents in one PDF
- ``GET  /api/generated-documents`` (filters, 25/50/100/200 per page), ``/{id}``, ``/{id}/download``

Routes are made per document kind (as the generic document REST is), so
static paths like ``/api/documents/invoices/new`` never compete with a
parameter. Handlers parse, call one service and return.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get, post
from litestar.params import JSONBody, QueryParameter

from erp.api.schemas import Id, OptionalId
from erp.api.security import ANY_USER
from erp.platform.db import in_transaction
from erp.platform.document import DocumentKind

from . import defaults, forms, mail, registry, render, service, templates_store

TAGS = ["Печать и документы"]
PDF = "application/pdf"


class DocumentRef(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    id: Annotated[int, msgspec.Meta(ge=1)]


class BatchRequest(msgspec.Struct, forbid_unknown_fields=True):
    documents: list[DocumentRef]
    form: str | None = None
    facsimile: bool = False


class SendRequest(msgspec.Struct, forbid_unknown_fields=True):
    form: str | None = None
    to: str | None = None
    facsimile: bool = False


class Sent(msgspec.Struct):
    generated_id: int
    to: str
    file_name: str


class FormOut(msgspec.Struct):
    kind: str
    name: str
    title: str
    document_type: str


class NewDocument(msgspec.Struct):
    document: dict[str, Any]
    line_defaults: dict[str, Any]


class GeneratedOut(msgspec.Struct):
    id: int
    document_kind: str
    document_id: int
    document_number: str
    document_date: dt.date | None
    amocrm_lead_id: int | None
    form: str
    document_type: str
    user_id: int | None
    user_name: str | None
    organization_id: int | None
    organization: str | None
    client_id: int | None
    posted: bool
    facsimile: bool
    file_name: str
    size_bytes: int
    sent_to: str | None
    sent_at: dt.datetime | None
    generated_at: dt.datetime
    download_url: str
    has_scan: bool = False
    scan_file_name: str | None = None
    signed_at: dt.datetime | None = None
    signed_by_name: str | None = None


class GeneratedPage(msgspec.Struct):
    items: list[GeneratedOut]
    next: str | None


def pdf_response(content: bytes, file_name: str, ids: tuple[int, ...], *, download: bool = False) -> Response:
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in ".-_") else "_" for c in file_name)
    disposition = "attachment" if download else "inline"
    headers = {"Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"}
    if ids:
        headers["X-Generated-Document-Ids"] = ",".join(map(str, ids))
    return Response(content, media_type="application/pdf", headers=headers)


def _user_id(request: Request) -> int | None:
    return getattr(request.user, "user_id", None)


def _generated_out(row: dict, tz) -> GeneratedOut:
    row = {**row, "generated_at": row["generated_at"].astimezone(tz),
           "sent_at": row["sent_at"].astimezone(tz) if row["sent_at"] else None,
           "signed_at": row["signed_at"].astimezone(tz) if row.get("signed_at") else None,
           "download_url": f"/api/generated-documents/{row['id']}/download"}
    return msgspec.convert(row, GeneratedOut, strict=False)


def print_routes(kind: DocumentKind) -> list:
    item = f"/api/documents/{kind.name}/{{doc_id:int}}"
    op = kind.name.replace("-", "_")
    tags = [f"Документ: {kind.title}"]
    names = ", ".join(f"`{f.name}` ({f.title})" for f in forms.forms_for(kind.name))

    async def print_form(request: Request, form: str, doc_id: Id,
                         format_: Annotated[Literal["pdf", "html"], QueryParameter(name="format")] = "pdf",
                         facsimile: bool = False) -> Response:
        settings = request.app.state.settings
        if format_ == "html":
            async with request.app.state.pool.acquire() as conn:
                html = await service.render_preview(conn, kind.name, doc_id, form, _user_id(request), facsimile,
                                                    tz=settings.tz, config=request.app.state.registry)
            return Response(html, media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": render.preview_policy()})
        printed = await in_transaction(request.app.state.pool, lambda conn: service.render_pdf(
            conn, kind.name, doc_id, form, _user_id(request), facsimile, tz=settings.tz,
            config=request.app.state.registry))
        return pdf_response(printed.content, printed.file_name, printed.generated_ids)

    async def send(request: Request, data: JSONBody[SendRequest], doc_id: Id) -> Sent:
        settings = request.app.state.settings
        async with request.app.state.pool.acquire() as conn:
            sent = await mail.send_to_client(conn, kind.name, doc_id, data.form, _user_id(request), data.facsimile,
                                             data.to, secret_key=settings.secret_key, tz=settings.tz,
                                             config=request.app.state.registry)
        return Sent(**sent)

    return [
        get(f"{item}/print/{{form:str}}", guards=[ANY_USER], tags=tags, summary="Печать: PDF или предпросмотр",
            description=f"Формы: {names}. `?format=html` — предварительный просмотр; `?facsimile=true` — "
                        "с факсимиле подписей и печатью. Каждый PDF сохраняется в реестре сформированных документов.",
            opt={"media_types": {"200": (PDF, "text/html")}},
            operation_id=f"print_{op}", name=f"print_{op}")(print_form),
        post(f"{item}/send", guards=[ANY_USER], tags=tags, status_code=200, summary="Отправить клиенту",
             description="PDF по эл. почте клиента (или на `to`) через SMTP из настроек.",
             operation_id=f"send_{op}", name=f"send_{op}")(send),
    ]


def new_route(kind: DocumentKind):
    async def new_document(request: Request, organization_id: OptionalId = None) -> NewDocument:
        async with request.app.state.pool.acquire() as conn:
            filled = await defaults.new_document(conn, kind, organization_id)
        return NewDocument(**filled)

    op = kind.name.replace("-", "_")
    return get(f"/api/documents/{kind.name}/new", guards=[ANY_USER], tags=[f"Документ: {kind.title}"],
               summary="Новый документ со значениями по умолчанию (не записан)",
               operation_id=f"new_{op}", name=f"new_{op}")(new_document)


@get("/api/print/forms", guards=[ANY_USER], tags=TAGS, summary="Печатные формы видов документов",
     description="Стандартные формы и шаблоны администратора (их имена — `t{id}`), как в меню «Печать ▾».")
async def list_forms(request: Request, kind: str | None = None) -> list[FormOut]:
    kinds = [kind] if kind else list(dict.fromkeys([*(f.kind for f in forms.FORMS.values()), *forms.SOURCES]))
    out = []
    async with request.app.state.pool.acquire() as conn:
        for name in kinds:
            for form_name, _title in await templates_store.menu(conn, name):
                form = await templates_store.resolve(conn, name, form_name)
                out.append(FormOut(name, form.name, form.title, form.document_type))
    return out


@post("/api/print/batch", guards=[ANY_USER], tags=TAGS, status_code=200,
      summary="Пакетная печать: несколько документов одним PDF",
      description="`form` — для всех документов; без него у каждого вида — его первая форма.",
      opt={"media_types": {"200": (PDF,)}})
async def print_batch(request: Request, data: JSONBody[BatchRequest]) -> Response:
    settings = request.app.state.settings
    printed = await in_transaction(request.app.state.pool, lambda conn: service.render_batch(
        conn, [(d.kind, d.id) for d in data.documents], data.form, _user_id(request), data.facsimile,
        tz=settings.tz, config=request.app.state.registry))
    return pdf_response(printed.content, printed.file_name, printed.generated_ids)


@get("/api/generated-documents", guards=[ANY_USER], tags=TAGS, summary="Сформированные документы",
     description="Фильтры по каждому реквизиту; период `generated_from`/`generated_to`; `signed` — подписан ли "
                 "клиентом; дни отправки `sent_from`/`sent_to`; `limit` 25/50/100/200; "
                 "следующая страница — `after` из поля `next`.")
async def list_generated(request: Request, limit: int = 25, after: str | None = None,
                         document_kind: str | None = None, document_id: OptionalId = None,
                         amocrm_lead_id: OptionalId = None, form: str | None = None,
                         document_type: str | None = None, user_id: OptionalId = None,
                         organization_id: OptionalId = None, client_id: OptionalId = None,
                         generated_from: dt.date | None = None, generated_to: dt.date | None = None,
                         signed: bool | None = None, sent_from: dt.date | None = None,
                         sent_to: dt.date | None = None) -> GeneratedPage:
    tz = request.app.state.settings.tz
    filters = {"document_kind": document_kind, "document_id": document_id, "amocrm_lead_id": amocrm_lead_id,
               "form": form, "document_type": document_type, "user_id": user_id,
               "organization_id": organization_id, "client_id": client_id}
    async with request.app.state.pool.acquire() as conn:
        rows, cursor = await registry.list_generated(conn, filters=filters, limit=limit, after=after,
                                                     generated_from=generated_from, generated_to=generated_to, tz=tz,
                                                     signed=signed, sent_from=sent_from, sent_to=sent_to)
    return GeneratedPage(items=[_generated_out(r, tz) for r in rows], next=cursor)


@get("/api/generated-documents/{generated_id:int}", guards=[ANY_USER], tags=TAGS,
     summary="Сформированный документ")
async def read_generated(request: Request, generated_id: Id) -> GeneratedOut:
    async with request.app.state.pool.acquire() as conn:
        row = await registry.generated(conn, generated_id)
    return _generated_out(row, request.app.state.settings.tz)


@get("/api/generated-documents/{generated_id:int}/download", guards=[ANY_USER], tags=TAGS,
     summary="Скачать сформированный документ", opt={"media_types": {"200": (PDF,)}})
async def download_generated(request: Request, generated_id: Id) -> Response:
    async with request.app.state.pool.acquire() as conn:
        file_name, content = await registry.file_of(conn, generated_id, request.user)
    return pdf_response(content, file_name, (), download=True)


def routes(config) -> list:
    """Every printing route for the configuration ``config``."""
    from .api_reconciliation import ROUTES as RECONCILIATION_ROUTES
    from .api_settings import ROUTES as SETTINGS_ROUTES

    printable = {f.kind for f in forms.FORMS.values()}
    per_kind = [r for kind in config.documents.values() if kind.name in printable for r in print_routes(kind)]
    news = [new_route(kind) for kind in config.documents.values()]
    return [*per_kind, *news, list_forms, print_batch, list_generated, read_generated, download_generated,
            *SETTINGS_ROUTES, *RECONCILIATION_ROUTES]
