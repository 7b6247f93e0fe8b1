"""Интеграции: the amoCRM connection and the exchange log (журнал обмена).

The connection page shows the account, the token's expiry, the lead fields
found by name, the queue, and a visible alert while delivery is paused; an
administrator starts the connection with "Подключить" (amoCRM's consent
page, back to ``/api/amocrm/oauth/callback``). The log filters by state,
lead and date, shows each event's error, and sends a failed event again with
"Повторить". Everything goes through :mod:`erp.amocrm`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from erp.amocrm import connection as connections
from erp.amocrm import exchange_log, oauth
from erp.platform.errors import ErpError, Forbidden
from erp.platform.keyset import PAGE_SIZES
from ui import context
from ui.formdata import errors_from
from ui.i18n import gettext as _
from ui.listing import parse_query
from ui.render import page, render
from ui.session import remember, safe_next, session_value

NOTICES = {"retried": "Событие снова поставлено в очередь", "resumed": "Обмен возобновлён",
           "fields": "Поля сделки найдены заново"}


@dataclass
class FailedEvents:
    """For the home page: failed outgoing events and whether delivery is paused."""

    available: bool = False
    count: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    paused: str = ""


async def failed_events(request: Request, limit: int = 10) -> FailedEvents:
    async with context.acquire(request) as conn:
        status = await connections.status(conn)
    alert = status.get("alert") or {}
    return FailedEvents(available=status["connected"], count=status["queue"]["failed"],
                        events=[{**e, "error": e["last_error"]} for e in status["failed_events"][:limit]],
                        paused=alert.get("message", "") if alert else "")


def _require_admin(request: Request) -> None:
    if context.role(request) != "admin":
        raise Forbidden(_("Подключать amoCRM может только администратор"))


def _redirect_uri(request: Request) -> str:
    return f"{request.base_url}".rstrip("/") + "/api/amocrm/oauth/callback"


async def _page(request: Request, *, errors=None, form=None, status: int = 200, notice: str = "") -> Response:
    async with context.acquire(request) as conn:
        state = await connections.status(conn)
    defaults = {"base_url": state.get("base_url", ""), "client_id": state.get("client_id", ""),
                "redirect_uri": state.get("redirect_uri") or _redirect_uri(request), "client_secret": ""}
    return render(request, "integrations/amocrm.html", status=status, section="integrations", state=state,
                  form=form or defaults, errors=errors or errors_from({}), notice=_(NOTICES.get(notice, "")),
                  is_admin=context.role(request) == "admin")


@get("/integrations", name="ui_integrations")
async def amocrm_page(request: Request, notice: str = "") -> Response:
    return await _page(request, notice=notice)


@post("/integrations/amocrm/connect", name="ui_amocrm_connect")
async def connect(request: Request) -> Response:
    """"Подключить": remember the credentials and go to amoCRM's consent page."""
    _require_admin(request)
    form = {k: str(v).strip() for k, v in (await context.form_data(request)).items()}
    try:
        async with context.acquire(request) as conn:
            consent = await oauth.start_consent(
                conn, context.settings(request), client_id=form.get("client_id", ""),
                client_secret=form.get("client_secret", ""), redirect_uri=form.get("redirect_uri", ""),
                base_url=form.get("base_url", ""))
    except ErpError as exc:
        errors = errors_from(exc.details)
        errors.other = [_(exc.message)]
        return await _page(request, errors=errors, form={**form, "client_secret": ""}, status=exc.status)
    return Redirect(consent["url"], status_code=303)


@post("/integrations/amocrm/resume", name="ui_amocrm_resume")
async def resume(request: Request) -> Response:
    _require_admin(request)
    async with context.acquire(request) as conn:
        await connections.resume(conn)
    return Redirect("/integrations?notice=resumed", status_code=303)


@post("/integrations/amocrm/fields", name="ui_amocrm_fields")
async def refresh_fields(request: Request) -> Response:
    _require_admin(request)
    async with context.acquire(request) as conn:
        await oauth.refresh_fields(conn, context.settings(request))
    return Redirect("/integrations?notice=fields", status_code=303)


@get("/integrations/exchange-log", name="ui_exchange_log")
async def exchange(request: Request, notice: str = "") -> Response:
    params = request.query_params
    query = parse_query(params, default_sort="id", default_desc=True,
                        remembered_limit=session_value(request, "page_size", 50), filter_names=set())
    if "limit" in params:
        await remember(request, page_size=query.limit)
    lead = params.get("lead_id", "")
    async with context.acquire(request) as conn:
        rows, cursor = await exchange_log.list_events(
            conn, context.settings(request).tz, state=params.get("state") or None,
            direction=params.get("direction") or None, kind=params.get("kind") or None,
            lead_id=int(lead) if lead.isdigit() and int(lead) < 2**63 else None, start=query.start, end=query.end,
            limit=query.limit, after=query.after)
        status = await connections.status(conn)
    return page(request, "integrations/log.html", "integrations/_log_rows.html", section="integrations", rows=rows,
                next=cursor, query=query, states=exchange_log.STATES, state=params.get("state", ""), lead=lead,
                state_titles=exchange_log.STATE_TITLES, kind_titles=exchange_log.KIND_TITLES,
                alert=status.get("alert"), page_sizes=PAGE_SIZES, notice=_(NOTICES.get(notice, "")))


@post("/integrations/exchange-log/{event_id:int}/retry", name="ui_exchange_retry")
async def retry(request: Request, event_id: int) -> Response:
    form = await context.form_data(request)
    async with context.acquire(request) as conn:
        await exchange_log.retry(conn, event_id)
    target = safe_next(str(form.get("back", "")) or "/integrations/exchange-log")
    return Redirect(target + ("&" if "?" in target else "?") + "notice=retried", status_code=303)


ROUTES = [amocrm_page, connect, resume, refresh_fields, exchange, retry]
