"""The outbox: events are written by the posting transaction itself, and the lead gets its current total."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from erp.amocrm.deliver import deliver
from erp.app.jobs import run_worker
from erp.configuration import registry
from tests.amocrm.conftest import eventually, render, repost, request_for_lead

LEAD = 219219


async def events(db, kind: str | None = None) -> list[dict]:
    rows = await db.fetch("SELECT * FROM amocrm_events WHERE direction = 'out'" +
                          (" AND kind = $1" if kind else "") + " ORDER BY id", *([kind] if kind else []))
    return [dict(r) for r in rows]


async def test_posting_writes_the_event_in_its_own_transaction(db, engine, clinic):
    request = await request_for_lead(db, engine, clinic, LEAD)
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await render(db, engine, clinic, request.id, "150.00")
            assert len(await events(db)) == 1, "inside the posting transaction the event exists"
            raise RuntimeError("the posting rolls back")
    assert await events(db) == [], "a rolled-back posting leaves no event"

    sr = await render(db, engine, clinic, request.id, "150.00")
    await repost(db, engine, clinic, sr, "200.50")
    await engine.unpost(db, registry().documents["service-renderings"], sr.id)
    rows = await events(db)
    assert [(r["kind"], r["lead_id"], r["payload"]["action"], r["document_id"]) for r in rows] == [
        ("budget", LEAD, "post", sr.id), ("budget", LEAD, "post", sr.id), ("budget", LEAD, "unpost", sr.id)]
    assert {r["state"] for r in rows} == {"pending"}

    without_lead = await request_for_lead(db, engine, clinic, None)
    await render(db, engine, clinic, without_lead.id, "150.00")
    assert len(await events(db)) == 3, "no lead, no event"


async def test_the_lead_gets_its_current_total_rounded_half_up_and_exact(db, pool, settings, engine, clinic, fake,
                                                                         connected):
    fake.add_lead(LEAD)
    request = await request_for_lead(db, engine, clinic, LEAD)
    sr = await render(db, engine, clinic, request.id, "150.00")
    await deliver(pool, settings)
    assert fake.lead(LEAD)["price"] == 150
    assert Decimal(fake.field_value(LEAD, "Сумма1С")) == Decimal("150.00")

    await repost(db, engine, clinic, sr, "200.50")
    await deliver(pool, settings)
    assert fake.lead(LEAD)["price"] == 201
    assert fake.field_value(LEAD, "Сумма1С") == "200.50"

    second = await request_for_lead(db, engine, clinic, LEAD)
    await render(db, engine, clinic, second.id, "99.49")
    await deliver(pool, settings)
    assert fake.lead(LEAD)["price"] == 300, "the sum over every Request of the lead: 299.99 → 300"
    assert fake.field_value(LEAD, "Сумма1С") == "299.99"

    await engine.unpost(db, registry().documents["service-renderings"], sr.id)
    await deliver(pool, settings)
    assert (fake.lead(LEAD)["price"], fake.field_value(LEAD, "Сумма1С")) == (99, "99.49")
    assert {r["state"] for r in await events(db)} == {"delivered"}
    delivered = (await events(db))[-1]
    assert delivered["delivered_at"] is not None and "бюджет 99" in delivered["result"]


async def test_pending_events_of_a_lead_coalesce_and_batches_hold_at_most_50(db, pool, settings, engine, clinic,
                                                                             fake, connected):
    leads = list(range(500_001, 500_121))
    for lead in leads:
        fake.add_lead(lead)
        request = await request_for_lead(db, engine, clinic, lead)
        for amount in ("10.00", "20.00", "30.25"):
            await render(db, engine, clinic, request.id, amount)
    fake.reset_metrics()
    await deliver(pool, settings)
    patches = [r for r in fake.requests if r["method"] == "PATCH"]
    assert [r["batch_size"] for r in patches] == [50, 50, 20], "360 events, 120 leads, one item per lead"
    assert all(fake.lead(lead)["price"] == 60 and fake.field_value(lead, "Сумма1С") == "60.25" for lead in leads)
    assert fake.max_requests_per_second <= 7


async def test_the_worker_wakes_on_notify_not_on_a_poll(db, pool, settings, engine, clinic, fake, connected,
                                                        monkeypatch, database_url):
    import erp.app.jobs

    jobs = {name: (fn, 3600.0 if name == "amocrm-delivery" else every, channels)
            for name, (fn, every, channels) in erp.app.jobs.registered().items()}
    monkeypatch.setattr(erp.app.jobs, "_JOBS", jobs)
    fake.add_lead(LEAD)
    request = await request_for_lead(db, engine, clinic, LEAD)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(pool, settings, database_url, stop))
    try:
        await asyncio.sleep(0.5)  # the worker's first round: nothing to do, then it sleeps for an hour
        await render(db, engine, clinic, request.id, "150.00")
        assert await eventually(lambda: fake.lead(LEAD)["price"] == 150, within=10)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)


async def test_the_exchange_log_filters_and_pages(client, db, engine, clinic, users):
    for lead in (310_001, 310_002):
        request = await request_for_lead(db, engine, clinic, lead)
        for amount in range(15):
            await render(db, engine, clinic, request.id, f"{amount + 1}.00")
    manager = await users.headers("manager")
    first = (await client.get("/api/amocrm/exchange-log", headers=manager, params={"limit": 25})).json()
    assert len(first["items"]) == 25 and first["next"]
    ids = [e["id"] for e in first["items"]]
    assert ids == sorted(ids, reverse=True), "newest first"
    rest = (await client.get("/api/amocrm/exchange-log", headers=manager,
                             params={"limit": 25, "after": first["next"]})).json()
    assert len(rest["items"]) == 5 and rest["next"] is None
    assert min(ids) > max(e["id"] for e in rest["items"])

    one = (await client.get("/api/amocrm/exchange-log", headers=manager,
                            params={"lead_id": 310_002, "state": "pending", "kind": "budget", "direction": "out",
                                    "start": "2000-01-01", "end": "2999-12-31"})).json()
    assert len(one["items"]) == 15 and {e["lead_id"] for e in one["items"]} == {310_002}
    assert one["items"][0]["document_kind"] == "service-renderings" and one["items"][0]["attempts"] == 0
    none = (await client.get("/api/amocrm/exchange-log", headers=manager, params={"end": "2000-01-01"})).json()
    assert none["items"] == []
    bad = await client.get("/api/amocrm/exchange-log", headers=manager, params={"state": "lost"})
    assert bad.status_code == 422 and "state" in bad.json()["details"]["fields"]
    anonymous = await client.get("/api/amocrm/exchange-log")
    assert anonymous.status_code == 401
