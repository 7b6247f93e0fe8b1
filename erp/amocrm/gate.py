"""The gate: the one door through which any process talks to the connected amoCRM account.

amoCRM counts requests per account, not per process, so only the holder of a PostgreSQL advisory
lock may call it. The holder rate-limits in process (:class:`~erp.amocrm.client.RateLimiter`) and
writes the window of its recent calls to the connection row after each call (and an "in flight"
mark before each), so that the next holder, in whatever process, continues the same window instead
of starting a fresh one: together they never exceed 7 requests per second. Times are kept on
PostgreSQL's clock, so processes on different machines agree.

The deliverer enters without waiting (another process is already delivering, so it has nothing to
do); one-off commands (connect, webhook registration) wait for their turn. A call a person is waiting
for (a booking from the widget reads the lead's contact) goes first: :func:`waiting_person` announces
it with a shared advisory lock, and a deliverer that sees one (:meth:`Gate.wanted`) finishes the batch
it is sending and leaves, so the booking waits for one batch, not for the whole backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import httpx

from erp.amocrm import connection as connections
from erp.amocrm import tokens
from erp.amocrm.client import AmoClient, RateLimiter, Unauthorized
from erp.amocrm.connection import ROW_ID, Connection
from erp.app.settings import Settings
from erp.platform.db import keeps_session_state
from erp.platform.errors import Conflict

LOCK_KEY = 0x616D6F63524D  # "amoCRM"
PRIORITY_KEY = LOCK_KEY + 1  # held shared by everyone a person is waiting for


@contextlib.asynccontextmanager
async def waiting_person(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """While inside, deliverers give the gate up after their current batch (:meth:`Gate.wanted`)."""
    keeps_session_state(conn)
    await conn.execute("SELECT pg_advisory_lock_shared($1)", PRIORITY_KEY)
    try:
        yield
    finally:
        await conn.execute("SELECT pg_advisory_unlock_shared($1)", PRIORITY_KEY)


@dataclass(frozen=True)
class Policy:
    """How delivery behaves; the defaults suit amoCRM, tests shorten the waits."""

    timeout: float = 15.0
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    hold_after_429: float = 1.0
    claim_limit: int = 1000
    batch_size: int = 50
    rate_calls: int = 7
    rate_window: float = 1.0


DEFAULT_POLICY = Policy()


class Gate:
    def __init__(self, conn: asyncpg.Connection, settings: Settings, client: AmoClient,
                 account: Connection | None) -> None:
        self.conn, self.settings, self.client, self.account = conn, settings, client, account

    # -- entering and leaving ----------------------------------------------------------------

    @classmethod
    async def enter(cls, conn: asyncpg.Connection, settings: Settings, *, wait: float = 0.0,
                    policy: Policy = DEFAULT_POLICY, base_url: str | None = None,
                    transport: httpx.AsyncBaseTransport | None = None) -> Gate | None:
        """The gate on ``conn``, or ``None`` when another process holds it for longer than ``wait``
        seconds. ``base_url`` is for connecting, before any connection is stored."""
        deadline = time.monotonic() + wait
        keeps_session_state(conn)  # a pooled connection that kept the lock by mistake gives it up on release
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.05)
        try:
            account = await connections.load(conn, settings.secret_key)
            limiter = RateLimiter(policy.rate_calls, policy.rate_window)
            limiter.seed(await _window_ages(conn))
            url = base_url or (account.base_url if account else "")
            client = AmoClient(url, limiter, timeout=policy.timeout, transport=transport)
        except BaseException:
            await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
            raise
        return cls(conn, settings, client, account)

    @classmethod
    async def wait_for(cls, conn: asyncpg.Connection, settings: Settings, **options: Any) -> Gate:
        gate = await cls.enter(conn, settings, wait=options.pop("wait", 60.0), **options)
        if gate is None:
            raise Conflict("amoCRM сейчас занят другим процессом (идёт обмен); повторите через минуту",
                           code="amocrm_busy")
        return gate

    async def leave(self) -> None:
        try:
            await self.client.close()
            await self.remember_window()
        finally:
            await self.conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)

    async def __aenter__(self) -> Gate:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.leave()

    async def wanted(self) -> bool:
        """Whether someone a person is waiting for wants the gate (see :func:`waiting_person`)."""
        if await self.conn.fetchval("SELECT pg_try_advisory_lock($1)", PRIORITY_KEY):
            await self.conn.execute("SELECT pg_advisory_unlock($1)", PRIORITY_KEY)
            return False
        return True

    # -- the shared rate window ------------------------------------------------------------------

    async def mark_in_flight(self) -> None:
        await self._store_window(True)

    async def remember_window(self) -> None:
        await self._store_window(False)

    async def _store_window(self, in_flight: bool) -> None:
        await self.conn.execute(
            "UPDATE amocrm_connections SET rate_window = jsonb_build_object('done', (SELECT coalesce(jsonb_agg("
            "extract(epoch FROM clock_timestamp())::float8 - age), '[]') FROM unnest($2::float8[]) age),"
            " 'in_flight', $3::bool) WHERE id = $1", ROW_ID, self.client.limiter.ages(), in_flight)

    # -- calls ------------------------------------------------------------------------------------

    def use_token(self, access_token: str) -> None:
        if self.account is not None:
            self.account = replace(self.account, access_token=access_token)

    async def fresh_token(self) -> str:
        """The access token, refreshed first when it is about to expire or has been idle too long."""
        if self.account is None:
            raise tokens.ReconnectNeeded("amoCRM не подключён")
        if await tokens.is_due(self.conn):
            return await tokens.refresh(self, self.account.access_token)
        return self.account.access_token

    async def call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        """One API call with the bearer token; on 401 one single-flight refresh and one retry."""
        token = await self.fresh_token()
        try:
            return await self.send(method, path, token, json, params)
        except Unauthorized:
            token = await tokens.refresh(self, token)
        try:
            return await self.send(method, path, token, json, params)
        except Unauthorized as exc:
            raise tokens.ReconnectNeeded(
                f"amoCRM отвечает 401 и после обновления токена ({exc.message}). Подключите amoCRM заново",
                status=401) from None

    async def oauth(self, body: dict[str, Any]) -> Any:
        """A call to the token endpoint (no bearer), through the same limiter."""
        try:
            return await self.client.request("POST", tokens.TOKEN_PATH, json=body, on_start=self.mark_in_flight)
        finally:
            await self.remember_window()

    async def send(self, method: str, path: str, token: str, json: Any = None,
                   params: dict[str, Any] | None = None) -> Any:
        """One call with the given token, as it is (no refresh)."""
        try:
            return await self.client.request(method, path, token=token, json=json, params=params,
                                             on_start=self.mark_in_flight)
        finally:
            await self.remember_window()


async def _window_ages(conn: asyncpg.Connection) -> list[float]:
    """Ages of the calls the previous holder made, on PostgreSQL's clock; an unfinished call (the
    holder died during it) counts as just finished."""
    row = await conn.fetchrow("SELECT extract(epoch FROM clock_timestamp())::float8 AS now, rate_window"
                              " FROM amocrm_connections WHERE id = $1", ROW_ID)
    if row is None or not isinstance(row["rate_window"], dict):
        return []
    ages = [row["now"] - float(t) for t in row["rate_window"].get("done", [])]
    if row["rate_window"].get("in_flight"):
        ages.append(0.0)
    return ages
