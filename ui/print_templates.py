"""Администрирование → «Шаблоны документов» (Документы 2.0): print templates as data.

The list shows the standard forms (changed or as shipped) and the administrator's
own templates; a template's page edits its name, document kind, document type and
HTML text, with the variable picker beside the text (a click inserts the variable
at the cursor) and a preview on a real document of the kind. «Восстановить
стандартный» drops the stored copy of a standard form. «Переменные шаблонов»
keeps the administrator's own variables. Everything is checked by
:mod:`erp.printing.templates_store`: a refused template or variable is shown
again with the reason, and nothing is written.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect

from erp.api.security import allow
from erp.platform.errors import ValidationError
from erp.printing import templates_store, variables
from erp.printing.forms import SOURCES
from ui import context
from ui.formdata import errors_from
from ui.i18n import gettext as _
from ui.render import render

BASE = "/admin/print-templates"
VARIABLES = "/admin/print-variables"
NOTICES = {"saved": "Шаблон записан", "restored": "Восстановлен стандартный шаблон", "deleted": "Шаблон удалён",
           "variable_saved": "Переменная записана", "variable_deleted": "Переменная удалена"}


def kind_titles(request: Request) -> dict[str, str]:
    config = context.registry(request)
    titles = {name: config.documents[name].title if name in config.documents else config.catalogs[name].title
              for name in SOURCES}
    return {name: _(title) for name, title in titles.items()}


def picker_groups(user_vars: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, str]]]]:
    """The picker's groups: the catalog's variables, then the administrator's."""
    groups: dict[str, list[dict[str, str]]] = {}
    for var in variables.CATALOG:
        groups.setdefault(var.group, []).append({"path": var.path, "title": var.title, "insert": var.insert})
    for var in user_vars:
        groups.setdefault("Мои переменные", []).append({
            "path": var["name"], "title": var["title"], "insert": "{{ " + var["name"] + " }}"})
    return list(groups.items())


@get("/", name="ui_print_templates")
async def template_list(request: Request, notice: str = "") -> Response:
    async with context.acquire(request) as conn:
        templates = await templates_store.list_templates(conn)
    return render(request, "admin/print_templates.html", section="admin", templates=templates,
                  kinds=kind_titles(request), notice=_(NOTICES.get(notice, "")))


async def _recent(conn, kind: str) -> list[dict[str, Any]]:
    """Documents to preview on: the kind's latest twenty."""
    if kind == "clients":
        rows = await conn.fetch("SELECT id, name AS title FROM cat_clients WHERE NOT deletion_mark AND NOT is_group"
                                " ORDER BY id DESC LIMIT 20")
    else:
        table = {"invoices": "doc_invoices", "service-renderings": "doc_service_renderings",
                 "requests": "doc_requests"}[kind]
        rows = await conn.fetch(f"SELECT id, number || ' от ' || to_char(date, 'DD.MM.YYYY') AS title FROM {table}"
                                " WHERE NOT deletion_mark ORDER BY date DESC, id DESC LIMIT 20")
    return [dict(r) for r in rows]


async def _editor(request: Request, template: dict[str, Any], *, status: int = 200, errors=None, notice: str = "",
                  preview: int | None = None) -> Response:
    kind = template["kind"]
    async with context.acquire(request) as conn:
        user_vars = await templates_store.user_variables(conn, kind if kind in SOURCES else None)
        types = await templates_store.document_types(conn)
        recent = await _recent(conn, kind) if kind in SOURCES and template.get("form") else []
    chosen = preview if preview in {r["id"] for r in recent} else (recent[0]["id"] if recent else None)
    return render(request, "admin/print_template.html", status=status, section="admin", tpl=template,
                  kinds=kind_titles(request), types=types, groups=picker_groups(user_vars), recent=recent,
                  preview=chosen, errors=errors or errors_from({}), notice=_(NOTICES.get(notice, "")), base=BASE)


@get("/new", name="ui_print_template_new")
async def new_template(request: Request, kind: str = "invoices") -> Response:
    async with context.acquire(request) as conn:
        types = await templates_store.document_types(conn)
    other = next((t["id"] for t in types if t["predefined"] == "other"), None)
    body = ('{% extends "base.html" %}\n{% block content %}\n<h1>{{ heading }}</h1>\n'
            "<p>{{ organization.requisites }}</p>\n<p>{{ client.name }}</p>\n{{ lines_table }}\n"
            "<p>Итого: {{ total|money }} руб. ({{ total_words }})</p>\n{% endblock %}\n")
    template = {"form": None, "id": None, "name": "", "kind": kind if kind in SOURCES else "invoices",
                "document_type_id": other, "body": body, "active": True, "standard": None, "changed": False}
    return await _editor(request, template)


def _values(form: dict[str, Any]) -> templates_store.TemplateIn:
    raw_type = str(form.get("document_type_id", ""))
    return templates_store.TemplateIn(
        name=str(form.get("name", "")), kind=str(form.get("kind", "")),
        document_type_id=int(raw_type) if raw_type.isdigit() and len(raw_type) < 18 else None,
        body=str(form.get("body", "")).replace("\r\n", "\n"), active=form.get("active") == "on")


async def _refused(request: Request, current: dict[str, Any], values: templates_store.TemplateIn,
                   exc: ValidationError) -> Response:
    template = {**current, "name": values.name, "document_type_id": values.document_type_id, "body": values.body,
                "active": values.active}
    if not current.get("standard"):
        template["kind"] = values.kind
    errors = errors_from(exc.details)
    errors.other = [exc.message]
    return await _editor(request, template, status=exc.status, errors=errors)


@post("/new", name="ui_print_template_create")
async def create_template(request: Request) -> Response:
    values = _values(await context.form_data(request))
    user_id = request.scope["user"].user_id
    try:
        name = await context.transaction(request, lambda conn: templates_store.save_template(conn, None, values,
                                                                                           user_id))
    except ValidationError as exc:
        empty = {"form": None, "id": None, "standard": None, "changed": False, "kind": values.kind}
        return await _refused(request, empty, values, exc)
    return Redirect(f"{BASE}/{name}?notice=saved", status_code=303)


@get("/{template:str}", name="ui_print_template")
async def open_template(request: Request, template: str, notice: str = "", preview: int | None = None) -> Response:
    async with context.acquire(request) as conn:
        current = await templates_store.get_template(conn, template)
    return await _editor(request, current, notice=notice, preview=preview)


@post("/{template:str}", name="ui_print_template_save")
async def save_template(request: Request, template: str) -> Response:
    form = await context.form_data(request)
    action = str(form.get("action", "save"))
    user_id = request.scope["user"].user_id
    async with context.acquire(request) as conn:
        current = await templates_store.get_template(conn, template)
    if action == "restore":
        await context.transaction(request, lambda conn: templates_store.restore_standard(conn, template))
        return Redirect(f"{BASE}/{template}?notice=restored", status_code=303)
    if action == "delete":
        await context.transaction(request, lambda conn: templates_store.delete_template(conn, template))
        return Redirect(f"{BASE}?notice=deleted", status_code=303)
    values = _values(form)
    try:
        await context.transaction(request, lambda conn: templates_store.save_template(conn, template, values,
                                                                                    user_id))
    except ValidationError as exc:
        return await _refused(request, current, values, exc)
    return Redirect(f"{BASE}/{template}?notice=saved", status_code=303)


# -- «Переменные шаблонов» -----------------------------------------------------------------------------------------

async def _variables_page(request: Request, *, status: int = 200, errors=None, values: dict[str, str] | None = None,
                          notice: str = "") -> Response:
    async with context.acquire(request) as conn:
        rows = await templates_store.user_variables(conn)
    return render(request, "admin/print_variables.html", status=status, section="admin", rows=rows,
                  kinds=kind_titles(request), value_types=variables.VALUE_TYPES, values=values or {},
                  errors=errors or errors_from({}), notice=_(NOTICES.get(notice, "")), catalog=variables.CATALOG)


@get("/", name="ui_print_variables")
async def variable_list(request: Request, notice: str = "", edit: int | None = None) -> Response:
    values: dict[str, str] = {}
    if edit is not None:
        async with context.acquire(request) as conn:
            row = next((r for r in await templates_store.user_variables(conn) if r["id"] == edit), None)
        if row:
            values = {k: str(row[k] or "") for k in ("id", "name", "title", "kind", "value_type", "value")}
    return await _variables_page(request, notice=notice, values=values)


@post("/", name="ui_print_variables_save")
async def save_variable(request: Request) -> Response:
    form = await context.form_data(request)
    values = {k: str(form.get(k, "")) for k in ("id", "name", "title", "kind", "value_type", "value")}
    values["value"] = values["value"].replace("\r\n", "\n")
    variable_id = int(values["id"]) if values["id"].isdigit() and len(values["id"]) < 18 else None
    user_id = request.scope["user"].user_id
    try:
        if form.get("action") == "delete" and variable_id is not None:
            await context.transaction(request, lambda conn: templates_store.delete_variable(conn, variable_id))
            return Redirect(f"{VARIABLES}?notice=variable_deleted", status_code=303)
        chosen = templates_store.VariableIn(values["name"].strip(), values["title"], values["kind"] or None,
                                            values["value_type"], values["value"])
        await context.transaction(request, lambda conn: templates_store.save_variable(conn, variable_id, chosen,
                                                                                    user_id))
    except ValidationError as exc:
        errors = errors_from(exc.details)
        errors.other = [exc.message]
        return await _variables_page(request, status=exc.status, errors=errors, values=values)
    return Redirect(f"{VARIABLES}?notice=variable_saved", status_code=303)


ROUTES = [
    Router(BASE, route_handlers=[template_list, new_template, create_template, open_template, save_template],
           guards=[allow("admin")]),
    Router(VARIABLES, route_handlers=[variable_list, save_variable], guards=[allow("admin")]),
]
