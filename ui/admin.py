"""Администрирование (administrators only): users (create, role,
deactivate), the period lock date (дата запрета изменения), organizations and
bank accounts, and the clinic's settings (slot step, default appointment
length, the calendar's day start and end)."""

from __future__ import annotations

import datetime as dt

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect

from erp.api.security import allow
from erp.auth import service as users
from erp.platform import period_lock
from erp.platform.errors import Conflict, ErpError, ValidationError
from erp.services import preferences
from erp.websession import store
from ui import context
from ui.formdata import errors_from
from ui.i18n import gettext as _
from ui.queries import lists
from ui.render import render

NOTICES = {"user_created": "Пользователь создан", "user_changed": "Пользователь изменён",
           "lock_saved": "Дата запрета изменения записана", "settings_saved": "Настройки записаны"}


@get("/", name="ui_admin")
async def index(request: Request) -> Response:
    return render(request, "admin/index.html", section="admin")


async def _users_page(request: Request, *, errors=None, form=None, status: int = 200, notice: str = "") -> Response:
    async with context.acquire(request) as conn:
        rows = await users.list_users(conn)
    return render(request, "admin/users.html", status=status, section="admin", users=rows, roles=users.ROLES,
                  errors=errors or errors_from({}), form=form or {"role": "manager"},
                  notice=_(NOTICES.get(notice, "")), me=request.scope["user"].user_id)


@get("/users", name="ui_admin_users")
async def users_page(request: Request, notice: str = "") -> Response:
    return await _users_page(request, notice=notice)


@post("/users", name="ui_admin_user_create")
async def create_user(request: Request) -> Response:
    form = await context.form_data(request)
    values = {k: str(form.get(k, "")) for k in ("username", "full_name", "role", "password")}
    try:
        async with context.acquire(request) as conn:
            await users.add_user(conn, values["username"].strip(), values["role"], values["password"],
                                 values["full_name"].strip())
    except ErpError as exc:
        errors = errors_from(exc.details)
        errors.other = [_(exc.message)]
        return await _users_page(request, errors=errors, form=values, status=exc.status)
    return Redirect("/admin/users?notice=user_created", status_code=303)


@post("/users/{user_id:int}", name="ui_admin_user_change")
async def change_user(request: Request, user_id: int) -> Response:
    form = await context.form_data(request)
    action = str(form.get("action", ""))
    if user_id == request.scope["user"].user_id and action in ("deactivate", "role"):
        raise Conflict(_("Нельзя отключить себя или снять с себя роль администратора"))
    async with context.acquire(request) as conn, conn.transaction():
        if action == "role":
            await users.set_role(conn, user_id, str(form.get("role", "")))
        elif action in ("deactivate", "activate"):
            await users.set_active(conn, user_id, action == "activate")
        else:
            raise ValidationError.field("action", _("неизвестное действие"))
        if action == "deactivate":
            await store.close_user_sessions(conn, user_id)
    return Redirect("/admin/users?notice=user_changed", status_code=303)


async def _lock_page(request: Request, *, error: str = "", status: int = 200, notice: str = "") -> Response:
    async with context.acquire(request) as conn:
        locks = await period_lock.all_locks(conn)
        names = await lists.ref_names(conn, context.registry(request),
                                           {"organizations": {org for org in locks if org}})
    return render(request, "admin/period_lock.html", status=status, section="admin", locks=locks, names=names,
                  error=error, notice=_(NOTICES.get(notice, "")))


@get("/period-lock", name="ui_admin_lock")
async def lock_page(request: Request, notice: str = "") -> Response:
    return await _lock_page(request, notice=notice)


@post("/period-lock", name="ui_admin_lock_save")
async def save_lock(request: Request) -> Response:
    form = await context.form_data(request)
    raw, org = str(form.get("date", "")).strip(), str(form.get("organization_id", "")).strip()
    try:
        day = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return await _lock_page(request, error=_("Дата: ожидается дата ГГГГ-ММ-ДД"), status=422)
    try:
        async with context.acquire(request) as conn:
            # with the registry, as the API does: a lock of an organization that does not exist is refused
            await period_lock.set_lock(conn, day, int(org) if org.isdigit() else None, context.registry(request))
    except ValidationError as exc:
        return await _lock_page(request, error=str(exc), status=exc.status)
    return Redirect("/admin/period-lock?notice=lock_saved", status_code=303)


@get("/settings", name="ui_admin_settings")
async def settings_page(request: Request, notice: str = "") -> Response:
    return render(request, "admin/settings.html", section="admin", prefs=await context.prefs(request),
                  steps=preferences.STEPS, errors=errors_from({}), notice=_(NOTICES.get(notice, "")), form=None)


@post("/settings", name="ui_admin_settings_save")
async def save_settings(request: Request) -> Response:
    form = await context.form_data(request)
    current = await context.prefs(request)
    try:
        chosen = preferences.parse(form, current)
    except ValidationError as exc:
        return render(request, "admin/settings.html", status=422, section="admin", prefs=current,
                      steps=preferences.STEPS, errors=errors_from(exc.details), notice="", form=form)
    async with context.acquire(request) as conn:
        await preferences.save(conn, chosen, current)
    return Redirect("/admin/settings?notice=settings_saved", status_code=303)


ROUTES = [Router("/admin", route_handlers=[index, users_page, create_user, change_user, lock_page, save_lock,
                                          settings_page, save_settings], guards=[allow("admin")])]
