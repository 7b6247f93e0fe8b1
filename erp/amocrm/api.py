"""``/api/amocrm/*``: the widget's API, the webhook, the OAuth callback, the connection and the exchange log.

Handlers are thin: they parse, call one service of :mod:`erp.amocrm`, and return. The widget's
routes authenticate with amoCRM's disposable token (not our bearer tokens) and answer CORS for the
account's origin only (:mod:`erp.amocrm.cors`); the webhook and the OAuth callback are public too,
each with its own check (the URL's secret, the ``state``).
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response, Router, get, post, route
from litestar.params import Parameter

from erp.amocrm import api_documents, exchange_log, oauth, webhooks, widget
from erp.amocrm import connection as connections
from erp.amocrm.cors import account_cors
from erp.api.headers import inline_style_policy
from erp.api.schemas import Id, OptionalId
from erp.api.security import ANY_USER, allow
from erp.platform.errors import ErpError, ValidationError

TAGS = ["amoCRM"]
ADMIN = [allow("admin")]
HTML = ("text/html",)  # the OAuth callback answers a person in a browser


class DoctorSlots(msgspec.Struct):
    id: int
    name: str
    slots: list[str]
    duration_minutes: int  # how long this doctor's appointment lasts (for a service: their own duration of it)
    taken: dict[str, int] = msgspec.field(default_factory=dict)  # a group service's begun slots: places taken


class WidgetService(msgspec.Struct):
    id: int
    name: str
    price: Decimal
    duration_minutes: int | None
    group_capacity: int | None  # a group service: its places


class WidgetSlots(msgspec.Struct):
    date: dt.date
    step_minutes: int
    duration_minutes: int
    doctors: list[DoctorSlots]


class Appointment(msgspec.Struct):
    request_id: int
    number: str


class ExchangeEvent(msgspec.Struct):
    id: int
    direction: str
    kind: str
    lead_id: int | None
    contact_id: int | None
    state: str
    attempts: int
    last_error: str
    error_details: Any
    result: str
    document_kind: str | None
    document_id: int | None
    payload: dict[str, Any]
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None


class ExchangePage(msgspec.Struct):
    items: list[ExchangeEvent]
    next: str | None


class ConsentIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    client_secret: str
    redirect_uri: str
    base_url: str = ""


class Consent(msgspec.Struct):
    url: str
    state: str


def _state(request: Request):
    s = request.app.state
    return s.pool, s.settings, s.engine


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = msgspec.json.decode(raw or b"null")
    except msgspec.DecodeError:
        raise ErpError("Тело запроса — не корректный JSON", code="malformed_json", status=400) from None
    if not isinstance(data, dict):
        raise ValidationError.field("body", "ожидается JSON-объект")
    return data


# -- the widget ---------------------------------------------------------------------------------


@get("/slots", summary="Виджет: врачи, работающие в этот день, и их свободное время (для услуги — её исполнители)")
async def widget_slots(request: Request, date: dt.date,
                       doctor_id: OptionalId = None, service_id: OptionalId = None) -> WidgetSlots:
    pool, settings, _ = _state(request)
    async with pool.acquire() as conn:
        await widget.authenticate(conn, settings, request.headers.get("x-auth-token"))
        return msgspec.convert(await widget.slots(conn, settings, date, doctor_id, service_id), WidgetSlots)


@get("/services", summary="Виджет: услуги, на которые можно записать (`q` — поиск по наименованию)")
async def widget_services(request: Request, q: str = "") -> list[WidgetService]:
    pool, settings, _ = _state(request)
    async with pool.acquire() as conn:
        await widget.authenticate(conn, settings, request.headers.get("x-auth-token"))
        return msgspec.convert(await widget.services(conn, q), list[WidgetService])


@post("/appointments", status_code=201, summary="Виджет: записать к врачу (проведённая заявка)")
async def widget_appointment(request: Request) -> Appointment:
    pool, settings, engine = _state(request)
    async with pool.acquire() as conn:
        await widget.authenticate(conn, settings, request.headers.get("x-auth-token"))
        data = _json_object(await request.body())
        return Appointment(**await widget.book(conn, engine, settings, data))


@route(["/slots", "/services", "/appointments", *api_documents.PATHS], http_method=["OPTIONS"],
       include_in_schema=False)
async def widget_preflight() -> None:
    """Answered by the CORS middleware before it gets here."""


widget_router = Router("/api/amocrm/widget",
                       route_handlers=[widget_slots, widget_services, widget_appointment, *api_documents.ROUTES,
                                       widget_preflight],
                       middleware=[account_cors], tags=["amoCRM: виджет"], security=[])


# -- webhooks and OAuth ------------------------------------------------------------------------------


@post("/api/amocrm/webhook/{secret:str}", status_code=200, tags=TAGS, security=[],
      summary="Вебхук amoCRM (сделка закрыта, удалена)")
async def webhook(request: Request, secret: str) -> dict[str, Any]:
    pool, settings, engine = _state(request)
    async with pool.acquire() as conn:
        return await webhooks.receive(conn, engine, settings, secret, await request.body())


PAGE_CSS = "body{font-family:sans-serif;margin:3em}"


def _page(title: str, text: str, status: int) -> Response:
    body = (f"<!doctype html><html lang=ru><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{PAGE_CSS}</style><body><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(text)}</p><p><a href='/'>Вернуться в ERP</a></p></body></html>")
    return Response(body, status_code=status, media_type=MediaType.HTML,
                    headers={"Content-Security-Policy": inline_style_policy(PAGE_CSS)})


@get("/api/amocrm/oauth/callback", tags=TAGS, security=[], summary="Возврат из amoCRM после «Подключить»",
     opt={"media_types": {"200": HTML, "400": HTML, "4XX": HTML}})
async def oauth_callback(request: Request, code: str = "", referer: str = "", error: str = "",
                         state_: Annotated[str, Parameter(query="state")] = "") -> Response:
    pool, settings, _ = _state(request)
    if error or not code:
        return _page("amoCRM не подключён", "amoCRM не выдал доступ: " + (error or "нет кода авторизации"), 400)
    async with pool.acquire() as conn:
        try:
            status = await oauth.complete_consent(conn, settings, code=code, state=state_, referer=referer)
        except ErpError as exc:
            return _page("amoCRM не подключён", exc.message, exc.status)
    return _page("amoCRM подключён", f"Аккаунт {status['subdomain']} ({status['account_id']}) подключён. "
                                     "Окно можно закрыть.", 200)


# -- the connection ---------------------------------------------------------------------------------


@get("/api/amocrm/connection", guards=[ANY_USER], tags=TAGS, summary="Подключение amoCRM и очередь обмена")
async def connection_status(request: Request) -> dict[str, Any]:
    pool, _, _ = _state(request)
    async with pool.acquire() as conn:
        return await connections.status(conn)


@post("/api/amocrm/connection/consent", guards=ADMIN, tags=TAGS, status_code=200,
      summary="«Подключить»: ссылка на страницу согласия amoCRM")
async def connection_consent(request: Request, data: ConsentIn) -> Consent:
    pool, settings, _ = _state(request)
    async with pool.acquire() as conn:
        return Consent(**await oauth.start_consent(conn, settings, client_id=data.client_id,
                                                   client_secret=data.client_secret,
                                                   redirect_uri=data.redirect_uri, base_url=data.base_url))


@post("/api/amocrm/connection/resume", guards=ADMIN, tags=TAGS, status_code=200,
      summary="Возобновить обмен после паузы (403, отозванные токены)")
async def connection_resume(request: Request) -> dict[str, Any]:
    pool, _, _ = _state(request)
    async with pool.acquire() as conn:
        await connections.resume(conn)
        return await connections.status(conn)


@post("/api/amocrm/connection/fields", guards=ADMIN, tags=TAGS, status_code=200,
      summary="Найти поля сделки заново (`create=true` — создать недостающие)")
async def connection_fields(request: Request, create: bool = False) -> dict[str, Any]:
    pool, settings, _ = _state(request)
    async with pool.acquire() as conn:
        await oauth.refresh_fields(conn, settings, create=create)
        return await connections.status(conn)


@post("/api/amocrm/connection/webhook", guards=ADMIN, tags=TAGS, status_code=200,
      summary="Зарегистрировать вебхук в amoCRM")
async def connection_webhook(request: Request, public_url: str | None = None) -> dict[str, Any]:
    pool, settings, _ = _state(request)
    async with pool.acquire() as conn:
        return await webhooks.register(conn, settings, public_url)


# -- the exchange log -----------------------------------------------------------------------------------


@get("/api/amocrm/exchange-log", guards=[ANY_USER], tags=TAGS, summary="Журнал обмена с amoCRM")
async def exchange(request: Request, state_: Annotated[str | None, Parameter(query="state")] = None,
                   direction: str | None = None,
                   kind: str | None = None, lead_id: OptionalId = None,
                   start: dt.date | None = None, end: dt.date | None = None, limit: int = 50,
                   after: str | None = None) -> ExchangePage:
    pool, settings, _ = _state(request)
    async with pool.acquire() as conn:
        rows, cursor = await exchange_log.list_events(conn, settings.tz, state=state_, direction=direction, kind=kind,
                                                      lead_id=lead_id, start=start, end=end, limit=limit, after=after)
    return ExchangePage(items=msgspec.convert(rows, list[ExchangeEvent]), next=cursor)


@post("/api/amocrm/exchange-log/{event_id:int}/retry", guards=[ANY_USER], tags=TAGS, status_code=200,
      summary="Повторить отправку события")
async def exchange_retry(request: Request, event_id: Id) -> ExchangeEvent:
    pool, _, _ = _state(request)
    async with pool.acquire() as conn:
        return msgspec.convert(await exchange_log.retry(conn, event_id), ExchangeEvent)


ROUTES = [widget_router, webhook, oauth_callback, connection_status, connection_consent, connection_resume,
          connection_fields, connection_webhook, exchange, exchange_retry]
