"""OAuth 2.0 tokens: the code exchange, and the refresh that must happen exactly once.

amoCRM's refresh token works once: a new pair revokes the old one, and presenting a used refresh
token gets 401, which would cut the integration off. So a refresh is single-flight across every
process: it locks the connection row (``SELECT … FOR UPDATE``), re-checks whether somebody else
refreshed meanwhile, calls amoCRM, and stores the new pair in the same transaction, before the new
access token is used anywhere.

Tokens are refreshed when the access token is about to expire (or a call got 401), and at least
every :data:`IDLE_REFRESH` even when nothing is sent, because an unused refresh token dies after
three months.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from erp.amocrm import crypto
from erp.amocrm.client import AmoError, Invalid, Unauthorized
from erp.amocrm.connection import ROW_ID

if TYPE_CHECKING:
    from erp.amocrm.gate import Gate

EXPIRY_MARGIN = dt.timedelta(minutes=10)
IDLE_REFRESH = dt.timedelta(days=25)
TOKEN_PATH = "/oauth2/access_token"

DUE_SQL = "(expires_at IS NULL OR expires_at < now() + $2::interval OR refreshed_at < now() - $3::interval)"


class ReconnectNeeded(AmoError):
    """amoCRM refused the refresh token or the client secret: only a new authorization helps."""


def check_pair(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
        raise AmoError("amoCRM вернул ответ без пары токенов")
    return body


async def exchange_code(gate: Gate, *, client_id: str, client_secret: str, redirect_uri: str,
                        code: str) -> dict[str, Any]:
    """Trade an authorization code for the first token pair."""
    try:
        body = await gate.oauth({
            "client_id": client_id, "client_secret": client_secret, "grant_type": "authorization_code",
            "code": code, "redirect_uri": redirect_uri})
    except (Invalid, Unauthorized) as exc:
        raise ReconnectNeeded(f"amoCRM не принял код авторизации: {exc.message}. Получите новый код "
                              "(коды одноразовые и живут 20 минут) и проверьте client_id, секрет и redirect_uri",
                              status=exc.status) from None
    return check_pair(body)


async def is_due(conn) -> bool:
    """Does the stored pair need a refresh now (about to expire, or idle too long)?"""
    return bool(await conn.fetchval(f"SELECT {DUE_SQL} FROM amocrm_connections WHERE id = $1",
                                    ROW_ID, EXPIRY_MARGIN, IDLE_REFRESH))


async def refresh(gate: Gate, stale_access: str) -> str:
    """A valid access token: the one another process just stored, or a freshly refreshed one.
    ``stale_access`` is the token the caller found wanting (expired, idle, or answered 401)."""
    conn, key = gate.conn, gate.settings.secret_key
    async with conn.transaction():
        row = await conn.fetchrow(
            f"SELECT client_id, client_secret, redirect_uri, access_token, refresh_token, {DUE_SQL} AS due"
            " FROM amocrm_connections WHERE id = $1 FOR UPDATE", ROW_ID, EXPIRY_MARGIN, IDLE_REFRESH)
        current = crypto.decrypt(key, row["access_token"])
        if current != stale_access and not row["due"]:
            gate.use_token(current)
            return current
        try:
            body = await gate.oauth({
                "client_id": row["client_id"], "client_secret": crypto.decrypt(key, row["client_secret"]),
                "grant_type": "refresh_token", "refresh_token": crypto.decrypt(key, row["refresh_token"]),
                "redirect_uri": row["redirect_uri"]})
        except (Invalid, Unauthorized) as exc:
            raise ReconnectNeeded(
                f"amoCRM не обновил токены ({exc.message}). Подключите amoCRM заново", status=exc.status) from None
        pair = check_pair(body)
        await conn.execute(
            "UPDATE amocrm_connections SET access_token = $2, refresh_token = $3,"
            " expires_at = now() + make_interval(secs => $4), refreshed_at = now(), updated_at = now()"
            " WHERE id = $1", ROW_ID, crypto.encrypt(key, pair["access_token"]),
            crypto.encrypt(key, pair["refresh_token"]), float(pair.get("expires_in") or 86400))
    gate.use_token(pair["access_token"])
    return pair["access_token"]
