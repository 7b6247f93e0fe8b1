"""«Заполнить из Excel» on a document form: the tabular section replaced by a workbook's rows.

Offered by the kinds that can read their lines from Excel (today «Ввод начальных остатков», a
section at a time: :mod:`erp.services.opening_excel`, the same as over the REST API). The form's
own fields say what to read (the section, the organization); the file goes with the form. Nothing
is written: a readable file with good rows fills the table, and the user writes or posts; a bad
file, or any bad row, leaves the table as it was and says what is wrong, row by row.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException

from erp.platform.errors import ErpError
from erp.services import opening_excel
from erp.services.xlsx_file import too_large
from ui import context
from ui.formdata import FormErrors, FormState
from ui.i18n import gettext as _
from ui.render import render

KINDS = ("opening-balances",)
SHOWN_ROWS = 50


def offered(kind) -> bool:
    return kind.name in KINDS


def _organization(state: FormState) -> int | None:
    raw = str(state.header.get("organization_id") or "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _row_errors(filled: opening_excel.Filled) -> list[str]:
    out = [_("Строка %(row)s, «%(column)s»: %(message)s") % {"row": r.row, "column": e["column"],
                                                             "message": _(e["message"])}
           for r in filled.rows for e in r.errors]
    if len(out) > SHOWN_ROWS:
        out = [*out[:SHOWN_ROWS], _("…и ещё ошибок: %(n)s") % {"n": len(out) - SHOWN_ROWS}]
    return out


async def read(request: Request, kind, state: FormState, upload: Any
               ) -> tuple[opening_excel.Filled | None, FormErrors, int]:
    """The file's lines for the form's section, or ``None`` with what is wrong and the status."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, FormErrors(other=[_("Табличная часть не заполнена"), _("Выберите файл Excel (.xlsx)")]), 422
    content = await upload.read()
    section = str(state.header.get("section") or kind.header_field("section").default)
    try:
        async with context.acquire(request) as conn:
            filled = await opening_excel.read(conn, content, section, _organization(state))
    except ErpError as exc:
        return None, FormErrors(other=[_("Табличная часть не заполнена"), _(exc.message)]), exc.status
    if filled.errors:
        head = _("Табличная часть не заполнена: в файле есть ошибки (строк с ошибками: %(n)s из %(total)s)") % {
            "n": filled.errors, "total": len(filled.rows)}
        return None, FormErrors(other=[head, *_row_errors(filled)]), 422
    return filled, FormErrors(), 200


def too_large_page(request: Request, exc: HTTPException) -> Response:
    """A form past the body limit: on a document form that is a workbook too large, said as the import says it."""
    if exc.status_code != 413:
        from ui.app import handle_http_error

        return handle_http_error(request, exc)
    template = "_error.html" if request.headers.get("hx-request") == "true" else "error.html"
    return render(request, template, status=413, message=_(too_large().message), details={})
