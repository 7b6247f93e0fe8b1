"""Документы → Сформированные документы (Документы 2.0, the «Документы» tab):
every PDF that was printed or emailed, to find and download again.

Filters by each attribute the registry keeps (the document, the amoCRM lead,
the form, who generated it, the organization, the client, the document type
and the period), newest first, a keyset page at a time with the page size
the session remembers. A document's form links here filtered to it.
Reading goes through :mod:`erp.printing.registry`.
"""

from __future__ import annotations

from litestar import Request, Response, get

from erp.auth import service as users
from erp.platform import catalog_list
from erp.platform.keyset import PAGE_SIZES
from erp.printing import forms as print_forms
from erp.printing import registry, templates_store
from erp.printing.api import pdf_response
from ui import context, i18n
from ui.i18n import gettext as _
from ui.listing import parse_query
from ui.queries import lists
from ui.render import page
from ui.session import remember, session_value

BASE = "/generated-documents"
ID_FILTERS = ("document_id", "amocrm_lead_id", "user_id", "organization_id", "client_id")
TEXT_FILTERS = ("document_kind", "form", "document_type")


def read_filters(params) -> tuple[dict[str, str], dict, dict[str, str]]:
    """The chosen filters as typed, as the registry takes them, and the errors of bad ones."""
    chosen = {k: str(params.get(k) or "").strip() for k in (*ID_FILTERS, *TEXT_FILTERS)}
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
    config, tz = context.registry(request), context.settings(request).tz
    kinds = [k for k in config.documents.values() if k.name in print_forms.SOURCES or print_forms.forms_for(k.name)]
    async with context.acquire(request) as conn:
        templates = await templates_store.list_templates(conn)
        types = await templates_store.document_types(conn)
        rows, cursor = await registry.list_generated(conn, filters=filters, limit=query.limit, after=query.after,
                                                     generated_from=query.start, generated_to=query.end, tz=tz)
        people = await users.list_users(conn)
        organizations = (await catalog_list.list_items(conn, config.catalogs["organizations"], limit=200)).rows
        wanted = {"clients": {r["client_id"] for r in rows if r["client_id"]} | (
            {filters["client_id"]} if filters["client_id"] else set())}
        names = await lists.ref_names(conn, config, wanted)
    titles = {k.name: _(k.title) for k in config.documents.values()} | {"clients": _("Клиент")}
    form_titles = {t["form"]: t["name"] if t["changed"] or not t["standard"] else _(t["name"]) for t in templates}
    form_titles |= {f.name: _(f.title) for f in print_forms.FORMS.values() if f.name not in form_titles}
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
    type_names += sorted({f.document_type for f in print_forms.FORMS.values()} - set(type_names))
    options = {"document_kind": [(k.name, _(k.title)) for k in kinds] + [("clients", _("Клиенты"))],
               "document_type": [(t, _(t)) for t in type_names],
               "form": list(form_titles.items()),
               "organization_id": [(o["id"], o["name"]) for o in organizations],
               "user_id": [(u["id"], u["username"]) for u in people]}
    return page(request, "lists/generated.html", "lists/_generated_rows.html", section="documents", rows=rows,
                next=cursor, query=query, chosen=chosen, errors=errors, options=options, names=names,
                document_filter=document_filter, page_sizes=PAGE_SIZES, base=BASE)


@get(f"{BASE}/{{generated_id:int}}/download", name="ui_generated_download")
async def download(request: Request, generated_id: int) -> Response:
    async with context.acquire(request) as conn:
        file_name, content = await registry.file_of(conn, generated_id, request.scope["user"])
    return pdf_response(content, file_name, (), download=True)


ROUTES = [generated_list, download]
