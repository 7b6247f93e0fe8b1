"""``/api/period-lock``: the lock date (дата запрета изменения); only admins change it."""

import datetime as dt

import msgspec
from litestar import Request, get, put
from litestar.params import JSONBody

from erp.api.security import ANY_USER, allow
from erp.platform import period_lock


class LockDate(msgspec.Struct, forbid_unknown_fields=True):
    date: dt.date | None
    organization_id: int | None = None


@get("/api/period-lock", guards=[ANY_USER], tags=["Дата запрета изменения"], summary="Даты запрета изменения")
async def read_locks(request: Request) -> list[LockDate]:
    async with request.app.state.pool.acquire() as conn:
        locks = await period_lock.all_locks(conn)
    return [LockDate(date=d, organization_id=org) for org, d in sorted(locks.items(), key=lambda i: i[0] or 0)]


@put("/api/period-lock", guards=[allow("admin")], tags=["Дата запрета изменения"],
     summary="Установить дату запрета изменения (глобальную или организации)")
async def write_lock(request: Request, data: JSONBody[LockDate]) -> LockDate:
    async with request.app.state.pool.acquire() as conn:
        await period_lock.set_lock(conn, data.date, data.organization_id, request.app.state.registry)
    return data


ROUTES = [read_locks, write_lock]
