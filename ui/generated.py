"""Документы → Сформированные документы (Документы 2.0, the «Документы» tab):
every PDF that was printed or emailed, to find and download again.

Filters by each attribute the registry keeps (the document, the amoCRM lead,
the form, who generated it, the organization, the client, the document type
and the period), newest first, a keyset page at a time with the page size
the session remembers. A document's form links here filtered to it.
Reading goes through :mod:`erp.printing.registry`.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect

from erp.amocrm import connection as amocrm_connection
from erp.auth import service as users
from erp.platform import catalog_list
from erp.platform.errors import ValidationError
from erp.platform.keyset import PAGE_SIZES
from erp.printing import forms as print_forms
from erp.printing import registry, scans, templates_store
from erp.printing.api import pdf_response
from erp.printing.reconciliation import FORM as RECONCILIATION
from ui import context, i18n
from ui.i18n import gettext as _
from ui.listing import parse_query
from ui.queries import lists
from ui.render import page
from ui.session import remember, session_value

BASE = "/generated-documents"
ID_FILTERS = ("document_id", "amocrm_lead_id", "user_id", "organization_id", "client_id")
TEXT_FILTERS = ("document_kind", "form", "document_type")
EXTRA_FILTERS = ("signed", "sent_from", "sent_to")  # not columns: read by :func:`extra_filters`


def extra_filters(chosen: dict[str, str], errors: dict[str, str]) -> dict:
    """Signed or not, and the days the documents were emailed."""
    out: dict = {"signed": {"yes": True, "no": False}.get(chosen["signed"])}
    if chosen["signed"] and out["signed"] is None:
        errors["signed"] = _("выберите значение из списка")
    for key in ("sent_from", "sent_to"):
        out[key] = None
        if chosen[key]:
            try:
                out[key] = dt.date.fromisoformat(chosen[key])
            except ValueError:
                errors[key] = _("дата в виде ГГГГ-ММ-ДД")
    return out


def read_filters(params) -> tuple[dict[str, str], dict, dict[str, str]]:
    """The chosen filters as typed, as the registry takes them, and the errors of bad ones."""
    chosen = {k: str(params.get(k) or "").strip() for k in (*ID_FILTERS, *TEXT_FILTERS, *EXTRA_FILTERS)}
    filters: dict = {k: (chosen[k] or None) for k in TEXT_FILTERS}
    errors = {}
    for key in ID_FILTERS:
        text = chosen[key]
        if text and not (text.isdigit() and 0 < int(text) < 2**63):
            errors[key] = _("ожидается целое число больше нуля")
        filters[key] = int(text) if text and key not in errors else None
    return chosen, filters, errors


@get(BASE, name="ui_generated_documents")
async def generated_list(request: Request) -> Response:
    params = request.query_params
    remembered = session_value(request, "page_size", 50)
    query = parse_query(params, default_sort="generated_at", default_desc=True, remembered_limit=remembered,
                        filter_names=set())
    if "limit" in params and query.limit != remembered:
        await remember(request, page_size=query.limit)
    chosen, filters, errors = read_filters(params)
    extra = extra_filters(chosen, errors)
    config, tz = context.registry(request), context.settings(request).tz
    kinds = [k for k in config.documents.values() if k.name in print_forms.SOURCES or print_forms.forms_for(k.name)]
    async with context.acquire(request) as conn:
        templates = await templates_store.list_templates(conn)
        types = await templates_store.document_types(conn)
        rows, cursor = await registry.list_generated(conn, filters=filters, limit=query.limit, after=query.after,
                                                     generated_from=query.start, generated_to=query.end, tz=tz,
                                                     **extra)
        people = await users.list_users(conn)
        organizations = (await catalog_list.list_items(conn, config.catalogs["organizations"], limit=200)).rows
        wanted = {"clients": {r["client_id"] for r in rows if r["client_id"]} | (
            {filters["client_id"]} if filters["client_id"] else set())}
        names = await lists.ref_names(conn, config, wanted)
        lead_url = await amocrm_connection.lead_url_prefix(conn)
    titles = {k.name: _(k.title) for k in config.documents.values()} | {"clients": _("Клиент")}
    form_titles = {t["form"]: t["name"] if t["changed"] or not t["standard"] else _(t["name"]) for t in templates}
    standard = (*print_forms.FORMS.values(), RECONCILIATION)
    form_titles |= {f.name: _(f.title) for f in standard if f.name not in form_titles}
    for r in rows:
        r["document_title"] = f"{titles.get(r['document_kind'], r['document_kind'])} № {r['document_number']}"
        r["form_title"] = form_titles.get(r["form"], r["form"])
    document_filter = ""
    if filters["document_id"]:
        first = rows[0] if rows else None
        document_filter = (f"{first['document_title']} {_('от')} {i18n.date(first['document_date'])}"
                           if first and first["document_date"] else
                           f"{titles.get(filters['document_kind'] or '', '')} id {filters['document_id']}".strip())
    type_names = [t["name"] for t in types]
    type_names += sorted({f.document_type for f in standard} - set(type_names))
    options = {"document_kind": [(k.name, _(k.title)) for k in kinds] + [("clients", _("Клиенты"))],
               "document_type": [(t, _(t)) for t in type_names],
               "form": list(form_titles.items()),
               "organization_id": [(o["id"], o["name"]) for o in organizations],
               "user_id": [(u["id"], u["username"]) for u in people]}
    return page(request, "lists/generated.html", "lists/_generated_rows.html", section="documents", rows=rows,
                next=cursor, query=query, chosen=chosen, errors=errors, options=options, names=names,
                document_filter=document_filter, page_sizes=PAGE_SIZES, base=BASE, lead_url=lead_url)


@get(f"{BASE}/{{generated_id:int}}/download", name="ui_generated_download")
async def download(request: Request, generated_id: int) -> Response:
    async with context.acquire(request) as conn:
        file_name, content = await registry.file_of(conn, generated_id, request.scope["user"])
    return pdf_response(content, file_name, (), download=True)


def _back(form: dict) -> str:
    """Back to the list as it was filtered (only a path of this list, never another site)."""
    back = str(form.get("back") or BASE)
    return back if back.startswith(BASE) and "//" not in back else BASE


@post(f"{BASE}/{{generated_id:int}}/scan", name="ui_generated_scan_upload")
async def upload_scan(request: Request, generated_id: int) -> Response:
    """Приложить скан: a PDF, JPEG or PNG of the signed paper (a refused file stores nothing)."""
    form = await context.form_data(request)
    upload = form.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    name = upload.filename if isinstance(upload, UploadFile) else ""
    user_id = request.scope["user"].user_id
    try:
        await context.transaction(request, lambda conn: scans.attach(conn, generated_id, content, name or "",
                                                                     user_id))
    except ValidationError as exc:
        reason = ((exc.details or {}).get("fields") or {}).get("file", exc.message)
        raise ValidationError(_("Скан не приложен: %(reason)s") % {"reason": _(reason)}, code=exc.code,
                              details=exc.details) from None
    return Redirect(_back(form), status_code=303)


@get(f"{BASE}/{{generated_id:int}}/scan", name="ui_generated_scan")
async def download_scan(request: Request, generated_id: int) -> Response:
    async with context.acquire(request) as conn:
        file_name, content_type, content = await scans.scan_of(conn, generated_id)
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in ".-_") else "_" for c in file_name)
    return Response(content, media_type=content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"})


@post(f"{BASE}/{{generated_id:int}}/signed", name="ui_generated_signed")
async def set_signed(request: Request, generated_id: int) -> Response:
    """«Подписан клиентом»: the mark with who set it and when, or the mark taken off."""
    form = await context.form_data(request)
    signed = form.get("action") != "unsign"
    user_id = request.scope["user"].user_id
    await context.transaction(request, lambda conn: scans.mark_signed(conn, generated_id, user_id, signed))
    return Redirect(_back(form), status_code=303)


ROUTES = [generated_list, download, upload_scan, download_scan, set_signed]
