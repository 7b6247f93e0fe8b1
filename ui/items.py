"""Catalog item forms (формы элементов справочников): create, change, mark
for deletion. Predefined items (e.g. the visit statuses "Записан", "Пришел",
"Не пришел") can be edited but never marked."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from erp.amocrm import contacts as amocrm_contacts
from erp.platform import catalog_service
from erp.platform.errors import ErpError
from erp.platform.posting.sqlnames import ident
from erp.printing.forms import SOURCES
from ui import context, printing
from ui.formdata import errors_from, input_value, parse_item_form, part_errors
from ui.i18n import gettext as _
from ui.i18n import number as format_number
from ui.lists import catalog_of
from ui.queries import lists
from ui.render import render

NOTICES = {"saved": "Элемент записан", "marked": "Элемент помечен на удаление",
           "unmarked": "Пометка удаления снята"}


def _state(catalog, row: dict[str, Any]) -> dict[str, Any]:
    state = {"name": row.get("name", "")}
    state |= {f.name: input_value(f, row.get(f.name)) for f in catalog.fields}
    if catalog.hierarchical:
        state["parent_id"] = str(row.get("parent_id") or "")
        state["is_group"] = bool(row.get("is_group"))
    for part in catalog.parts:
        state[part.name] = [{f.name: input_value(f, r.get(f.name)) for f in part.fields}
                            for r in row.get(part.name) or ()]
    return state


async def _render(request: Request, catalog, state: dict[str, Any], item: dict | None, *, errors=None,
                  status: int = 200, notice: str = "") -> Response:
    wanted: dict[str, set[int]] = {}
    for f in catalog.fields:
        if f.type == "ref" and str(state.get(f.name, "")).isdigit():
            wanted.setdefault(f.ref, set()).add(int(state[f.name]))
    if catalog.hierarchical and str(state.get("parent_id", "")).isdigit():
        wanted.setdefault(catalog.name, set()).add(int(state["parent_id"]))
    for part in catalog.parts:
        for row in state.get(part.name) or ():
            for f in part.fields:
                if f.type == "ref" and str(row.get(f.name, "")).isdigit():
                    wanted.setdefault(f.ref, set()).add(int(row[f.name]))
    async with context.acquire(request) as conn:
        names = await lists.ref_names(conn, context.registry(request), wanted)
        contact = await amocrm_contacts.of_client(conn, item["id"]) if item and catalog.name == "clients" else None
    print_forms = await printing.forms_for(request, catalog.name) if item and catalog.name in SOURCES else []
    return render(request, "forms/item.html", status=status, section="catalogs", catalog=catalog, state=state,
                  item=item, names=names, errors=errors or errors_from({}),
                  notice=_(NOTICES.get(notice, "")), can_write=context.can_write(request, catalog),
                  print_forms=print_forms, print_url=printing.url, amocrm_contact=contact)


@get("/catalogs/{name:str}/new", name="ui_item_new")
async def new_item(request: Request, name: str) -> Response:
    catalog = catalog_of(request, name)
    context.require_write(request, catalog)
    defaults = {f.name: f.default for f in catalog.fields}
    prefill = {k: v for k, v in request.query_params.items() if k in ("name", *catalog.field_names)}
    return await _render(request, catalog, {**_state(catalog, defaults), **prefill}, None)


@get("/catalogs/{name:str}/{item_id:int}", name="ui_item")
async def open_item(request: Request, name: str, item_id: int, notice: str = "") -> Response:
    catalog = catalog_of(request, name)
    async with context.acquire(request) as conn:
        item = await catalog_service.get(conn, catalog, item_id)
    return await _render(request, catalog, _state(catalog, item), item, notice=notice)


async def _submit(request: Request, catalog, item_id: int | None) -> Response:
    context.require_write(request, catalog)
    form = await context.form_data(request)
    action = str(form.get("action", "save"))
    registry = context.registry(request)
    state, data = parse_item_form(catalog, form)
    try:
        async with context.acquire(request) as conn:
            if item_id is None:
                item = await catalog_service.create(conn, registry, catalog, data)
            elif action in ("mark", "unmark"):
                item = await catalog_service.set_deletion_mark(conn, catalog, item_id, action == "mark")
            else:
                item = await catalog_service.update(conn, registry, catalog, item_id, data,
                                                    tz=context.settings(request).tz)
    except ErpError as exc:
        errors = part_errors(catalog, errors_from(exc.details), state)
        shown = {"name", "parent_id", *catalog.field_names, *(p.name for p in catalog.parts)}
        errors.other = [_("Элемент не записан: исправьте отмеченные поля") if errors.header else _(exc.message)]
        errors.other += [f"{k}: {v}" for k, v in errors.header.items()
                         if k not in shown and k.split("[")[0] not in shown]
        current = None
        if item_id is not None:
            async with context.acquire(request) as conn:
                current = await catalog_service.get(conn, catalog, item_id)
            if action in ("mark", "unmark"):
                state = _state(catalog, current)
        return await _render(request, catalog, state, current, errors=errors, status=exc.status)
    notice = {"mark": "marked", "unmark": "unmarked"}.get(action, "saved")
    return Redirect(f"/catalogs/{catalog.name}/{item['id']}?notice={notice}", status_code=303)


@post("/catalogs/{name:str}/new", name="ui_item_create")
async def create_item(request: Request, name: str) -> Response:
    return await _submit(request, catalog_of(request, name), None)


@post("/catalogs/{name:str}/{item_id:int}", name="ui_item_save")
async def save_item(request: Request, name: str, item_id: int) -> Response:
    return await _submit(request, catalog_of(request, name), item_id)


@get("/lookup/{target:str}", name="ui_lookup")
async def lookup(request: Request, target: str, q: str = "", field: str = "") -> Response:
    """Options of a reference picker: matching, unmarked items. ``field`` (``payments.invoice_id``)
    names the attribute the picker fills: its declaration may narrow the choice to posted documents
    with a balance due (``picker_due``: register and dimension) and by the values of other fields of
    the form (``picker_filters``, sent as query parameters) or fixed (``picker_fixed``: a room picker
    offers rooms only)."""
    narrowing = picker_narrowing(context.registry(request), field, target)
    filters = {name: request.query_params[name] for name in narrowing.get("picker_filters", ())
               if request.query_params.get(name)} | dict(narrowing.get("picker_fixed", {}))
    warehouse = _warehouse(request.query_params.get(narrowing.get("picker_stock") or ""))
    async with context.acquire(request) as conn:
        options = await lists.lookup(conn, context.registry(request), target, q[:100], filters=filters,
                                          where=due_condition(context.registry(request), narrowing.get("picker_due")))
        if warehouse is not None and options:
            have = await lists.available(conn, warehouse, [o["id"] for o in options])
            options = [o | {"hint": " · ".join(filter(None, [o.get("hint") or "", _("доступно") + " "
                                                                + format_number(have[o["id"]])]))}
                       if o["id"] in have else o for o in options]
    return render(request, "forms/_options.html", options=options, target=target)


def _warehouse(raw: str | None) -> int | None:
    """The warehouse a goods picker shows what is available in («Склад» of its form), if it is an id."""
    return int(raw) if raw and raw.isdigit() and int(raw) < 2 ** 63 else None


def due_condition(registry, due: tuple[str, str] | None) -> str:
    """``picker_due`` as a condition on the documents: posted, with a positive balance of the
    register's first resource under the dimension that names them."""
    if due is None:
        return ""
    register = registry.registers[due[0]]
    return (f"posted AND id IN (SELECT {ident(due[1])} FROM {ident(register.balance_table)}"
            f" WHERE {ident(register.resource_names[0])} > 0)")


def picker_narrowing(registry, field: str, target: str) -> dict:
    """The ``extra`` of the document attribute or line column ``kind.field`` (or of a catalog's tabular part's column,
    ``catalog.part.field``: a service's rooms) when it points at ``target``."""
    kind_name, _sep, name = field.partition(".")
    kind = registry.documents.get(kind_name)
    fields = (*kind.header, *kind.lines) if kind else ()  # a line's column too (the cash desks of the organization)
    catalog = registry.catalogs.get(kind_name)
    if catalog is not None:
        part_name, _sep, name = name.partition(".")
        fields = next((p.fields for p in catalog.parts if p.name == part_name), ())
    found = next((f for f in fields if f.name == name), None)
    return found.extra if found is not None and found.ref == target else {}


ROUTES = [new_item, open_item, create_item, save_item, lookup]
