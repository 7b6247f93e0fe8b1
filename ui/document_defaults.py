"""Администрирование → Значения по умолчанию (Документы 2.0): what a new
document starts with: the organization, its bank account, a discount (in
percent or as an amount) and a VAT rate.

The values are kept and checked by :mod:`erp.printing.defaults`, the same
service ``PUT /api/settings/document-defaults`` calls, so the screen and the
API accept and refuse exactly the same things.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect

from erp.api.security import allow
from erp.platform.errors import ValidationError
from erp.platform.fields import FieldError, parse_decimal
from erp.printing import defaults
from ui import context
from ui.formdata import errors_from
from ui.i18n import gettext as _
from ui.queries.lists import organizations_and_accounts
from ui.render import render

BASE = "/admin/document-defaults"
NAMES = ("organization_id", "bank_account_id", "discount_percent", "discount_amount", "vat_rate")


def vat_title(rate: str) -> str:
    return _("Без НДС") if rate == "none" else f"{rate}%"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


async def _page(request: Request, values: dict[str, str], *, status: int = 200, notice: str = "",
                errors=None) -> Response:
    async with context.acquire(request) as conn:
        organizations, accounts = await organizations_and_accounts(conn)
    return render(request, "admin/document_defaults.html", status=status, section="admin", values=values,
                  organizations=organizations, accounts=accounts, errors=errors or errors_from({}),
                  vat_rates=[(r, vat_title(r)) for r in defaults.VAT_RATES],
                  notice=_("Значения по умолчанию записаны") if notice == "saved" else "")


@get("/", name="ui_document_defaults")
async def defaults_page(request: Request, notice: str = "") -> Response:
    async with context.acquire(request) as conn:
        stored = await defaults.get_defaults(conn)
    return await _page(request, {name: _text(getattr(stored, name)) for name in NAMES}, notice=notice)


def parse_form(values: dict[str, str]) -> defaults.DocumentDefaults:
    """The submitted form as the service's input; every unreadable field is named at once."""
    problems: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for name in ("organization_id", "bank_account_id"):
        raw = values[name]
        if not raw:
            parsed[name] = None
        elif raw.isdigit() and 0 < int(raw) < 2**31:
            parsed[name] = int(raw)
        else:
            problems[name] = _("выберите значение из списка")
    for name, digits in (("discount_percent", (7, 4)), ("discount_amount", (15, 2))):
        try:
            parsed[name] = parse_decimal(values[name], digits) if values[name] else None
        except FieldError as exc:
            problems[name] = str(exc)
    parsed["vat_rate"] = values["vat_rate"] or None
    if problems:
        raise ValidationError(_("Неверные значения по умолчанию"), details={"fields": problems})
    return defaults.DocumentDefaults(**parsed)


@post("/", name="ui_document_defaults_save")
async def save_defaults(request: Request) -> Response:
    form = await context.form_data(request)
    values = {name: str(form.get(name, "")).strip() for name in NAMES}
    try:
        chosen = parse_form(values)
        await context.transaction(request, lambda conn: defaults.set_defaults(conn, chosen))
    except ValidationError as exc:
        return await _page(request, values, status=exc.status, errors=errors_from(exc.details))
    return Redirect(f"{BASE}?notice=saved", status_code=303)


ROUTES = [Router(BASE, route_handlers=[defaults_page, save_defaults], guards=[allow("admin")])]
