"""Who is calling: bearer tokens on ``/api``, and the one-line role guard.

Every ``/api/...`` route needs a valid token except the public ones listed in
:data:`PUBLIC_API_PREFIXES`. A route states its roles with
``guards=[allow("admin", "accountant")]``. The token's user is also who the
audit log names for the rest of the request.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Receive, Scope, Send

from erp.auth.service import ROLES, Principal, read_token, still_active
from erp.platform import audit
from erp.platform.errors import Forbidden, Unauthorized

PUBLIC_API_PREFIXES = (
    "/api/auth/token",
    "/api/amocrm/widget/",
    "/api/amocrm/webhook/",
    "/api/amocrm/oauth/",
)


def is_public(path: str) -> bool:
    return not path.startswith("/api/") or path.startswith(PUBLIC_API_PREFIXES)


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


def actor_of(principal: Principal, scope: Scope) -> audit.Actor:
    return audit.Actor(principal.user_id, principal.username, client_address(scope))


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with audit.actor_scope():
            await super().__call__(scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        if is_public(connection.url.path):
            return AuthenticationResult(user=None, auth=None)
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized(
                "Требуется вход: передайте заголовок Authorization: Bearer <токен>",
                code="missing_token",
            )
        principal = read_token(token.strip(), connection.app.state.settings.secret_key)
        async with connection.app.state.pool.acquire() as conn:
            active = await still_active(conn, principal)
        if not active:
            raise Unauthorized("Пользователь отключён или его роль изменилась: получите новый токен",
                               code="token_revoked")
        audit.set_actor(actor_of(principal, connection.scope))
        return AuthenticationResult(user=principal, auth=token)


def allow(*roles: str):
    """A guard that lets only ``roles`` through (403 for the others)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        # A coroutine: Litestar runs a plain-function guard in a worker thread on every request.
        user = connection.scope.get("user")
        if not isinstance(user, Principal):
            raise Unauthorized("Требуется вход", code="missing_token")
        if user.role not in roles:
            raise Forbidden(
                f"Роль «{user.role}» не может выполнить это действие",
                code="forbidden_role",
                details={"allowed_roles": list(roles)},
            )

    guard.__name__ = f"allow_{'_'.join(roles)}"
    return guard


ANY_USER = allow(*ROLES)
