"""``/api/users``: administrators manage accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody

from erp.api.security import allow
from erp.auth.service import add_user, list_users


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=1024)]
    role: Literal["admin", "accountant", "manager"]
    full_name: str = ""


class UserOut(msgspec.Struct):
    id: int
    username: str
    full_name: str
    role: str
    active: bool
    created_at: datetime


@get("/api/users", guards=[allow("admin")], summary="Пользователи", tags=["Пользователи"])
async def users_list(request: Request) -> list[UserOut]:
    async with request.app.state.pool.acquire() as conn:
        return [UserOut(**dict(r)) for r in await list_users(conn)]


@post("/api/users", guards=[allow("admin")], summary="Создать пользователя", tags=["Пользователи"])
async def users_create(request: Request, data: JSONBody[UserCreate]) -> UserOut:
    async with request.app.state.pool.acquire() as conn:
        user_id = await add_user(conn, data.username, data.role, data.password, data.full_name)
        row = next(r for r in await list_users(conn) if r["id"] == user_id)
    return UserOut(**dict(row))


ROUTES = [users_list, users_create]
