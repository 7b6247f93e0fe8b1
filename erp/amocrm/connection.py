"""The connected amoCRM account (one per installation): reading, saving, pausing and its status.

The row ``amocrm_connections`` with id 1 holds the base URL, the integration's client id and
(encrypted) secret, the redirect URI, the account (id, subdomain), the (encrypted) token pair with
its expiry, the lead fields resolved by name, and whether delivery is paused (amoCRM answered 403,
or the tokens died) with the alert to show.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from erp.amocrm import crypto
from erp.amocrm.client import origin
from erp.platform import audit

ROW_ID = 1


@dataclass(frozen=True)
class Connection:
    base_url: str
    client_id: str
    redirect_uri: str
    account_id: int | None
    subdomain: str
    expires_at: dt.datetime | None
    refreshed_at: dt.datetime | None
    lead_fields: dict[str, Any]
    paused_at: dt.datetime | None
    pause_code: str
    pause_message: str
    client_secret: str = field(repr=False, default="")
    access_token: str = field(repr=False, default="")
    webhook_secret: str = field(repr=False, default="")

    @property
    def account_origin(self) -> str:
        """Where the account's pages (and so the widget) live."""
        return origin(self.base_url)

    @property
    def our_origin(self) -> str:
        """Our own public origin: the audience of the widget's tokens."""
        return origin(self.redirect_uri)

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


async def load(conn: asyncpg.Connection, secret_key: str, *, for_update: bool = False) -> Connection | None:
    row = await conn.fetchrow("SELECT * FROM amocrm_connections WHERE id = $1" + (" FOR UPDATE" if for_update else ""),
                              ROW_ID)
    if row is None or not row["client_id"]:
        return None
    return Connection(
        base_url=row["base_url"], client_id=row["client_id"], redirect_uri=row["redirect_uri"],
        account_id=row["account_id"], subdomain=row["subdomain"], expires_at=row["expires_at"],
        refreshed_at=row["refreshed_at"], lead_fields=row["lead_fields"] or {}, paused_at=row["paused_at"],
        pause_code=row["pause_code"], pause_message=row["pause_message"],
        client_secret=crypto.decrypt(secret_key, row["client_secret"]),
        access_token=crypto.decrypt(secret_key, row["access_token"]),
        webhook_secret=crypto.decrypt(secret_key, row["webhook_secret"]),
    )


async def public_info(conn: asyncpg.Connection) -> asyncpg.Record | None:
    """What needs no decryption: the account, its origin and the pause."""
    return await conn.fetchrow(
        "SELECT base_url, account_id, subdomain, paused_at FROM amocrm_connections WHERE id = $1 AND client_id <> ''",
        ROW_ID)


_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


async def lead_url_prefix(conn: asyncpg.Connection) -> str | None:
    """``https://{subdomain}.amocrm.ru/leads/detail/`` of the connected account, to which a lead's id is
    appended to open the lead in amoCRM; None when no account is connected (or its subdomain is not one
    a link may carry), and a lead shows as its bare id."""
    subdomain = await conn.fetchval(
        "SELECT subdomain FROM amocrm_connections WHERE id = $1 AND client_id <> ''", ROW_ID)
    subdomain = (subdomain or "").lower()
    return f"https://{subdomain}.amocrm.ru/leads/detail/" if _SUBDOMAIN.match(subdomain) else None


async def save(conn: asyncpg.Connection, secret_key: str, *, base_url: str, client_id: str, client_secret: str,
               redirect_uri: str, account_id: int, subdomain: str, tokens: dict[str, Any]) -> None:
    """Store a fresh connection (a new code was exchanged): tokens, account, no pause. The webhook
    secret survives a reconnection to the same account, so the registered webhook keeps working."""
    old = await conn.fetchrow("SELECT * FROM amocrm_connections WHERE id = $1 FOR UPDATE", ROW_ID)
    webhook_secret = old["webhook_secret"] if old and old["account_id"] == account_id and old["webhook_secret"] \
        else crypto.encrypt(secret_key, secrets.token_urlsafe(32))
    await conn.execute(
        """
        INSERT INTO amocrm_connections (id, base_url, client_id, client_secret, redirect_uri, account_id, subdomain,
            access_token, refresh_token, expires_at, refreshed_at, webhook_secret, lead_fields, paused_at,
            pause_code, pause_message, connected_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10), now(), $11, '{}', NULL,
                '', '', now(), now())
        ON CONFLICT (id) DO UPDATE SET base_url = EXCLUDED.base_url, client_id = EXCLUDED.client_id,
            client_secret = EXCLUDED.client_secret, redirect_uri = EXCLUDED.redirect_uri,
            account_id = EXCLUDED.account_id, subdomain = EXCLUDED.subdomain,
            access_token = EXCLUDED.access_token, refresh_token = EXCLUDED.refresh_token,
            expires_at = EXCLUDED.expires_at, refreshed_at = EXCLUDED.refreshed_at,
            webhook_secret = EXCLUDED.webhook_secret, lead_fields = EXCLUDED.lead_fields, paused_at = NULL,
            pause_code = '', pause_message = '', connected_at = now(), updated_at = now()
        """,
        ROW_ID, base_url.rstrip("/"), client_id, crypto.encrypt(secret_key, client_secret), redirect_uri,
        account_id, subdomain, crypto.encrypt(secret_key, tokens["access_token"]),
        crypto.encrypt(secret_key, tokens["refresh_token"]), float(tokens.get("expires_in") or 86400),
        webhook_secret)
    # The audit log: the changed fields; the secret and the (always new) tokens only as ***.
    before = None
    if old is not None and old["client_id"]:
        before = {k: old[k] for k in _AUDITED} | {"client_secret": _decrypted(secret_key, old["client_secret"]),
                                                  "tokens": "old" if old["access_token"] else ""}
    after = {"base_url": base_url.rstrip("/"), "client_id": client_id, "redirect_uri": redirect_uri,
             "account_id": account_id, "subdomain": subdomain, "client_secret": client_secret, "tokens": "new"}
    await audit.record_setting(conn, "amocrm", before, after, presentation=subdomain,
                               secrets=("client_secret", "tokens"))


_AUDITED = ("base_url", "client_id", "redirect_uri", "account_id", "subdomain")


def _decrypted(secret_key: str, value: str) -> object:
    try:
        return crypto.decrypt(secret_key, value)
    except crypto.SecretUnreadable:  # sealed with another key: it counts as changed, and shows as *** anyway
        return object()


async def save_fields(conn: asyncpg.Connection, fields: dict[str, Any]) -> None:
    async with conn.transaction():
        before = await conn.fetchval("SELECT lead_fields FROM amocrm_connections WHERE id = $1 FOR UPDATE", ROW_ID)
        await conn.execute("UPDATE amocrm_connections SET lead_fields = $2, updated_at = now() WHERE id = $1",
                           ROW_ID, fields)
        await audit.record_setting(conn, "amocrm", {"lead_fields": _field_ids(before)},
                                   {"lead_fields": _field_ids(fields)})


def _field_ids(fields: dict[str, Any] | None) -> dict[str, Any]:
    return {name: (info or {}).get("id") for name, info in (fields or {}).items()}


async def pause(conn: asyncpg.Connection, code: str, message: str) -> None:
    """Stop all delivery until someone resumes it; the status and the UI show ``message``."""
    await conn.execute(
        "UPDATE amocrm_connections SET paused_at = coalesce(paused_at, now()), pause_code = $2, pause_message = $3,"
        " updated_at = now() WHERE id = $1", ROW_ID, code, message)


async def resume(conn: asyncpg.Connection) -> bool:
    """Lift a pause; the pending events go out at once."""
    async with conn.transaction():
        code = await conn.fetchval(
            "UPDATE amocrm_connections c SET paused_at = NULL, pause_code = '', pause_message = '', updated_at = now()"
            " FROM (SELECT pause_code FROM amocrm_connections WHERE id = $1 FOR UPDATE) old"
            " WHERE c.id = $1 AND c.paused_at IS NOT NULL RETURNING old.pause_code", ROW_ID)
        if code is not None:
            await audit.record_setting(conn, "amocrm", {"paused": True, "pause_code": code},
                                       {"paused": False, "pause_code": ""})
        await conn.execute("SELECT pg_notify('amocrm_outbox', '')")
    return code is not None


async def status(conn: asyncpg.Connection) -> dict[str, Any]:
    """The connection and the queue as ``erp amocrm status`` and the Integrations page show them."""
    row = await conn.fetchrow(
        "SELECT base_url, client_id, redirect_uri, account_id, subdomain, expires_at, refreshed_at, lead_fields,"
        " paused_at, pause_code, pause_message, connected_at FROM amocrm_connections WHERE id = $1"
        " AND client_id <> ''", ROW_ID)
    counts = {r["state"]: r["n"] for r in await conn.fetch(
        "SELECT state, count(*) AS n FROM amocrm_events WHERE direction = 'out' GROUP BY state")}
    oldest = await conn.fetchval(
        "SELECT min(created_at) FROM amocrm_events WHERE direction = 'out' AND state IN ('pending', 'in_flight')")
    failed = await conn.fetch(
        "SELECT id, kind, lead_id, contact_id, attempts, last_error, created_at FROM amocrm_events"
        " WHERE direction = 'out' AND state = 'failed' ORDER BY id DESC LIMIT 20")
    queue = {state: counts.get(state, 0) for state in ("pending", "in_flight", "delivered", "failed")}
    out: dict[str, Any] = {"connected": row is not None, "queue": queue, "oldest_pending_at": oldest,
                           "failed_events": [dict(r) for r in failed], "alert": None}
    if row is None:
        return out
    fields = row["lead_fields"] or {}
    out.update({
        "base_url": row["base_url"], "client_id": row["client_id"], "redirect_uri": row["redirect_uri"],
        "account_id": row["account_id"], "subdomain": row["subdomain"], "token_expires_at": row["expires_at"],
        "token_refreshed_at": row["refreshed_at"], "connected_at": row["connected_at"],
        "fields": {name: (info or {}).get("id") for name, info in fields.items()},
        "paused": row["paused_at"] is not None,
    })
    if row["paused_at"] is not None:
        out["alert"] = {"code": row["pause_code"], "message": row["pause_message"], "since": row["paused_at"]}
    return out
