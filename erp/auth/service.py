"""Users and their credentials.

Passwords are stored as argon2 hashes. API clients trade a username and a
password for a short-lived HS256 bearer token signed with ``ERP_SECRET_KEY``.
Password checks are throttled per username and per address by a counter in
the database, taken atomically before the check, so the limit holds under
parallel attempts and across every process. A token carries its user's token
generation, which a trigger on ``users`` moves on at every change of role,
``active`` or password: a token refused once stays refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import asyncpg
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from erp.platform import audit
from erp.platform.errors import TooManyRequests, Unauthorized, ValidationError

ROLES = ("admin", "accountant", "manager")
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60
_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so that timing
# does not tell which usernames exist.
_DUMMY_HASH = _hasher.hash("not a password")


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    role: str
    generation: int = 0


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_new_user(username: str, role: str, password: str) -> None:
    if not username or len(username) > 150 or username.strip() != username:
        raise ValidationError.field("username", "имя пользователя пустое или с пробелами по краям")
    if role not in ROLES:
        raise ValidationError.field("role", f"роль должна быть одной из: {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValidationError.field("password", "пароль должен быть не короче 8 символов")


async def add_user(conn: asyncpg.Connection, username: str, role: str, password: str,
                   full_name: str = "") -> int:
    check_new_user(username, role, password)
    try:
        async with conn.transaction():
            user_id = await conn.fetchval(
                "INSERT INTO users (username, full_name, password_hash, role, active, created_at)"
                " VALUES ($1, $2, $3, $4, true, now()) RETURNING id",
                username, full_name, hash_password(password), role,
            )
            await audit.record(conn, "create", "user", object_id=user_id, presentation=username, changes=audit.diff(
                None, {"username": username, "full_name": full_name, "role": role, "active": True,
                       "password": password}, secrets=("password",)))
            return user_id
    except asyncpg.UniqueViolationError:
        raise ValidationError.field("username", f"пользователь «{username}» уже есть",
                                    code="duplicate") from None


async def list_users(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, username, full_name, role, active, created_at FROM users ORDER BY username"
    )


async def set_role(conn: asyncpg.Connection, user_id: int, role: str) -> None:
    if role not in ROLES:
        raise ValidationError.field("role", f"роль должна быть одной из: {', '.join(ROLES)}")
    await _change(conn, user_id, "role", role)


async def set_active(conn: asyncpg.Connection, user_id: int, active: bool) -> None:
    """A deactivated user cannot log in, and their UI sessions end."""
    await _change(conn, user_id, "active", active)


async def _change(conn: asyncpg.Connection, user_id: int, column: str, value) -> None:
    async with conn.transaction():
        before = await conn.fetchrow(f"SELECT username, {column} FROM users WHERE id = $1 FOR UPDATE", user_id)
        if before is None:
            raise ValidationError.field("user_id", "пользователь не найден")
        await conn.execute(f"UPDATE users SET {column} = $2 WHERE id = $1", user_id, value)
        await audit.record(conn, "update", "user", object_id=user_id, presentation=before["username"],
                           changes=audit.diff({column: before[column]}, {column: value}))


# One statement counts the attempt for the username and for the address and returns both counts, so
# parallel attempts (in any number of processes) each see a distinct count: at most MAX_FAILURES of
# them go on to check the password. A window older than FAILURE_WINDOW_SECONDS starts again at 1.
_COUNT_ATTEMPT = (
    "INSERT INTO login_attempts AS a (key, attempts, window_start) VALUES ($1, 1, now()), ($2, 1, now())"
    " ON CONFLICT (key) DO UPDATE SET"
    " attempts = CASE WHEN a.window_start > now() - make_interval(secs => $3) THEN a.attempts + 1 ELSE 1 END,"
    " window_start = CASE WHEN a.window_start > now() - make_interval(secs => $3) THEN a.window_start"
    " ELSE now() END"
    " RETURNING key, attempts"
)


async def authenticate(conn: asyncpg.Connection, username: str, password: str,
                       remote: str = "") -> Principal:
    """Check the password; after MAX_FAILURES wrong ones for a username (or
    four times that many from one address) within the window, refuse with 429.

    Every attempt is counted before the password is checked; a successful one
    is taken back (the username's count starts again, the address's loses it).
    The audit log gets the login, or the failed attempt (never the password).
    Call it outside a transaction: the failure must stay recorded although the
    login is refused."""
    user_key, remote_key = f"u:{username[:200]}", f"r:{(remote or '-')[:200]}"
    counts = dict(await conn.fetch(_COUNT_ATTEMPT, user_key, remote_key, FAILURE_WINDOW_SECONDS))
    if counts[user_key] > MAX_FAILURES or counts[remote_key] > MAX_FAILURES * 4:
        raise TooManyRequests(
            "Слишком много неудачных попыток входа. Повторите через 15 минут.",
            code="login_throttled",
        )
    row = await conn.fetchrow(
        "SELECT id, username, role, password_hash, active, token_generation FROM users WHERE username = $1", username
    )
    try:
        ok = _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not (ok and row and row["active"]):
        reason = "нет такого пользователя" if row is None else "неверный пароль" if not ok else "пользователь отключён"
        await audit.record(conn, "login_failed", "user", object_id=row["id"] if row else None, presentation=reason,
                           actor=audit.Actor(None, username[:150], remote))
        raise Unauthorized("Неверное имя пользователя или пароль", code="invalid_credentials")
    await conn.execute(
        "WITH u AS (DELETE FROM login_attempts WHERE key = $1)"
        " UPDATE login_attempts SET attempts = greatest(attempts - 1, 0) WHERE key = $2", user_key, remote_key)
    await audit.record(conn, "login", "user", object_id=row["id"], presentation=row["username"],
                       actor=audit.Actor(row["id"], row["username"], remote))
    return Principal(row["id"], row["username"], row["role"], row["token_generation"])


async def purge_login_attempts(conn: asyncpg.Connection | asyncpg.Pool) -> None:
    """Forget the counters of windows that are over."""
    await conn.execute("DELETE FROM login_attempts WHERE window_start < now() - make_interval(secs => $1)",
                       FAILURE_WINDOW_SECONDS)


def issue_token(principal: Principal, secret: str, ttl: int) -> str:
    now = int(time.time())
    claims = {"sub": str(principal.user_id), "name": principal.username, "role": principal.role,
              "gen": principal.generation, "iat": now, "exp": now + ttl, "typ": "erp-access"}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(token: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"require": ["exp", "sub", "role"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Срок действия токена истёк", code="token_expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("Недействительный токен", code="invalid_token") from None
    generation = claims.get("gen", -1)  # a token without one is from before generations: refused as revoked
    if (claims.get("typ") != "erp-access" or claims.get("role") not in ROLES
            or not (str(claims["sub"]).isascii() and str(claims["sub"]).isdigit())
            or type(generation) is not int or not -1 <= generation < 2**63):
        raise Unauthorized("Недействительный токен", code="invalid_token")
    return Principal(int(claims["sub"]), str(claims.get("name", "")), claims["role"], generation)


async def still_active(conn: asyncpg.Connection, principal: Principal) -> bool:
    """The token's user is active, in the token's role and still in the token's generation."""
    return bool(await conn.fetchval(
        "SELECT active FROM users WHERE id = $1 AND role = $2 AND token_generation = $3",
        principal.user_id, principal.role, principal.generation,
    ))
