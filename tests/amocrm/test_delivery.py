"""Delivery discipline: backoff on 429/5xx/timeouts, one refresh on 401, 400 parked, 403 pauses, 7 rps."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import httpx

from erp.amocrm import connection, tokens
from erp.amocrm.client import AmoClient, RateLimiter
from erp.amocrm.deliver import deliver
from erp.amocrm.gate import DEFAULT_POLICY, Gate
from tests.amocrm.conftest import render, request_for_lead
from tests.amocrm.test_seed_flow import erp

LEAD = 219219
QUICK = replace(DEFAULT_POLICY, timeout=0.5)  # the client gives up on a call after half a second


async def booked(db, engine, clinic, fake, lead: int = LEAD, amount: str = "150.00"):
    if fake.lead(lead) is None:
        fake.add_lead(lead)
    request = await request_for_lead(db, engine, clinic, lead)
    return await render(db, engine, clinic, request.id, amount)


async def event(db, lead: int = LEAD) -> dict:
    return dict(await db.fetchrow("SELECT * FROM amocrm_events WHERE lead_id = $1 ORDER BY id DESC LIMIT 1", lead))


async def due_now(db) -> None:
    await db.execute("UPDATE amocrm_events SET next_attempt_at = now() WHERE state = 'pending'")


async def test_5xx_429_and_timeouts_back_off_then_deliver(db, pool, settings, engine, clinic, fake, connected):
    await booked(db, engine, clinic, fake)
    for kind in ("500", "429", "timeout"):
        fake.configure(error_rate=1.0, error_kinds=[kind], timeout_delay=1.0)
        await due_now(db)
        await deliver(pool, settings, QUICK)
        failed = await event(db)
        assert failed["state"] == "pending" and failed["delivered_at"] is None, kind
        assert failed["next_attempt_at"] > failed["created_at"] and failed["last_error"], kind
    assert failed["attempts"] == 3
    assert "не ответил вовремя" in failed["last_error"]
    fake.configure(error_rate=0.0)
    await due_now(db)
    await deliver(pool, settings, QUICK)
    assert (await event(db))["state"] == "delivered"
    assert fake.lead(LEAD)["price"] == 150


async def test_backoff_grows_exponentially(db, pool, settings, engine, clinic, fake, connected):
    await booked(db, engine, clinic, fake)
    fake.configure(error_rate=1.0, error_kinds=["500"])
    policy = replace(DEFAULT_POLICY, backoff_base=10.0, backoff_cap=10_000.0)
    waits = []
    for _ in range(4):
        await due_now(db)
        await deliver(pool, settings, policy)
        row = await db.fetchrow("SELECT extract(epoch FROM next_attempt_at - now()) AS wait FROM amocrm_events")
        waits.append(float(row["wait"]))
    # Attempt n waits between half and all of 10 s × 2^(n-1): 5–10, 10–20, 20–40, 40–80 seconds.
    for n, wait in enumerate(waits, start=1):
        assert 10 * 2 ** (n - 1) / 2 - 1 <= wait <= 10 * 2 ** (n - 1), (n, waits)


async def test_401_refreshes_once_and_retries(db, pool, settings, engine, clinic, fake, connected):
    before = (await connection.load(db, settings.secret_key)).access_token
    await booked(db, engine, clinic, fake)
    fake.expire_access_tokens()
    await deliver(pool, settings)
    assert fake.lead(LEAD)["price"] == 150
    assert list(fake.refresh_token_uses.values()) == [1], "the one refresh token was presented once"
    assert (await connection.load(db, settings.secret_key)).access_token != before
    assert fake.count(401) == 1


async def test_a_dead_refresh_token_pauses_delivery(db, pool, settings, engine, clinic, fake, connected):
    await booked(db, engine, clinic, fake)
    fake.expire_access_tokens()
    fake.advance_clock(91 * 86400)  # the refresh token died of old age
    await deliver(pool, settings)
    status = await connection.status(db)
    assert status["paused"] and status["alert"]["code"] == "reconnect"
    assert "Подключите amoCRM заново" in status["alert"]["message"]
    assert (await event(db))["state"] == "pending", "nothing is lost: it waits for the new connection"


async def test_400_parks_the_bad_event_with_amocrms_errors_and_delivers_the_rest(db, pool, settings, engine,
                                                                                  clinic, fake, connected, client,
                                                                                  admin, database_url, tmp_path):
    await booked(db, engine, clinic, fake, 700_001)
    await booked(db, engine, clinic, fake, 700_002)
    fake.api.leads.pop(700_002)  # deleted in amoCRM meanwhile
    await deliver(pool, settings)
    good, bad = await event(db, 700_001), await event(db, 700_002)
    assert good["state"] == "delivered" and fake.lead(700_001)["price"] == 150
    assert bad["state"] == "failed" and "400" in bad["last_error"]
    assert bad["error_details"][0]["errors"][0]["path"] == "id"
    status = await asyncio.to_thread(erp, database_url, tmp_path, "amocrm", "status")
    assert status.returncode == 0, status.stderr
    assert re.search(r"Токен действует до\s+\d\d\.\d\d\.\d{4} \d\d:\d\d", status.stdout), status.stdout
    assert "Очередь: ожидают 0, отправляются 0, доставлено 1, с ошибкой 1" in status.stdout
    assert "События с ошибкой" in status.stdout and "700002" in status.stdout and "400" in status.stdout

    log = (await client.get("/api/amocrm/exchange-log", headers=admin, params={"state": "failed"})).json()
    assert [e["lead_id"] for e in log["items"]] == [700_002]
    fake.add_lead(700_002)
    retried = await client.post(f"/api/amocrm/exchange-log/{bad['id']}/retry", headers=admin)
    assert retried.status_code == 200 and retried.json()["state"] == "pending"
    await deliver(pool, settings)
    assert (await event(db, 700_002))["state"] == "delivered" and fake.lead(700_002)["price"] == 150
    again = await client.post(f"/api/amocrm/exchange-log/{bad['id']}/retry", headers=admin)
    assert again.status_code == 409 and "уже доставлено" in again.json()["message"]


async def test_403_pauses_all_delivery_with_an_alert(db, pool, settings, engine, clinic, fake, connected, client,
                                                     admin):
    fake.configure(rate_limit=1, block_threshold=1)
    async with httpx.AsyncClient() as raw:
        for _ in range(3):
            await raw.get(f"{fake.base_url}/api/v4/account")
    assert fake.blocked
    fake.configure(rate_limit=7, block_threshold=5)
    await booked(db, engine, clinic, fake)
    await deliver(pool, settings)
    status = (await client.get("/api/amocrm/connection", headers=admin)).json()
    assert status["paused"] and status["alert"]["code"] == "blocked" and "403" in status["alert"]["message"]
    assert (await event(db))["state"] == "pending"

    calls = len(fake.requests)
    await deliver(pool, settings)
    assert len(fake.requests) == calls, "paused: not a single call while blocked"

    fake.unblock()
    resumed = await client.post("/api/amocrm/connection/resume", headers=admin)
    assert resumed.status_code == 200 and not resumed.json()["paused"]
    await deliver(pool, settings)
    assert fake.lead(LEAD)["price"] == 150


async def test_an_idle_account_is_refreshed_before_its_refresh_token_ages(db, pool, settings, fake, connected):
    await db.execute("UPDATE amocrm_connections SET refreshed_at = now() - interval '26 days'")
    fake.advance_clock(26 * 86400)
    await deliver(pool, settings)
    assert list(fake.refresh_token_uses.values()) == [1]
    assert await db.fetchval("SELECT refreshed_at > now() - interval '1 minute' FROM amocrm_connections")
    await deliver(pool, settings)
    assert list(fake.refresh_token_uses.values()) == [1], "fresh again: no second refresh"


async def test_refresh_is_single_flight_across_connections(db, pool, settings, fake, connected):
    stale = (await connection.load(db, settings.secret_key)).access_token
    await db.execute("UPDATE amocrm_connections SET expires_at = now() - interval '1 minute'")

    async def refresh_as_another_process() -> str:
        # Two holders at once cannot happen through Gate.enter; this checks the row lock on its own.
        async with pool.acquire() as conn:
            account = await connection.load(conn, settings.secret_key)
            gate = Gate(conn, settings, AmoClient(account.base_url, RateLimiter()), account)
            try:
                return await tokens.refresh(gate, stale)
            finally:
                await gate.client.close()

    first, second = await asyncio.gather(refresh_as_another_process(), refresh_as_another_process())
    assert first == second != stale
    assert fake.state()["oauth"]["tokens_issued"] == 2, "the first pair and exactly one refresh"
    assert list(fake.refresh_token_uses.values()) == [1]
    assert (await connection.load(db, settings.secret_key)).access_token == first


async def test_never_more_than_7_requests_per_second_and_the_window_passes_between_holders(db, pool, settings,
                                                                                           fake, connected):
    fake.reset_metrics()
    for _ in range(3):  # three "processes" one after another, each bursting
        async with pool.acquire() as conn, await Gate.wait_for(conn, settings) as gate:
            for _ in range(7):
                await gate.call("GET", "/api/v4/account")
    assert fake.max_requests_per_second <= 7
    assert fake.count(429) == 0 and fake.count(200) == 21


async def test_a_token_about_to_expire_is_refreshed_before_use(db, pool, settings, engine, clinic, fake, connected):
    await booked(db, engine, clinic, fake)
    await db.execute("UPDATE amocrm_connections SET expires_at = now() + interval '3 minutes'")
    await deliver(pool, settings)
    assert fake.lead(LEAD)["price"] == 150
    assert list(fake.refresh_token_uses.values()) == [1] and fake.count(401) == 0, "refreshed first, no 401 needed"
    assert await db.fetchval("SELECT expires_at > now() + interval '23 hours' FROM amocrm_connections")
