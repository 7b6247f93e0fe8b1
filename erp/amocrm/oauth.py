"""Connecting an amoCRM account: with an authorization code (``erp amocrm connect``), or from the UI's
"Подключить" link through amoCRM's consent page and back to ``/api/amocrm/oauth/callback``.

Either way the code is exchanged for a token pair, the account is read (``GET /api/v4/account``:
``id`` and ``subdomain``), the connection is stored with its secrets encrypted, and the lead fields
are resolved by name. The consent round trip carries a random ``state`` that must come back
unchanged within an hour, once; the account's address comes from amoCRM's ``referer`` only when it
is an amoCRM domain, so a forged callback cannot make us send the client secret elsewhere.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

import asyncpg
import httpx

from erp.amocrm import connection as connections
from erp.amocrm import crypto, fields, tokens
from erp.amocrm.client import AmoError, origin
from erp.amocrm.gate import DEFAULT_POLICY, Gate, Policy
from erp.app.settings import Settings
from erp.platform.errors import ErpError, ValidationError

CONSENT_URL = "https://www.amocrm.ru/oauth"
STATE_TTL = "1 hour"
AMOCRM_HOST = re.compile(r"^[a-z0-9][a-z0-9-]*\.(amocrm\.ru|amocrm\.com|kommo\.com)$")


class AmoUnavailable(ErpError):
    """amoCRM refused or failed a call made on a user's behalf."""

    status = 502
    code = "amocrm_error"


def http_url(name: str, value: str) -> str:
    """``value`` if it is an absolute http(s) address, else a 422 on field ``name``."""
    try:
        parts = urlsplit(value or "")
    except ValueError:  # e.g. "http://[" (a broken IPv6 host)
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.netloc
            or any(c.isspace() or not c.isprintable() for c in value)):
        raise ValidationError.field(name, "нужен адрес вида https://…")
    return value.rstrip("/") if name == "base_url" else value


def _required(name: str, value: str) -> str:
    if not value or not value.strip():
        raise ValidationError.field(name, "обязательное поле не заполнено")
    return value.strip()


async def connect(conn: asyncpg.Connection, settings: Settings, *, base_url: str, client_id: str,
                  client_secret: str, redirect_uri: str, code: str, create_fields: bool = False,
                  policy: Policy = DEFAULT_POLICY, transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """Exchange ``code``, read the account, store the connection, resolve the lead fields.
    Returns the status; raises :class:`~erp.amocrm.fields.MissingFields` (the connection is kept)."""
    base_url, redirect_uri = http_url("base_url", base_url), http_url("redirect_uri", redirect_uri)
    client_id, client_secret, code = (_required("client_id", client_id), _required("client_secret", client_secret),
                                      _required("code", code))
    gate = await Gate.wait_for(conn, settings, base_url=base_url, policy=policy, transport=transport)
    try:
        async with gate:
            pair = await tokens.exchange_code(gate, client_id=client_id, client_secret=client_secret,
                                              redirect_uri=redirect_uri, code=code)
            account = await gate.send("GET", "/api/v4/account", pair["access_token"])
            if not isinstance(account, dict) or not isinstance(account.get("id"), int):
                raise AmoError("amoCRM не вернул аккаунт (GET /api/v4/account)")
            async with conn.transaction():
                await connections.save(conn, settings.secret_key, base_url=base_url, client_id=client_id,
                                       client_secret=client_secret, redirect_uri=redirect_uri,
                                       account_id=account["id"], subdomain=str(account.get("subdomain") or ""),
                                       tokens=pair)
            gate.account = await connections.load(conn, settings.secret_key)
            await fields.resolve(gate, conn, create=create_fields)
    except AmoError as exc:
        raise AmoUnavailable(exc.message, details={"amocrm_status": exc.status}) from None
    return await connections.status(conn)


async def refresh_fields(conn: asyncpg.Connection, settings: Settings, *, create: bool = False,
                         transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """Resolve the lead fields again (after an admin added or renamed them in amoCRM)."""
    gate = await Gate.wait_for(conn, settings, transport=transport)
    try:
        async with gate:
            if gate.account is None:
                raise ErpError("amoCRM не подключён: выполните «erp amocrm connect»", code="amocrm_not_connected",
                               status=409)
            return await fields.resolve(gate, conn, create=create)
    except AmoError as exc:
        raise AmoUnavailable(exc.message, details={"amocrm_status": exc.status}) from None


async def start_consent(conn: asyncpg.Connection, settings: Settings, *, client_id: str, client_secret: str,
                        redirect_uri: str, base_url: str = "") -> dict[str, str]:
    """The "Подключить" link: amoCRM's consent page with a fresh ``state``, remembered with the
    credentials until amoCRM redirects back."""
    client_id, client_secret = _required("client_id", client_id), _required("client_secret", client_secret)
    redirect_uri = http_url("redirect_uri", redirect_uri)
    base_url = http_url("base_url", base_url) if base_url else ""
    state = secrets.token_urlsafe(24)
    await conn.execute(f"DELETE FROM amocrm_oauth_states WHERE created_at < now() - interval '{STATE_TTL}'")
    await conn.execute(
        "INSERT INTO amocrm_oauth_states (state, base_url, client_id, client_secret, redirect_uri)"
        " VALUES ($1, $2, $3, $4, $5)", state, base_url, client_id, crypto.encrypt(settings.secret_key, client_secret),
        redirect_uri)
    host = urlsplit(base_url).hostname or ""
    consent = CONSENT_URL if not base_url or AMOCRM_HOST.match(host) else f"{origin(base_url)}/oauth"
    return {"url": f"{consent}?{urlencode({'client_id': client_id, 'state': state})}", "state": state}


def _base_from_referer(referer: str) -> str:
    host = (referer or "").strip().lower()
    if not AMOCRM_HOST.match(host):
        raise ValidationError.field("referer", "адрес аккаунта amoCRM не распознан")
    return f"https://{host}"


async def complete_consent(conn: asyncpg.Connection, settings: Settings, *, code: str, state: str,
                           referer: str = "", transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """amoCRM's redirect back: check ``state`` (known, fresh, unused), then connect."""
    row = await conn.fetchrow(
        f"DELETE FROM amocrm_oauth_states WHERE state = $1 AND created_at > now() - interval '{STATE_TTL}'"
        " RETURNING base_url, client_id, client_secret, redirect_uri", state or "")
    if row is None:
        raise ValidationError.field("state", "подключение не начиналось или устарело: нажмите «Подключить» ещё раз")
    base_url = row["base_url"]
    if base_url and referer and urlsplit(f"//{referer}").netloc.lower() != urlsplit(base_url).netloc.lower():
        raise ValidationError.field("referer", f"amoCRM вернул другой аккаунт ({referer})")
    return await connect(conn, settings, base_url=base_url or _base_from_referer(referer), client_id=row["client_id"],
                         client_secret=crypto.decrypt(settings.secret_key, row["client_secret"]),
                         redirect_uri=row["redirect_uri"], code=code, transport=transport)
