"""A real deadlock between a posting and another transaction: PostgreSQL aborts the posting, the
engine runs it again by itself, and the caller only sees the posted document."""

import asyncio
import logging

import pytest

from erp.platform import catalog_service as svc
from erp.platform.db import connect
from tests.core.test_documents import lines


class Retries(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "DeadlockDetected" in record.getMessage():
            self.seen.append(record.getMessage())


@pytest.fixture
def retries():
    handler, logger = Retries(), logging.getLogger("erp.platform.db")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


async def test_a_deadlocked_posting_is_retried_by_the_engine(db, database_url, registry, engine, retries):
    shop = (await svc.create(db, registry, registry.catalogs["shops"], {"name": "Центр", "prefix": "Ц"}))["id"]
    first, second = sorted([(await svc.create(db, registry, registry.catalogs["things"], {"name": n}))["id"]
                            for n in ("Стол", "Стул")])
    both = lines(first, 5) + lines(second, 5)
    await engine.create(db, registry.documents["arrivals"], {"shop_id": shop, "lines": both}, post=True)
    other = await connect(database_url)
    try:
        await other.execute("BEGIN")
        # The other transaction outwaits the posting, so PostgreSQL picks the posting as the victim.
        await other.execute("SET LOCAL deadlock_timeout = '20s'")
        await other.execute("SELECT 1 FROM reg_boxes_balance WHERE thing_id = $1 FOR UPDATE", second)
        posting = asyncio.create_task(engine.create(
            db, registry.documents["departures"], {"shop_id": shop, "lines": lines(first, 1) + lines(second, 1)},
            post=True))
        await asyncio.sleep(0.5)  # the posting holds the first key and waits for the second
        assert not posting.done()
        await other.execute("SELECT 1 FROM reg_boxes_balance WHERE thing_id = $1 FOR UPDATE", first)
        await other.execute("COMMIT")
        doc = await asyncio.wait_for(posting, 30)
    finally:
        await other.close()
    assert retries.seen, "PostgreSQL reported the deadlock and the engine tried again"
    assert doc.posted and doc.number == "00000000001", "numbered once, no gap left by the aborted try"
    quantities = await db.fetch("SELECT thing_id, qty FROM reg_boxes_balance ORDER BY thing_id")
    assert [(r["thing_id"], r["qty"]) for r in quantities] == [(first, 4), (second, 4)]
    assert await db.fetchval("SELECT count(*) FROM doc_departures") == 1
