"""Document forms (формы документов).

The header with reference pickers, the tabular section with live totals,
and 1C's command bar: Записать, Провести, Провести и закрыть, Отменить
проведение, Пометить на удаление, Создать на основании ▾, Печать ▾,
Движения документа and Структура подчинённости. Every action goes through
the posting engine; a refusal comes back as the same form, as typed, with
each field error next to its field and a posting error (a stock shortage)
with its full list.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from erp.platform import document_list, subordination
from erp.platform.document_input import parse_moment
from erp.platform.errors import ErpError, ValidationError
from erp.platform.posting import Engine
from erp.printing import mail
from ui import context, document_view, lines_excel, printing
from ui.formdata import FormErrors, FormState, errors_from, input_value, parse_document_form, state_from_values
from ui.i18n import gettext as _
from ui.lists import kind_of
from ui.render import page, render

ACTIONS = ("write", "post", "post_close", "unpost", "mark", "unmark", "fill", "excel")
NOTICES = {"written": "Документ записан", "posted": "Документ проведён", "unposted": "Проведение отменено",
           "marked": "Документ помечен на удаление", "unmarked": "Пометка удаления снята"}
CUSTOM_FORMS = {"work-schedules": "/schedule/work-schedules"}


async def engine_for(request: Request) -> Engine:
    """The engine with the stored preferences (e.g. the default appointment length)."""
    base = context.engine(request)
    return Engine(base.registry, (await context.prefs(request)).apply_to(base.settings))


async def _render_form(request: Request, kind, state: FormState, *, doc=None, errors: FormErrors | None = None,
                       status: int = 200, notice: str = "", send: dict | None = None) -> Response:
    """``notice`` is a key of :data:`NOTICES` or a text already made; ``send`` the «Отправить клиенту»
    menu as submitted (``to``, ``facsimile``, its ``error``), open again after a refusal."""
    view = await document_view.build(request, kind, state, doc)
    print_forms = await printing.forms_for(request, kind.name, doc.header if doc else None)
    facsimile = bool(doc and print_forms) and await printing.can_sign(request, kind, doc)
    return render(request, "forms/document.html", status=status, section="documents", kind=kind, state=state,
                  doc=doc, view=view, errors=errors or FormErrors(), notice=_(NOTICES.get(notice, notice)),
                  can_write=context.can_write(request, kind), print_forms=print_forms,
                  print_url=printing.url, send=send or {}, facsimile=facsimile,
                  excel_fill=lines_excel.offered(kind))


@get("/documents/{kind_name:str}/new", name="ui_document_new")
async def new_document(request: Request, kind_name: str) -> Response:
    kind = kind_of(request, kind_name)
    if kind.name in CUSTOM_FORMS:
        return Redirect(f"{CUSTOM_FORMS[kind.name]}/new?" + urlencode(dict(request.query_params)))
    context.require_write(request, kind)
    state = await document_view.new_state(request, kind, await engine_for(request), request.query_params)
    return await _render_form(request, kind, state)


@get("/documents/{kind_name:str}/{doc_id:int}", name="ui_document")
async def open_document(request: Request, kind_name: str, doc_id: int, notice: str = "") -> Response:
    kind = kind_of(request, kind_name)
    if kind.name in CUSTOM_FORMS:
        return Redirect(f"{CUSTOM_FORMS[kind.name]}/{doc_id}")
    return await _show_stored(request, kind, doc_id, notice=NOTICES.get(notice, ""))


async def _show_stored(request: Request, kind, doc_id: int, **shown: Any) -> Response:
    async with context.acquire(request) as conn:
        doc = await context.engine(request).get(conn, kind, doc_id)
    tz = context.settings(request).tz
    state = state_from_values(kind, doc.header, doc.lines, doc.date, tz, doc.based_on)
    return await _render_form(request, kind, state, doc=doc, **shown)


@post("/documents/{kind_name:str}/{doc_id:int}/send", name="ui_document_send")
async def send_document(request: Request, kind_name: str, doc_id: int) -> Response:
    """Отправить клиенту: the PDF by email to the client (or to the address typed), through the SMTP
    server in settings; the form comes back saying to whom it went, or why it did not."""
    kind = kind_of(request, kind_name)
    form = await context.form_data(request)
    send = {"to": str(form.get("to", "")).strip(), "facsimile": form.get("facsimile") == "1"}
    settings = context.settings(request)
    try:
        async with context.acquire(request) as conn:
            sent = await mail.send_to_client(conn, kind.name, doc_id, str(form.get("form", "")) or None,
                                             request.scope["user"].user_id, send["facsimile"], send["to"] or None,
                                             secret_key=settings.secret_key, tz=settings.tz,
                                             config=context.registry(request))
    except ErpError as exc:
        if isinstance(exc, ValidationError):  # the address: told next to its field, the menu open
            send["error"] = _(exc.message)
        errors = FormErrors(other=[_("Документ не отправлен"), _(exc.message)])
        return await _show_stored(request, kind, doc_id, errors=errors, status=exc.status, send=send)
    notice = _("Документ отправлен на %(to)s") % {"to": sent["to"]}
    return await _show_stored(request, kind, doc_id, notice=notice)


async def _act(request: Request, kind, doc_id: int | None, action: str, data: dict[str, Any]):
    """Run one command; return the document it leaves."""
    engine = await engine_for(request)
    user = request.scope["user"]
    async with context.acquire(request) as conn:
        if action in ("write", "post", "post_close"):
            posting = action != "write"
            if doc_id is None:
                return await engine.create(conn, kind, data, post=posting, author_id=user.user_id)
            return await engine.update(conn, kind, doc_id, data, post=posting or None)
        if action == "unpost":
            return await engine.unpost(conn, kind, doc_id)
        return await engine.set_deletion_mark(conn, kind, doc_id, action == "mark")


async def _submit(request: Request, kind, doc_id: int | None) -> Response:
    context.require_write(request, kind)
    form = await context.form_data(request)
    action = str(form.get("action", "write"))
    if action not in ACTIONS or (doc_id is None and action not in ("write", "post", "post_close", "fill", "excel")):
        action = "write"
    state, data, origins = parse_document_form(kind, form)
    if action == "fill" and kind.filling is not None:
        return await _fill(request, kind, doc_id, state, data)
    if action == "excel" and lines_excel.offered(kind):
        return await _fill_from_excel(request, kind, doc_id, state, form)
    try:
        doc = await _act(request, kind, doc_id, action, data)
    except ErpError as exc:
        errors = errors_from(exc.details, origins)
        shown = {f.name for f in kind.header} | {"date"}
        errors.other += [f"{key}: {text}" for key, text in errors.header.items() if key not in shown]
        errors.header = {key: text for key, text in errors.header.items() if key in shown}
        if exc.status == 422 and (errors.header or errors.lines):
            errors.other.insert(0, _("Документ не записан: исправьте отмеченные поля"))
        elif (exc.details or {}).get("shortfalls"):
            errors.other[:0] = [_("Документ не проведён: недостаточно остатков"),
                                *await document_view.describe_shortage(request, exc.details["shortfalls"])]
        else:
            errors.other.insert(0, _(exc.message))
        current = None
        if doc_id is not None:
            async with context.acquire(request) as conn:
                current = await context.engine(request).get(conn, kind, doc_id)
            if action in ("unpost", "mark", "unmark"):
                tz = context.settings(request).tz
                state = state_from_values(kind, current.header, current.lines, current.date, tz, current.based_on)
        return await _render_form(request, kind, state, doc=current, errors=errors, status=exc.status)
    if action == "post_close":
        return Redirect(f"/documents/{kind.name}", status_code=303)
    notice = {"write": "written", "post": "posted", "unpost": "unposted", "mark": "marked",
              "unmark": "unmarked"}[action]
    return Redirect(f"/documents/{kind.name}/{doc.id}?notice={notice}", status_code=303)


async def _fill(request: Request, kind, doc_id: int | None, state: FormState, data: dict[str, Any]) -> Response:
    """«Заполнить»: the form again, as typed, with the lines the kind fills from the database (at the
    document's date; a stored document's own movements left out). Nothing is written."""
    tz = context.settings(request).tz
    current, errors, notice = None, FormErrors(), ""
    try:
        async with context.acquire(request) as conn:
            if doc_id is not None:
                current = await context.engine(request).get(conn, kind, doc_id)
            date = parse_moment(state.date, tz) if state.date else None
            lines = await (await engine_for(request)).fill_lines(conn, kind, data, date, doc_id)
    except ErpError as exc:
        errors = errors_from(exc.details)
        errors.other.insert(0, _("Табличная часть не заполнена: исправьте отмеченные поля")
                            if errors.header else _(exc.message))
        return await _render_form(request, kind, state, doc=current, errors=errors, status=exc.status)
    state.lines = [{f.name: input_value(f, ln.get(f.name), tz) for f in kind.lines} for ln in lines]
    notice = _("Табличная часть заполнена: строк %(n)s") % {"n": len(lines)}
    return await _render_form(request, kind, state, doc=current, errors=errors, notice=notice)


async def _fill_from_excel(request: Request, kind, doc_id: int | None, state: FormState,
                           form: dict[str, Any]) -> Response:
    """«Заполнить из Excel»: the form again, as typed, with its lines replaced by the workbook's rows; or,
    when the file cannot be read or a row is wrong, as it was, with every row's problem listed. Nothing
    is written (the user writes or posts the filled document)."""
    current = None
    if doc_id is not None:
        async with context.acquire(request) as conn:
            current = await context.engine(request).get(conn, kind, doc_id)
    filled, errors, status = await lines_excel.read(request, kind, state, form.get("excel_file"))
    if filled is None:
        return await _render_form(request, kind, state, doc=current, errors=errors, status=status)
    tz = context.settings(request).tz
    state.lines = [{f.name: input_value(f, ln.get(f.name), tz) for f in kind.lines} for ln in filled.lines]
    notice = _("Табличная часть заполнена из Excel: строк %(n)s (лист «%(sheet)s»). Документ ещё не записан") % {
        "n": len(filled.lines), "sheet": filled.sheet}
    return await _render_form(request, kind, state, doc=current, notice=notice)


@post("/documents/{kind_name:str}/new", name="ui_document_create",
      exception_handlers={HTTPException: lines_excel.too_large_page})
async def create_document(request: Request, kind_name: str) -> Response:
    return await _submit(request, kind_of(request, kind_name), None)


@post("/documents/{kind_name:str}/{doc_id:int}", name="ui_document_save",
      exception_handlers={HTTPException: lines_excel.too_large_page})
async def save_document(request: Request, kind_name: str, doc_id: int) -> Response:
    return await _submit(request, kind_of(request, kind_name), doc_id)


@get("/documents/{kind_name:str}/{doc_id:int}/movements", name="ui_document_movements")
async def movements(request: Request, kind_name: str, doc_id: int) -> Response:
    kind = kind_of(request, kind_name)
    async with context.acquire(request) as conn:
        doc = await context.engine(request).get(conn, kind, doc_id)
        moves = await document_list.movements_of(conn, kind, doc_id)
    tables = await document_view.movement_tables(request, kind, moves)
    return page(request, "forms/movements.html", "forms/_movements.html", section="documents", kind=kind,
                doc=doc, tables=tables)


@get("/documents/{kind_name:str}/{doc_id:int}/structure", name="ui_document_structure")
async def structure(request: Request, kind_name: str, doc_id: int) -> Response:
    kind = kind_of(request, kind_name)
    async with context.acquire(request) as conn:
        tree = await subordination.structure(conn, context.registry(request), kind.name, doc_id)
    return page(request, "forms/structure.html", "forms/_structure.html", section="documents", kind=kind,
                tree=tree, current=(kind.name, doc_id))


ROUTES = [new_document, open_document, create_document, save_document, send_document, movements, structure]
