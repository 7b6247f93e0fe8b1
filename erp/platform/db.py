"""Connections to PostgreSQL: the pool, transactions, and retry of the
errors PostgreSQL asks us to retry (deadlocks and serialization failures).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg

from .errors import DatabaseUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# Deadlocks and serialization failures, and a cached statement whose result type a schema change
# (a migration run by another process) changed: asyncpg then drops the statement cache of the
# connection's whole pool, so the next try prepares the statement anew. Each rolls back the
# transaction it happened in, which is why the whole transaction runs again.
RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError, asyncpg.InvalidCachedStatementError)
# asyncpg keeps a connection's statements prepared (the last 100, each for at most 5 minutes), but by
# default only those up to 15 KiB long. The posting engine's write statement (data-modifying CTEs for
# every register, the document and its subscribers' rows: ≈20 KiB for a ServiceRendering) was then
# parsed, described and planned again for every posting: one more round trip, and 8 ms of server CPU
# for the write instead of 3 (bench/NOTES.md item 24). Its text depends on the plan's shape only, so
# few such statements exist; every statement the application sends above 15 KiB is one of them.
STATEMENT_CACHE_LIMIT = 256 * 1024
CONNECTION_ERRORS = (
    OSError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncio.TimeoutError,
)
# What a query raises when the server went away under it: stopped (fast shutdown
# terminates every backend), crashed, restarting, or not answering in time.
# Such a request is refused with 503 and the pool reconnects on the next one.
DISCONNECTS = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    # A pooled connection handed out between a fast shutdown's FATAL message and the
    # socket closing: asyncpg refuses to start a query on it ("another operation is in progress").
    asyncpg.InternalClientError,
    ConnectionError,
    TimeoutError,
)
DOWN_MESSAGE = "База данных временно недоступна. Повторите запрос через несколько секунд."


def unreachable_message(url: str, exc: BaseException) -> str:
    return (
        f"Не удалось подключиться к базе данных ({redact(url)}): {exc}. "
        "Проверьте, что PostgreSQL запущен и адрес в DATABASE_URL верен, "
        "или уберите DATABASE_URL, чтобы приложение запустило встроенный PostgreSQL "
        "в каталоге данных (ERP_DATA_DIR)."
    )


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


class Connection(asyncpg.Connection):
    """A connection of the pool that is released without a reset query unless it took session state.

    asyncpg resets every connection it takes back (``SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL``): one more round trip for every request. The application keeps no
    session state on pooled connections (no ``SET``, cursors live in transactions, settings are
    ``set_config(..., true)``), except where it says so with :func:`keeps_session_state` (the amoCRM
    gate's advisory lock) or listens: only those connections are reset in full. An open transaction
    is rolled back on release either way (asyncpg does that before asking for the reset query)."""

    __slots__ = ("_session_state",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._session_state = False

    def keep_session_state(self) -> None:
        self._session_state = True

    async def add_listener(self, channel, callback) -> None:
        self._session_state = True
        await super().add_listener(channel, callback)

    def get_reset_query(self) -> str:
        if not self._session_state:
            return ""
        self._session_state = False
        return super().get_reset_query()


def keeps_session_state(conn) -> None:
    """``conn`` is about to take state that outlives a transaction (an advisory lock): if it is
    pooled, it is reset in full when released, so the next user cannot inherit it."""
    mark = getattr(conn, "keep_session_state", None)
    if mark is not None:
        mark()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=_json_dumps, decoder=_json_loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=_json_dumps, decoder=_json_loads, schema="pg_catalog")


def _json_dumps(value) -> str:
    import msgspec

    return msgspec.json.encode(value).decode()


def _json_loads(value: str):
    import msgspec

    return msgspec.json.decode(value)


async def _pool_connect(*args, **kwargs) -> asyncpg.Connection:
    """A new connection of the pool. While the server is down, whatever the
    socket layer raised (a refused port, a Unix socket file that is gone)
    becomes :class:`DatabaseUnavailable`, the 503 every caller knows."""
    try:
        return await asyncpg.connect(*args, **kwargs)
    except CONNECTION_ERRORS as exc:
        raise DatabaseUnavailable(DOWN_MESSAGE) from exc


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    try:
        return await asyncpg.create_pool(
            url, min_size=min_size, max_size=max_size, init=_init_connection, connect=_pool_connect,
            connection_class=Connection, command_timeout=60, timeout=10,
            max_cacheable_statement_size=STATEMENT_CACHE_LIMIT,
        )
    except (DatabaseUnavailable, *CONNECTION_ERRORS) as exc:
        cause = exc.__cause__ if isinstance(exc, DatabaseUnavailable) and exc.__cause__ else exc
        raise DatabaseUnavailable(unreachable_message(url, cause)) from exc


async def connect(url: str) -> asyncpg.Connection:
    try:
        conn = await asyncpg.connect(url, timeout=10, max_cacheable_statement_size=STATEMENT_CACHE_LIMIT)
    except CONNECTION_ERRORS as exc:
        raise DatabaseUnavailable(unreachable_message(url, exc)) from exc
    await _init_connection(conn)
    return conn


@asynccontextmanager
async def transaction(pool: asyncpg.Pool):
    async with pool.acquire() as conn, conn.transaction():
        yield conn


async def in_transaction(pool: asyncpg.Pool, work: Callable[[asyncpg.Connection], Awaitable[T]],
                         *, attempts: int = 5) -> T:
    """Run ``work`` in a fresh transaction, retrying deadlocks and
    serialization failures a bounded number of times with jittered backoff."""
    async def transactional(conn: asyncpg.Connection) -> T:
        async with conn.transaction():
            return await work(conn)

    return await with_retry(pool, transactional, attempts=attempts)


async def with_retry(pool: asyncpg.Pool, work: Callable[[asyncpg.Connection], Awaitable[T]],
                     *, attempts: int = 5) -> T:
    """Run ``work`` on a pooled connection with the retries of :func:`in_transaction`,
    for work that opens its own transaction (the posting engine does): wrapping
    it in another would only add a savepoint's two round trips."""
    async def once() -> T:
        async with pool.acquire() as conn:
            return await work(conn)

    return await retried(once, attempts=attempts)


async def retried(work: Callable[[], Awaitable[T]], *, attempts: int = 5) -> T:
    """Call ``work()`` again after a deadlock or a serialization failure (each rolled a transaction
    back whole), a bounded number of times with jittered backoff; the last failure is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except RETRYABLE as exc:
            if attempt == attempts:
                raise
            log.info("retrying after %s (attempt %d)", type(exc).__name__, attempt)
            await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise AssertionError("unreachable")
