"""The web UI as a Litestar plugin: its routers, static files and CSRF.

``erp/app/application.py`` adds :class:`UIPlugin` to the application. The plugin adds
two routers that share the session middleware — public pages (login) and
the rest, which need a logged-in user — the static files, and Litestar's
CSRF protection for everything outside the bearer-token API. Errors on UI
routes become HTML (or an ``HX-Redirect`` to the login page), never JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path

from litestar import Request, Response, Router
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.plugins import InitPlugin
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from erp.api.security import ANY_USER
from erp.app.settings import Settings
from erp.platform.db import DISCONNECTS
from erp.platform.errors import ErpError, Forbidden, NotFound, Unauthorized
from erp.printing import images
from ui import (
    admin,
    audit_log,
    bank,
    bank_statements,
    calendar,
    catalog_import,
    client_card,
    document_defaults,
    enterprise_data,
    forms,
    generated,
    home,
    integrations,
    items,
    lists,
    mail_settings,
    money_reports,
    print_templates,
    printing,
    purchase_needs,
    receivables,
    reconciliation,
    reports,
    schedule,
    session,
    signatures,
    stage_actions,
    stock_reports,
    supplier_debts,
)
from ui.i18n import gettext as _
from ui.render import is_htmx, render

log = logging.getLogger("erp.ui")
STATIC = Path(__file__).parent / "static"
CSRF_EXCLUDE = ["^/api/", "^/schema", "^/health", "^/static/"]


def _login_redirect(request: Request) -> Response:
    target = "/login"
    if request.method == "GET":
        target += "?next=" + request.url.path + (f"%3F{request.url.query}" if request.url.query else "")
    if is_htmx(request):
        return Response("", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def _error_page(request: Request, status: int, message: str, details=None) -> Response:
    template = "_error.html" if is_htmx(request) else "error.html"
    return render(request, template, status=status, message=message, details=details or {})


def handle_erp_error(request: Request, exc: ErpError) -> Response:
    if isinstance(exc, Unauthorized):
        return _login_redirect(request)
    if isinstance(exc, Forbidden) and exc.code not in (Forbidden.code, "forbidden_role"):  # a service says why
        return _error_page(request, 403, _(exc.message))
    if isinstance(exc, Forbidden):
        return _error_page(request, 403, _("Недостаточно прав: этот раздел вам недоступен"))
    return _error_page(request, exc.status, _(exc.message), exc.details)


def handle_http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException):
        return _login_redirect(request)
    if isinstance(exc, PermissionDeniedException):
        # Litestar's CSRF middleware refuses with this.
        return _error_page(request, 403, _("Форма устарела или отправлена не отсюда (CSRF). Обновите страницу "
                                           "и повторите."))
    if exc.status_code == 404:
        return _error_page(request, 404, _("Страница не найдена"))
    if exc.status_code == 413:  # over Litestar's request body limit; the UI's only uploads are images
        return _error_page(request, 413, _("Файл слишком большой: картинка печати или подписи — PNG или JPEG "
                                           "не больше %(kb)s КБ") % {"kb": images.MAX_IMAGE_BYTES // 1024})
    return _error_page(request, exc.status_code, _("Неверный запрос"))


def handle_unexpected(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DISCONNECTS):  # PostgreSQL stopped or restarting under the request
        log.warning("database unavailable: %s", type(exc).__name__)
        return _error_page(request, 503, _("База данных временно недоступна. Повторите запрос через несколько "
                                           "секунд."))
    log.exception("UI error", exc_info=exc)
    return _error_page(request, 500, _("Внутренняя ошибка сервера. Она записана в журнал."))


EXCEPTION_HANDLERS = {ErpError: handle_erp_error, HTTPException: handle_http_error, Exception: handle_unexpected}
BIGINT_MAX = 2**63 - 1


async def ids_in_range(request: Request) -> None:
    """An id in a page's address past PostgreSQL's bigint names nothing that can exist: 404, not a 500."""
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 < value <= BIGINT_MAX:
            raise NotFound("Страница не найдена")


def routers() -> list:
    private = [*home.ROUTES, *lists.ROUTES, *items.ROUTES, *forms.ROUTES, *schedule.ROUTES, *calendar.ROUTES,
               *reports.ROUTES, *stock_reports.ROUTES, *integrations.ROUTES, *printing.ROUTES, *admin.ROUTES,
               *purchase_needs.ROUTES, *supplier_debts.ROUTES, *money_reports.ROUTES, *receivables.ROUTES,
               *reconciliation.ROUTES,
               *audit_log.ROUTES, *signatures.ROUTES, *mail_settings.ROUTES, *document_defaults.ROUTES,
               *enterprise_data.ROUTES,
               *print_templates.ROUTES,
               *generated.ROUTES, *catalog_import.ROUTES, *stage_actions.ROUTES, *client_card.ROUTES,
               *bank_statements.ROUTES, *bank.ROUTES]
    return [
        Router("/", route_handlers=session.PUBLIC_ROUTES, middleware=[session.SessionMiddleware],
               exception_handlers=EXCEPTION_HANDLERS, include_in_schema=False),
        Router("/", route_handlers=private, middleware=[session.SessionMiddleware], guards=[ANY_USER],
               exception_handlers=EXCEPTION_HANDLERS, include_in_schema=False, before_request=ids_in_range),
        create_static_files_router("/static/ui", [STATIC], include_in_schema=False, name="ui_static"),
    ]


class UIPlugin(InitPlugin):
    """Adds the web UI to the application."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(routers())
        app_config.state["import_aliases"] = catalog_import.aliases()  # an English export re-imports over the API
        secret = hmac.new(self.settings.secret_key.encode(), b"erp-ui-csrf", hashlib.sha256).hexdigest()
        app_config.csrf_config = CSRFConfig(secret=secret, exclude=CSRF_EXCLUDE, cookie_httponly=True,
                                            cookie_samesite="lax")
        return app_config
