"""``POST /api/auth/token`` and ``GET /api/auth/me``."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody

from erp.api.security import ANY_USER
from erp.auth.service import Principal, authenticate, issue_token


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int


class Me(msgspec.Struct):
    id: int
    username: str
    role: str


@post("/api/auth/token", status_code=200, summary="Получить токен доступа", tags=["Вход и токены"],
      security=[])
async def token(request: Request, data: JSONBody[TokenRequest]) -> TokenResponse:
    settings = request.app.state.settings
    remote = request.client.host if request.client else ""
    async with request.app.state.pool.acquire() as conn:
        principal = await authenticate(conn, data.username, data.password, remote)
    ttl = settings.token_ttl_seconds
    return TokenResponse(issue_token(principal, settings.secret_key, ttl), "bearer", ttl)


@get("/api/auth/me", guards=[ANY_USER], summary="Текущий пользователь", tags=["Вход и токены"])
async def me(request: Request[Principal, str, object]) -> Me:
    user = request.user
    return Me(user.user_id, user.username, user.role)


ROUTES = [token, me]
