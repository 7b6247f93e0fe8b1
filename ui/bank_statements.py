"""«Загрузить выписку» (Документы → Поступление оплаты / Списание денежных средств): upload a bank
statement (``kl_to_1c.txt``), see what each payment becomes, choose the counterparty of the rows that
were not matched (or skip them), and load it.

The page's one form keeps the statement: "Проверить" sends it with the choices and gets back the
preview; the preview carries the file's bytes in a hidden field, so "Загрузить" (or another check)
works without choosing the file again, and without JavaScript. All the work is
:mod:`erp.services.bank_statement`, the same as over the REST API; who may post payments may load them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException

from erp.platform.errors import ErpError, Forbidden, ValidationError
from erp.services import bank_statement
from erp.services.bank_exchange import MAX_FILE_BYTES
from ui import context
from ui.i18n import gettext as _
from ui.render import is_htmx, render

ROLES = ("admin", "accountant")
FIELDS = ("client_id", "invoice_id", "invoice_for", "operation", "skip")  # a row's controls: row-3-client_id…
BASE = "/bank-statements"


def _allowed(request: Request) -> None:
    if getattr(request.scope.get("user"), "role", None) not in ROLES:
        raise Forbidden(_("Недостаточно прав: загружать выписку могут бухгалтер и администратор"))


def _page(request: Request, **values: Any) -> Response:
    values.setdefault("preview", None)
    values.setdefault("error", None)
    values.setdefault("loaded", None)
    values.setdefault("content", "")
    # htmx swaps a 4xx answer too (the layout's htmx-config): the fragment says what is wrong
    template = "bank/_statement_preview.html" if is_htmx(request) else "bank/statement.html"
    return render(request, template, status=values.pop("status", 200), section="bank", base=BASE,
                  max_mb=MAX_FILE_BYTES // 1024 // 1024, operations=bank_statement.OPERATIONS, **values)


async def _upload(request: Request) -> tuple[bytes, dict[int, dict[str, Any]]]:
    """The statement (a new file, else the one the preview carried) and the choices per row."""
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read()
    else:
        try:
            content = base64.b64decode(str(form.get("content") or ""), validate=True)
        except (binascii.Error, ValueError):
            content = b""
        if not content:
            raise ValidationError.field("file", "выберите файл выписки (kl_to_1c.txt)", code="no_file")
    choices: dict[int, dict[str, Any]] = {}
    for key, value in form.items():
        row, _sep, name = key.removeprefix("row-").partition("-")
        wanted = key.startswith("row-") and row.isdigit() and name in FIELDS
        if wanted and (str(value).strip() or name == "invoice_id"):
            choices.setdefault(int(row), {})[name] = str(value).strip()
    for choice in choices.values():
        # the invoices offered were the client's the preview had: another client chosen, its invoice is found anew
        offered_for = choice.pop("invoice_for", None)
        if offered_for is not None and choice.get("client_id") not in (None, offered_for):
            choice.pop("invoice_id", None)
    return content, choices


def too_large_page(request: Request, exc: HTTPException) -> Response:
    if exc.status_code != 413:
        from ui.app import handle_http_error

        return handle_http_error(request, exc)
    return _page(request, error=_("Файл слишком большой: выписка бывает не больше %(mb)s МБ",
                                  mb=MAX_FILE_BYTES // 1024 // 1024), status=413)


@get(BASE, name="ui_bank_statement")
async def statement_page(request: Request) -> Response:
    _allowed(request)
    return _page(request)


@post(f"{BASE}/preview", name="ui_bank_statement_preview", status_code=200,
      exception_handlers={HTTPException: too_large_page})
async def statement_preview(request: Request) -> Response:
    _allowed(request)
    try:
        content, choices = await _upload(request)
        async with context.acquire(request) as conn:
            found = await bank_statement.preview(conn, content, choices, tz=context.settings(request).tz)
    except ErpError as exc:
        return _page(request, error=_(exc.message), status=exc.status)
    return _page(request, preview=found, summary=found.summary(), content=base64.b64encode(content).decode())


@post(BASE, name="ui_bank_statement_load", status_code=200, exception_handlers={HTTPException: too_large_page})
async def statement_load(request: Request) -> Response:
    _allowed(request)
    content, choices = b"", {}
    try:
        content, choices = await _upload(request)
        async with context.acquire(request) as conn:
            found = await bank_statement.apply(conn, context.engine(request), content, choices,
                                               author_id=request.scope["user"].user_id)
    except ErpError as exc:
        # the statement and its rows stay in the form: change a choice and load again
        values: dict[str, Any] = {}
        if content:
            try:
                async with context.acquire(request) as conn:
                    found = await bank_statement.preview(conn, content, choices, tz=context.settings(request).tz)
                values = {"preview": found, "summary": found.summary(), "content": base64.b64encode(content).decode()}
            except ErpError:
                pass
        return _page(request, error=_(exc.message), status=exc.status, **values)
    return _page(request, loaded=found, summary=found.summary())


ROUTES = [statement_page, statement_preview, statement_load]
