"""Server-side sessions of the web UI.

The browser's cookie holds a random token; the database keeps only its
SHA-256, the user, an expiry that slides while the user is active, and a
small ``data`` map of per-session choices (page size, calendar step). A
session dies at logout, at expiry, or when its user is deactivated or gets a
new password (a trigger on ``users`` deletes it, whatever path changed the user).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from erp.auth.service import Principal

LIFETIME_SECONDS = 12 * 3600
# Sliding expiry is refreshed at most this often, so most requests only read.
TOUCH_AFTER_SECONDS = 300


@dataclass(frozen=True)
class Session:
    token_hash: str
    principal: Principal
    data: dict[str, Any] = field(default_factory=dict)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(conn: asyncpg.Connection, principal: Principal) -> str:
    """Start a session for ``principal``; return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    await conn.execute("DELETE FROM ui_sessions WHERE expires_at < now()")
    await conn.execute(
        "INSERT INTO ui_sessions (token_hash, user_id, data, created_at, last_seen_at, expires_at)"
        " VALUES ($1, $2, '{}'::jsonb, now(), now(), now() + make_interval(secs => $3))",
        _hash(token), principal.user_id, LIFETIME_SECONDS)
    return token


async def find_session(conn: asyncpg.Connection, token: str) -> Session | None:
    """The live session of an active user with this token, or ``None``."""
    if not token or len(token) > 200:
        return None
    row = await conn.fetchrow(
        "SELECT s.token_hash, s.data, u.id, u.username, u.role,"
        " s.last_seen_at < now() - make_interval(secs => $2) AS stale"
        " FROM ui_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active", _hash(token), TOUCH_AFTER_SECONDS)
    if row is None:
        return None
    if row["stale"]:
        await conn.execute(
            "UPDATE ui_sessions SET last_seen_at = now(), expires_at = now() + make_interval(secs => $2)"
            " WHERE token_hash = $1", row["token_hash"], LIFETIME_SECONDS)
    return Session(row["token_hash"], Principal(row["id"], row["username"], row["role"]), dict(row["data"] or {}))


async def remember(conn: asyncpg.Connection, session: Session, **values: Any) -> None:
    """Keep per-session choices (merged into ``data``)."""
    await conn.execute("UPDATE ui_sessions SET data = data || $2::jsonb WHERE token_hash = $1",
                       session.token_hash, values)


async def close_session(conn: asyncpg.Connection, token: str) -> None:
    await conn.execute("DELETE FROM ui_sessions WHERE token_hash = $1", _hash(token))


async def close_user_sessions(conn: asyncpg.Connection, user_id: int) -> None:
    """Log a user out everywhere (when an admin deactivates them or changes their role)."""
    await conn.execute("DELETE FROM ui_sessions WHERE user_id = $1", user_id)
