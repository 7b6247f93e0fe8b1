"""Rendering pages and fragments.

A page template includes its fragments; when htmx asks (``HX-Request``) the
handler gets only the fragment back, as in htmx's contact-app. Every page
gets the current user, the sections panel for their role, the CSRF token
and the language.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.utils.scope.state import ScopeState

from erp.services.labels import CHOICE_LABELS
from ui import i18n

TEMPLATES = Path(__file__).parent / "templates"
STATIC_URL = "/static/ui"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    href: str
    roles: tuple[str, ...] = ("admin", "accountant", "manager")


SECTIONS = (
    Section("home", "Главное", "/"),
    Section("catalogs", "Справочники", "/catalogs"),
    Section("documents", "Документы", "/documents"),
    Section("bank", "Банк и касса", "/bank", roles=("admin", "accountant")),
    Section("schedule", "Расписание", "/schedule"),
    Section("reports", "Отчёты", "/reports"),
    Section("integrations", "Интеграции", "/integrations"),
    Section("admin", "Администрирование", "/admin", roles=("admin",)),
)



def choice_label(value: Any) -> str:
    if value is None:
        return ""
    return i18n.gettext(CHOICE_LABELS.get(str(value), str(value)))


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True)
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(money=i18n.money, number=i18n.number, date=i18n.date, time=i18n.time, datetime=i18n.datetime,
                       month=i18n.month, weekday=i18n.weekday, day_long=i18n.day_long, choice=choice_label,
                       t=i18n.gettext)
    env.globals.update(static=STATIC_URL)
    return env


ENV = _env()


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def sections_for(role: str | None) -> list[Section]:
    return [s for s in SECTIONS if role in s.roles]


def html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(text, status_code=status, media_type="text/html; charset=utf-8", headers=headers)


def csrf_token(request: Request) -> str:
    """The request's CSRF token; none (Litestar's ``Empty``) when the request was refused
    before the CSRF middleware ran, e.g. a body over the size limit."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def render(request: Request, template: str, *, status: int = 200, section: str = "",
           headers: dict[str, str] | None = None, **context: Any) -> Response:
    """Render ``template`` as a whole page (or as is, when it is a fragment)."""
    user = request.scope.get("user")
    settings = request.app.state.settings
    role = getattr(user, "role", None)
    base = {
        "request": request, "user": user, "role": role, "lang": i18n.current.get(),
        "sections": sections_for(role) if user else [], "section": section,
        "csrf_token": csrf_token(request),
        "tz": settings.tz, "path": request.url.path, "fragment": False,
    }
    return html(ENV.get_template(template).render({**base, **context}), status, headers)


def page(request: Request, template: str, fragment: str, **context: Any) -> Response:
    """The whole page, or only ``fragment`` when htmx asks for it."""
    partial = is_htmx(request)
    return render(request, fragment if partial else template, fragment=partial, **context)
