"""Администрирование → Журнал регистрации: who changed what and when, for administrators.

Filters by user, action, object (kind and id) and period, newest first, a
keyset page at a time (the same page sizes as every list). Each row shows the
changed fields with the attribute's title, before and after. Reading goes
through :mod:`erp.platform.audit_query`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router, get

from erp.api.security import allow
from erp.auth import service as users
from erp.platform import audit
from erp.platform.audit_query import list_entries
from erp.platform.keyset import PAGE_SIZES
from ui import audit_values, context
from ui.i18n import gettext as _
from ui.listing import parse_query
from ui.render import page
from ui.session import remember, session_value

BASE = "/admin/audit-log"
PROCESSES = ("amoCRM", "system")


def action_title(action: str) -> str:
    return {"write": _("Запись"), "post": _("Проведение"), "unpost": _("Отмена проведения"),
            "mark": _("Пометка на удаление"), "unmark": _("Снятие пометки удаления"), "create": _("Добавление"),
            "update": _("Изменение"), "purge": _("Удаление помеченных"), "login": _("Вход"),
            "login_failed": _("Неудачный вход"), "settings": _("Изменение настроек")}.get(action, action)


def _settings_titles() -> dict[str, str]:
    return {"setting:period_lock": _("Дата запрета изменения"), "setting:preferences": _("Настройки"),
            "setting:document_defaults": _("Значения по умолчанию"), "setting:smtp": _("Почта (SMTP)"),
            "setting:amocrm": _("Подключение amoCRM"),
            "setting:amocrm_stage_actions": _("Действия при смене этапа"), "user": _("Пользователь")}


def object_kinds(registry) -> list[tuple[str, str]]:
    """``(object kind, title)`` of everything the log can name, for the filter."""
    out = [(f"document:{k.name}", f"{_('Документ')}: {_(k.title)}") for k in registry.documents.values()]
    out += [(f"catalog:{c.name}", f"{_('Справочник')}: {_(c.title)}") for c in registry.catalogs.values()]
    return out + sorted(_settings_titles().items(), key=lambda kv: kv[1])


def _labels(registry, object_kind: str) -> dict[str, str]:
    """The attributes' titles of the object's declaration."""
    group, _sep, name = object_kind.partition(":")
    common = {"number": _("Номер"), "date": _("Дата"), "posted": _("Проведён"), "name": _("Наименование"),
              "code": _("Код"), "deletion_mark": _("Пометка удаления"), "parent_id": _("Группа")}
    if group == "document" and name in registry.documents:
        kind = registry.documents[name]
        return common | {f.name: _(f.label or f.name) for f in kind.header} | {"lines": _(kind.lines_title)}
    if group == "catalog" and name in registry.catalogs:
        return common | {f.name: _(f.label or f.name) for f in registry.catalogs[name].fields}
    return common


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("да")
    if value is False:
        return _("нет")
    if isinstance(value, (list, dict)):
        return msgspec.json.encode(value).decode()
    return str(value)


def _link(object_kind: str, object_id: int | None, registry) -> str:
    group, _sep, name = object_kind.partition(":")
    if object_id is None:
        return ""
    if group == "document" and name in registry.documents:
        return f"/documents/{name}/{object_id}"
    if group == "catalog" and name in registry.catalogs:
        return f"/catalogs/{name}/{object_id}"
    return ""


def present(row: dict[str, Any], registry, titles: dict[str, str], names=None, tz=None) -> dict[str, Any]:
    """A row as the page shows it: titles instead of names, values as an accountant reads them
    (:mod:`ui.audit_values`), a document's lines as a small table."""
    labels = _labels(registry, row["object_kind"])
    fields, line_fields = audit_values.declared_fields(registry, row["object_kind"])
    names = names or {}

    def value(field: str, raw: Any) -> Any:
        if field == "lines" and line_fields:
            return audit_values.lines_table(raw, line_fields, names, tz)
        return audit_values.shown(raw, fields.get(field), names, tz) if field in fields else _text(raw)

    changes = [(labels.get(field, field), value(field, before), value(field, after))
               for field, (before, after) in row["changes"].items()]
    return {**row, "action_title": action_title(row["action"]), "changes": changes,
            "kind_title": titles.get(row["object_kind"], row["object_kind"]),
            "link": _link(row["object_kind"], row["object_id"], registry)}


def _id(text: str) -> int | None:
    """An id typed in the query string; anything else filters nothing (as the page's other fields)."""
    return int(text) if text.isdigit() and 0 < int(text) < 2**63 else None


@get("/", name="ui_audit_log")
async def audit_log(request: Request) -> Response:
    params = request.query_params
    query = parse_query(params, default_sort="at", default_desc=True,
                        remembered_limit=session_value(request, "page_size", 50), filter_names=set())
    if "limit" in params:
        await remember(request, page_size=query.limit)
    chosen = {k: params.get(k, "").strip() for k in ("user_id", "username", "action", "object_kind", "object_id")}
    registry = context.registry(request)
    kinds = object_kinds(registry)
    async with context.acquire(request) as conn:
        rows, cursor = await list_entries(
            conn, context.settings(request).tz, user_id=_id(chosen["user_id"]), username=chosen["username"] or None,
            action=chosen["action"] or None, object_kind=chosen["object_kind"] or None,
            object_id=_id(chosen["object_id"]),
            start=query.start, end=query.end, limit=query.limit, after=query.after)
        names = [u["username"] for u in await users.list_users(conn)]
        tz = context.settings(request).tz
        refs = await audit_values.names_for(conn, registry, rows, tz)
    titles = dict(kinds)
    return page(request, "admin/audit_log.html", "admin/_audit_rows.html", section="admin",
                rows=[present(r, registry, titles, refs, tz) for r in rows], next=cursor, query=query,
                chosen=chosen, kinds=kinds, actions=[(a, action_title(a)) for a in audit.ACTIONS],
                names=[*names, *PROCESSES], page_sizes=PAGE_SIZES, base=BASE)


ROUTES = [Router(BASE, route_handlers=[audit_log], guards=[allow("admin")])]
