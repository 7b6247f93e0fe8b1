"""``GET /api/audit-log``: the журнал регистрации, for administrators."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

import msgspec
from litestar import Request, get
from litestar.params import Parameter

from erp.api.schemas import OptionalId
from erp.api.security import allow
from erp.platform.audit import ACTIONS
from erp.platform.audit_query import list_entries

Action = Literal["write", "post", "unpost", "mark", "unmark", "create", "update", "purge", "login", "login_failed",
                 "settings"]
assert set(get_args(Action)) == set(ACTIONS), "the API's actions are the audit log's"


class AuditEntry(msgspec.Struct):
    id: int
    at: dt.datetime
    user_id: int | None
    username: str
    action: str
    object_kind: str
    object_id: int | None
    presentation: str
    changes: dict[str, Any]
    address: str


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    next: str | None


@get("/api/audit-log", guards=[allow("admin")], tags=["Журнал регистрации"],
     summary="Журнал регистрации: кто, когда и что изменил",
     description="Новые записи первыми. `changes` — только изменённые поля: `{поле: [было, стало]}`; "
                 "секреты показаны как `***`. `object_kind`: `document:<вид>`, `catalog:<справочник>`, "
                 "`setting:<настройка>` или `user`. Период `start`–`end` — дни в часовом поясе клиники; "
                 "следующая страница — `after` из поля `next`.")
async def audit_log(request: Request, user_id: OptionalId = None,
                    username: Annotated[str | None, Parameter(max_length=150)] = None,
                    action: Action | None = None,
                    object_kind: Annotated[str | None, Parameter(max_length=120)] = None,
                    object_id: OptionalId = None,
                    start: dt.date | None = None, end: dt.date | None = None,
                    limit: Literal[25, 50, 100, 200] = 50,
                    after: Annotated[str | None, Parameter(max_length=200)] = None) -> AuditPage:
    tz = request.app.state.settings.tz
    async with request.app.state.pool.acquire() as conn:
        rows, cursor = await list_entries(conn, tz, user_id=user_id, username=username, action=action,
                                          object_kind=object_kind, object_id=object_id, start=start, end=end,
                                          limit=limit, after=after)
    return AuditPage(items=[AuditEntry(**(r | {"at": r["at"].astimezone(tz)})) for r in rows], next=cursor)


ROUTES = [audit_log]
