"""Logging in and out of the web UI, and who is asking.

A login opens a server-side session (:mod:`erp.websession.store`); the
browser keeps its random token in an HttpOnly, SameSite=Lax cookie. Every UI
request passes through :class:`SessionMiddleware`, which puts the user
(a :class:`~erp.auth.service.Principal`, exactly what bearer tokens give the
API) into the scope, so the API's role guards work unchanged, and names that
user in the audit log for the request. CSRF is checked
by Litestar's CSRF middleware on every unsafe request outside ``/api``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from erp.api.security import actor_of, client_address
from erp.auth.service import authenticate
from erp.platform import audit
from erp.platform.errors import ErpError, TooManyRequests
from erp.websession import store
from ui import i18n
from ui.render import render

COOKIE = "erp_session"
LANG_COOKIE = "erp_lang"
ONE_YEAR = 365 * 24 * 3600


class SessionMiddleware:
    """Resolve the session cookie into ``scope["user"]`` and set the language."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        litestar_app = scope["litestar_app"]
        cookies = litestar_app.request_class(scope).cookies
        found = None
        token = cookies.get(COOKIE)
        if token:
            async with litestar_app.state.pool.acquire() as conn:
                found = await store.find_session(conn, token)
        scope["user"] = found.principal if found else None
        scope.setdefault("state", {})["ui_session"] = found
        reset = i18n.current.set(i18n.normalize(cookies.get(LANG_COOKIE)))
        reset_zone = i18n.zone.set(litestar_app.state.settings.tz)
        try:
            with audit.actor_scope():
                if found:
                    audit.set_actor(actor_of(found.principal, scope))
                await self.app(scope, receive, send)
        finally:
            i18n.zone.reset(reset_zone)
            i18n.current.reset(reset)


def current_session(request: Request) -> store.Session | None:
    return request.scope.get("state", {}).get("ui_session")


def session_value(request: Request, key: str, default: Any = None) -> Any:
    found = current_session(request)
    return found.data.get(key, default) if found else default


async def remember(request: Request, **values: Any) -> None:
    """Keep the user's choices (page size, calendar step) for the rest of the session."""
    found = current_session(request)
    if found is None or all(found.data.get(k) == v for k, v in values.items()):
        return
    found.data.update(values)
    async with request.app.state.pool.acquire() as conn:
        await store.remember(conn, found, **values)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _session_cookie(request: Request, value: str, max_age: int | None) -> Cookie:
    return Cookie(key=COOKIE, value=value, path="/", httponly=True, samesite="lax",
                  secure=request.url.scheme == "https", max_age=max_age)


@get("/login", name="ui_login_form", include_in_schema=False)
async def login_form(request: Request, next: str = "/") -> Response:
    if request.scope.get("user"):
        return Redirect(safe_next(next))
    return render(request, "login.html", next=safe_next(next), error="", username="")


@post("/login", name="ui_login", include_in_schema=False)
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    remote = client_address(request.scope)
    try:
        if not username or not password:
            raise ErpError(i18n.gettext("Введите имя пользователя и пароль"), status=422)
        async with request.app.state.pool.acquire() as conn:
            principal = await authenticate(conn, username, password, remote)
            token = await store.open_session(conn, principal)
    except ErpError as exc:
        message = exc.message if isinstance(exc, TooManyRequests) or exc.status == 422 \
            else i18n.gettext("Неверное имя пользователя или пароль")
        return render(request, "login.html", status=exc.status, next=target, error=message, username=username)
    response = Redirect(target, status_code=303)
    response.set_cookie(_session_cookie(request, token, store.LIFETIME_SECONDS))
    return response


@post("/logout", name="ui_logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        async with request.app.state.pool.acquire() as conn:
            await store.close_session(conn, token)
    response = Redirect("/login", status_code=303)
    response.set_cookie(_session_cookie(request, "", 0))
    return response


@post("/locale", name="ui_locale", include_in_schema=False)
async def switch_locale(request: Request) -> Response:
    form = await request.form()
    lang = i18n.normalize(str(form.get("lang", "")))
    response = Redirect(safe_next(str(form.get("next", "/"))), status_code=303)
    response.set_cookie(Cookie(key=LANG_COOKIE, value=lang, path="/", httponly=True, samesite="lax",
                               max_age=ONE_YEAR))
    return response


PUBLIC_ROUTES = [login_form, login, logout, switch_locale]
