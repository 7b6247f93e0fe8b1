"""What every UI handler reaches for: the pool, the configuration, the
engine, the settings and preferences, the user and the submitted form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from litestar import Request

from erp.platform.db import in_transaction
from erp.platform.errors import Forbidden
from erp.platform.posting import Engine
from erp.services import preferences
from ui.i18n import gettext as _

T = TypeVar("T")


def registry(request: Request):
    return request.app.state.registry


def engine(request: Request) -> Engine:
    return request.app.state.engine


def settings(request: Request):
    return request.app.state.settings


def today(request: Request) -> dt.date:
    return dt.datetime.now(settings(request).tz).date()


def acquire(request: Request):
    return request.app.state.pool.acquire()


async def transaction(request: Request, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(conn)`` in one transaction (retried on deadlocks)."""
    return await in_transaction(request.app.state.pool, work)


async def prefs(request: Request) -> preferences.Preferences:
    cached = request.scope.setdefault("state", {}).get("ui_prefs")
    if cached is None:
        async with acquire(request) as conn:
            cached = await preferences.load(conn, settings(request))
        request.scope["state"]["ui_prefs"] = cached
    return cached


def role(request: Request) -> str:
    return request.scope["user"].role


def can_write(request: Request, obj) -> bool:
    return role(request) in obj.write_roles


def require_write(request: Request, obj) -> None:
    if not can_write(request, obj):
        raise Forbidden(_("Недостаточно прав: этот раздел вам недоступен"))


async def form_data(request: Request) -> dict[str, Any]:
    """The submitted form as ``{name: value}`` (repeated names as lists)."""
    form = await request.form()
    out: dict[str, Any] = {}
    for key in form:
        values = form.getall(key)
        if key == "_csrf_token":
            continue
        out[key] = values if len(values) > 1 else values[0]
    return out
