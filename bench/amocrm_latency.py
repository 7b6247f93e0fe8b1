"""amoCRM delivery rows (8a, 8b), against the fake amoCRM at its real limits (7 rps, 50 leads per PATCH).

8a: N postings, each on its own lead, are committed while delivery is paused; then delivery resumes
and the row is the time until every event is delivered, with the number of 429s the fake answered
(any 429 is a MISS, whatever the time). N is 10,000 at the full size: 200 PATCHes of 50, so the
7 rps limit alone needs 28.6 s of the 35 s target.

8b: at low load (one posting every 0.3 s), the time from a posting's commit to the moment the fake
applied the lead's new price, taken on the same clock; the row is the median, the note has p95.

Both go through the real path: the posting engine's outbox hook, ``NOTIFY``, the delivery job
(``erp.app.jobs.run_worker``) in this process (and in ``erp serve`` if another row started it: the
gate makes them take turns), the rate limiter and the fake's HTTP server in its own thread.
Run alone with ``python -m bench --only amocrm_latency --output /tmp/amocrm.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import msgspec

from erp.amocrm import connection, oauth
from erp.amocrm.fake import FakeAmo, FakeAmoThread
from erp.amocrm.updates import price_of
from erp.app.jobs import run_worker
from erp.catalogs.nomenclature import AMOCRM_SERVICE

from .core import Context, Row, limit, percentile

ORDER = 70
REDIRECT = "https://erp.bench.test/api/amocrm/oauth/callback"
TITLE_8A = "amoCRM: 10 000 postings, 10 000 leads delivered, zero 429s"
TITLE_8B = "amoCRM: median commit → PATCH at low load"


@contextlib.asynccontextmanager
async def _delivering(ctx: Context) -> AsyncIterator[None]:
    """The background jobs (the deliverer among them) running in this process."""
    pool = await ctx.pool()
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(pool, ctx.settings, ctx.database_url, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _connected_fake(ctx: Context) -> FakeAmoThread:
    fake = FakeAmo.start_in_thread(max_log_entries=1_000_000)
    pool = await ctx.pool()
    async with pool.acquire() as conn:
        await oauth.connect(conn, ctx.settings, base_url=fake.base_url, client_id=fake.client_id,
                            client_secret=fake.client_secret, redirect_uri=REDIRECT, code=fake.issue_code())
    return fake


async def _post(ctx: Context, lead_id: int, amount: str) -> None:
    """A Request of the lead and an Оказание услуг on its basis, posted (two transactions)."""
    clinic = await ctx.clinic()
    pool = await ctx.pool()
    documents = ctx.registry.documents
    async with pool.acquire() as conn:
        service = await conn.fetchval("SELECT id FROM cat_nomenclature WHERE predefined = $1", AMOCRM_SERVICE)
        request = await ctx.engine.create(conn, documents["requests"], {
            "doctor_id": clinic.doctors[0], "starts_at": "2030-01-10T09:00:00", "amocrm_lead_id": lead_id,
            "lines": [{"nomenclature_id": service, "quantity": "1", "price": "0"}]})
        await ctx.engine.create(conn, documents["service-renderings"], {
            "date": "2030-01-10T10:00:00", "organization_id": clinic.organization, "client_id": clinic.clients[0],
            "doctor_id": clinic.doctors[0], "based_on": {"kind": "requests", "id": request.id},
            "lines": [{"nomenclature_id": service, "quantity": "1", "price": amount}]}, post=True)


async def _outstanding(ctx: Context) -> int:
    pool = await ctx.pool()
    return await pool.fetchval("SELECT count(*) FROM amocrm_events WHERE direction = 'out'"
                               " AND state IN ('pending', 'in_flight')")


async def _drained(ctx: Context) -> bool:
    return await _outstanding(ctx) == 0


async def _patched(fake: FakeAmoThread, lead: int) -> bool:
    return bool(fake.price_history(lead))


async def _until(check, interval: float, limit_seconds: float) -> None:
    """Poll ``check()`` every ``interval`` seconds until it is true or ``limit_seconds`` pass."""
    deadline = time.monotonic() + limit_seconds
    for _ in iter(int, 1):
        if await check() or time.monotonic() > deadline:
            return
        await asyncio.sleep(interval)


async def throughput(ctx: Context) -> Row:
    leads = ctx.pick(smoke=500, full=10_000)
    first = 10_000_000
    fake = await _connected_fake(ctx)
    try:
        pool = await ctx.pool()
        async with pool.acquire() as conn:
            await connection.pause(conn, "bench", "Бенчмарк: проводки копятся до старта замера")
        for lead in range(first, first + leads):
            fake.add_lead(lead)
        ctx.log(f"8a: posting {leads} renderings on {leads} leads (delivery paused)")
        queue: asyncio.Queue[int] = asyncio.Queue()
        for lead in range(first, first + leads):
            queue.put_nowait(lead)

        async def poster() -> None:
            while not queue.empty():
                lead = queue.get_nowait()
                await _post(ctx, lead, f"{lead % 1000 + 1}.50")

        await asyncio.gather(*(poster() for _ in range(8)))
        fake.reset_metrics()
        async with _delivering(ctx):
            started = time.perf_counter()
            async with pool.acquire() as conn:
                await connection.resume(conn)
            await _until(lambda: _drained(ctx), 0.05, 3600)
            seconds = time.perf_counter() - started
        wrong = sum(1 for lead in range(first, first + leads)
                    if fake.lead(lead)["price"] != price_of(Decimal(f"{lead % 1000 + 1}.50")))
        patches = [r for r in fake.requests if r["method"] == "PATCH"]
        too_many = fake.count(429)
    finally:
        fake.stop()
    workload = (f"{leads} posted renderings on {leads} leads, delivered from a paused start; fake amoCRM at 7 rps, "
                f"{len(patches)} PATCHes of ≤ 50")
    note = f"{too_many} × 429, {wrong} leads wrong, max {fake.max_requests_per_second} requests in a second"
    row = limit("8a", TITLE_8A, workload, seconds * ctx.pick(smoke=10_000 / leads, full=1), "s", at_most=35,
                comparison=f"measured {seconds:.1f} s" + (f" for {leads}, scaled to 10 000" if leads < 10_000 else ""),
                note=note)
    return msgspec.structs.replace(row, ratio=float("inf")) if too_many or wrong else row


async def latency(ctx: Context) -> Row:
    samples = ctx.pick(smoke=15, full=100)
    first = 20_000_000
    fake = await _connected_fake(ctx)
    waits: list[float] = []
    try:
        async with _delivering(ctx):
            for i in range(samples):
                lead = first + i
                fake.add_lead(lead)
                await _post(ctx, lead, "150.00")
                committed = time.time()
                await _until(lambda lead=lead: _patched(fake, lead), 0.002, 30)
                history = fake.price_history(lead)
                if not history:
                    raise AssertionError(f"lead {lead} got no PATCH within 30 s")
                waits.append(history[0][0] - committed)
                await asyncio.sleep(0.3)
    finally:
        fake.stop()
    median, p95 = percentile(waits, 50), percentile(waits, 95)
    return limit("8b", TITLE_8B, f"{samples} postings one by one, 0.3 s apart, each on a new lead", median, "s",
                 at_most=1.0, note=f"p95 {p95 * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms")


async def rows(ctx: Context) -> list[Row]:
    return [await throughput(ctx), await latency(ctx)]
