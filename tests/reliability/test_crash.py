"""Crash safety: ``kill -9`` of ``erp serve`` and ``erp worker`` in the middle of a posting storm and of
an amoCRM delivery, then both started again. The fake amoCRM runs in a thread of the test process and
outlives them. Afterwards the totals check clean with the real CLI, posted flags agree with movements,
every acknowledged operation is there with exactly its outbox events (an unanswered one happened
whole or not at all), nothing is left in the outbox, and every lead shows its exact total."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.amocrm.conftest import eventually
from tests.reliability import invariants
from tests.reliability.procs import Fleet, erp_cli
from tests.reliability.storm import Storm, storm_basis

pytestmark = pytest.mark.e2e
LEADS = list(range(610_001, 610_031))


async def in_flight(db) -> int:
    return await db.fetchval("SELECT count(*) FROM amocrm_events WHERE state = 'in_flight'")


async def test_kill_9_of_serve_and_worker_mid_storm_loses_nothing(db, engine, clinic, fake, connected, admin,
                                                                  database_url, tmp_path):
    for lead in LEADS:
        fake.add_lead(lead)
    basis = await storm_basis(db, engine, clinic, LEADS)
    fake.configure(latency=0.15)  # every amoCRM call takes a while: a kill finds one under way
    with Fleet(database_url, tmp_path) as fleet:
        serve, worker = fleet.serve("serve"), fleet.worker("worker")
        storm = Storm([serve.base_url], admin, basis, seed=9, max_ops=2000)
        await fleet.start(serve, worker)
        async with storm.running(8):
            started = time.monotonic()
            # the kill comes when postings are being acknowledged and an amoCRM call is under way
            assert await eventually(lambda: storm.acknowledged >= 60, within=30), storm.outcomes
            caught = await eventually(lambda: in_flight(db), within=10, interval=0.01)
            assert caught, "no amoCRM delivery was under way to be cut off"
            serve.kill()
            worker.kill()
            killed_at, at_kill = time.monotonic() - started, storm.acknowledged
            await fleet.start(serve, worker)
            restarted = storm.acknowledged
            assert await eventually(lambda: storm.acknowledged >= restarted + 60, within=30), storm.outcomes
        drained = await eventually(lambda: _drained(db), within=40)
        assert drained, await invariants.undelivered(db)

    checked = await asyncio.to_thread(erp_cli, database_url, tmp_path / "data", "totals", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert await invariants.posted_flags_disagreeing_with_movements(db) == []
    assert await storm.disagreements(db) == []
    assert await invariants.undelivered(db) == {}
    assert await invariants.wrong_leads(db, fake, LEADS) == []
    assert await invariants.numbering_faults(db) == {"duplicates": [], "gaps": []}
    assert not any(outcome.startswith("5") for _, outcome in storm.outcomes), storm.outcomes
    assert fake.max_requests_per_second <= 7
    print(f"\ncrash: {storm.sent} operations ({storm.acknowledged} acknowledged), kill -9 of serve and worker at"
          f" {killed_at:.1f} s after {at_kill} acknowledged with {caught} events in flight; outcomes"
          f" {dict(storm.outcomes)}; {fake.state()['request_count']} amoCRM calls")


async def _drained(db) -> bool:
    return not await invariants.undelivered(db)
