"""Lists of every catalog and document (формы списков).

Search as you type, filters, sortable columns, keyset paging with a page
size of 25/50/100/200 that the session remembers, 1C's posted and marked
icons, checkboxes for batch printing, and "Excel": the same filtered list as
a real .xlsx file.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from erp.platform import catalog_list as catalog_lists
from erp.platform import document_list as document_lists
from erp.platform.errors import NotFound
from erp.platform.fields import Field
from erp.platform.listing import PAGE_SIZES, Page
from erp.services.catalog_import import KEYS as IMPORTABLE
from ui import context, excel, i18n, printing
from ui.i18n import gettext as _
from ui.listing import Column, ListQuery, catalog_columns, document_columns, filter_fields, parse_query
from ui.queries import lists
from ui.render import page, render
from ui.session import remember, session_value

EXPORT_LIMIT = 10_000


def catalog_of(request: Request, name: str):
    found = context.registry(request).catalogs.get(name)
    if found is None:
        raise NotFound(_("Справочник не найден"))
    return found


def kind_of(request: Request, name: str):
    found = context.registry(request).documents.get(name)
    if found is None:
        raise NotFound(_("Вид документа не найден"))
    return found


async def _query(request: Request, fields, default_sort: str, default_desc: bool,
                 more_filters: tuple[str, ...] = ()) -> ListQuery:
    """The list's query string. Every attribute filters, as over the API (the page offers widgets for
    references, choices and flags); ``more_filters`` are the service's filters besides the attributes."""
    remembered = session_value(request, "page_size", 50)
    query = parse_query(request.query_params, default_sort=default_sort, default_desc=default_desc,
                        remembered_limit=remembered, filter_names={*(f.name for f in fields), *more_filters})
    if "limit" in request.query_params and query.limit != remembered:
        await remember(request, page_size=query.limit)
    return query


async def _catalog_page(request: Request, catalog, query: ListQuery, limit: int | None = None,
                        after: str | None = None) -> tuple[Page, dict]:
    async with context.acquire(request) as conn:
        result = await catalog_lists.list_items(
            conn, catalog, q=query.q, filters=query.filters, deletion_mark=query.deletion_mark, sort=query.sort,
            descending=query.desc, limit=limit or query.limit, after=after or query.after,
            before=None if after else query.before)
        names = await lists.ref_names(conn, context.registry(request), lists.collect_refs(
            context.registry(request), [*catalog.fields, *group_fields(catalog)], result.rows))
        filter_names = await lists.ref_names(conn, context.registry(request), _filter_refs(
            catalog.fields, query.filters))
    return result, {**names, **filter_names}


def _catalog_order(catalog) -> str:
    """A catalog with its own order (visit statuses) lists in it; others by name."""
    return "sort_order" if "sort_order" in catalog.field_names else "name"


def _more_filters(catalog) -> tuple[str, ...]:
    """The group of a hierarchical catalog (``parent_id``, ``null``: the top level), as over the API."""
    return ("parent_id",) if catalog.hierarchical else ()


def _filter_refs(fields, filters: dict[str, str]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}
    for f in fields:
        if f.type == "ref" and str(filters.get(f.name, "")).isdigit():
            wanted.setdefault(f.ref, set()).add(int(filters[f.name]))
    return wanted


@get("/catalogs", name="ui_catalogs")
async def catalogs_index(request: Request) -> Response:
    return render(request, "lists/index.html", section="catalogs", title=_("Справочники"), base="/catalogs",
                  objects=list(context.registry(request).catalogs.values()))


@get("/documents", name="ui_documents")
async def documents_index(request: Request) -> Response:
    return render(request, "lists/index.html", section="documents", title=_("Документы"), base="/documents",
                  objects=list(context.registry(request).documents.values()))


@get("/catalogs/{name:str}", name="ui_catalog_list")
async def catalog_list(request: Request, name: str) -> Response:
    catalog = catalog_of(request, name)
    query = await _query(request, list(catalog.fields), _catalog_order(catalog), False, _more_filters(catalog))
    result, names = await _catalog_page(request, catalog, query)
    columns = catalog_columns(catalog, catalog_lists.sorts(catalog))
    return page(request, "lists/catalog.html", "lists/_catalog_rows.html", section="catalogs", obj=catalog,
                query=query, result=result, columns=columns, names=names, base=f"/catalogs/{name}",
                filters=filter_fields(list(catalog.fields)), page_sizes=PAGE_SIZES,
                can_write=context.can_write(request, catalog),
                can_import=context.can_write(request, catalog) and name in IMPORTABLE)


async def _documents_page(request: Request, kind, query: ListQuery, limit: int | None = None,
                          after: str | None = None) -> tuple[Page, dict]:
    registry = context.registry(request)
    tz = context.settings(request).tz
    async with context.acquire(request) as conn:
        result = await lists.with_derived(conn, registry, kind, await document_lists.list_documents(
            conn, registry, kind, tz, q=query.q, start=query.start, end=query.end, posted=query.posted,
            deletion_mark=query.deletion_mark, filters=query.filters, sort=query.sort, descending=query.desc,
            limit=limit or query.limit, after=after or query.after, before=None if after else query.before))
        wanted = lists.docs_refs(registry, kind, [doc for doc, _extra in result.rows])
        for target, ids in _filter_refs(kind.header, query.filters).items():
            wanted.setdefault(target, set()).update(ids)
        names = await lists.ref_names(conn, registry, wanted, tz, i18n.document_name)
    return result, names


@get("/documents/{kind_name:str}", name="ui_document_list")
async def document_list(request: Request, kind_name: str) -> Response:
    kind = kind_of(request, kind_name)
    query = await _query(request, list(kind.header), "date", True, ("number",))
    result, names = await _documents_page(request, kind, query)
    columns = document_columns(kind, document_lists.sorts(kind))
    return page(request, "lists/documents.html", "lists/_document_rows.html", section="documents", obj=kind,
                query=query, result=result, columns=columns, names=names, base=f"/documents/{kind_name}",
                filters=filter_fields(list(kind.header)), page_sizes=PAGE_SIZES,
                can_write=context.can_write(request, kind), print_forms=await printing.forms_for(request, kind.name))


async def _all_pages(fetch) -> list[Any]:
    rows, after = [], None
    while len(rows) < EXPORT_LIMIT:
        result, names = await fetch(after)
        rows.append((result, names))
        after = result.next
        if not after:
            break
    return rows


def group_fields(catalog) -> list[Field]:
    """A hierarchical catalog's group and group flag, as its export shows them (and its import reads them)."""
    if not catalog.hierarchical:
        return []
    return [Field("parent_id", "ref", "Группа", ref=catalog.name), Field("is_group", "bool", "Это группа")]


@get("/catalogs/{name:str}/export.xlsx", name="ui_catalog_export")
async def catalog_export(request: Request, name: str) -> Response:
    catalog = catalog_of(request, name)
    query = await _query(request, list(catalog.fields), _catalog_order(catalog), False, _more_filters(catalog))
    columns = catalog_columns(catalog, {}, limit=100)
    columns += [Column(f.name, f.title, f) for f in group_fields(catalog)]
    pages = await _all_pages(lambda after: _catalog_page(request, catalog, query, 200, after))
    rows = [excel.catalog_row(catalog, columns, row, names) for result, names in pages for row in result.rows]
    return excel.response(_(catalog.title), [_(c.title) for c in columns], rows, f"{catalog.name}.xlsx")


@get("/documents/{kind_name:str}/export.xlsx", name="ui_document_export")
async def document_export(request: Request, kind_name: str) -> Response:
    kind = kind_of(request, kind_name)
    query = await _query(request, list(kind.header), "date", True, ("number",))
    columns = document_columns(kind, {}, limit=100)
    tz = context.settings(request).tz
    pages = await _all_pages(lambda after: _documents_page(request, kind, query, 200, after))
    rows = [excel.document_row(columns, doc, extra, names, tz) for result, names in pages
            for doc, extra in result.rows]
    headers = [_("Проведён"), _("Пометка удаления"), *(_(c.title) for c in columns)]
    return excel.response(_(kind.title), headers, rows, f"{kind.name}.xlsx")


ROUTES = [catalogs_index, documents_index, catalog_list, document_list, catalog_export, document_export]
