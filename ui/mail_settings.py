"""Администрирование → Почта (SMTP): the server «Отправить клиенту» sends through.

The settings are kept by :mod:`erp.printing.mail`. The password is
write-only: the page never shows it, only whether one is stored, and a save
with the field left blank keeps the stored one.
"""

from __future__ import annotations

from dataclasses import asdict

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect

from erp.api.security import allow
from erp.platform.errors import Conflict, ValidationError
from erp.printing import mail
from ui import context
from ui.formdata import errors_from
from ui.i18n import gettext as _
from ui.render import render

BASE = "/admin/smtp"
TEXT_FIELDS = ("host", "username", "from_email", "from_name")


def security_title(value: str) -> str:
    return {"none": _("Без шифрования"), "starttls": "STARTTLS", "ssl": "SSL/TLS"}.get(value, value)


def _page(request: Request, values: dict, *, password_set: bool, status: int = 200, notice: str = "",
          errors=None, problem: str = "") -> Response:
    return render(request, "admin/smtp.html", status=status, section="admin", values=values,
                  password_set=password_set, errors=errors or errors_from({}), problem=problem,
                  notice=_("Настройки почты записаны") if notice == "smtp_saved" else "",
                  securities=[(s, security_title(s)) for s in mail.SECURITY])


@get("/", name="ui_smtp")
async def smtp_page(request: Request, notice: str = "") -> Response:
    problem = ""
    try:
        async with context.acquire(request) as conn:
            smtp = await mail.get_smtp(conn, context.settings(request).secret_key)
    except Conflict as exc:
        smtp, problem = None, _(exc.message)
    values = smtp.public() if smtp else asdict(mail.SmtpSettings(host=""))
    values.pop("password", None)
    return _page(request, values, password_set=bool(smtp and smtp.password), notice=notice, problem=problem)


def _int(raw: str, field: str, message: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValidationError.field(field, message) from None


@post("/", name="ui_smtp_save")
async def save_smtp(request: Request) -> Response:
    form = await context.form_data(request)
    values = {k: str(form.get(k, "")).strip() for k in (*TEXT_FIELDS, "port", "security", "timeout_seconds")}
    password = str(form.get("password", ""))
    secret = context.settings(request).secret_key
    try:
        smtp = mail.SmtpSettings(
            **{k: values[k] for k in TEXT_FIELDS}, security=values["security"], password=password,
            port=_int(values["port"], "port", _("порт — от 1 до 65535")),
            timeout_seconds=_int(values["timeout_seconds"], "timeout_seconds", _("от 1 до 120 секунд")))
        await context.transaction(request, lambda conn: mail.set_smtp(conn, smtp, secret,
                                                                       keep_password=not password))
    except (ValidationError, Conflict) as exc:
        errors = errors_from(exc.details)
        async with context.acquire(request) as conn:
            stored = await _password_set(conn, secret)
        return _page(request, values, password_set=stored, status=exc.status, errors=errors,
                     problem="" if errors.header else _(exc.message))
    return Redirect(f"{BASE}?notice=smtp_saved", status_code=303)


async def _password_set(conn, secret: str) -> bool:
    try:
        smtp = await mail.get_smtp(conn, secret)
    except Conflict:
        return False
    return bool(smtp and smtp.password)


ROUTES = [Router(BASE, route_handlers=[smtp_page, save_smtp], guards=[allow("admin")])]
