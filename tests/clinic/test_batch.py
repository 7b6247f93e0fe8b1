"""The engine's batch API: a list of documents of one kind in one call (imports, the demo,
re-posting a period with ``erp documents repost``)."""

import asyncio
from decimal import Decimal

import pytest
from click.testing import CliRunner

from erp.app.cli import main
from erp.configuration import registry
from erp.platform.errors import ErpError
from erp.platform.posting import Engine
from tests.clinic.test_service_rendering import receipt, rendering, stock


def _rendering(clinic, quantity: str, date: str) -> dict:
    return rendering(clinic, {"nomenclature_id": clinic.goods, "quantity": quantity, "price": "30"}, date=date)


async def test_a_batch_posts_in_order_and_a_later_document_sees_what_an_earlier_one_took(api, db, clinic, settings):
    await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    engine = Engine(registry(), settings)
    kind = registry().documents["service-renderings"]
    docs = await engine.create_many(db, kind, [_rendering(clinic, "4", "2021-12-20T10:00:00"),
                                               _rendering(clinic, "6", "2021-12-21T10:00:00")], post=True)
    assert [d.posted for d in docs] == [True, True]
    assert [d.number for d in docs] == ["К0000000001", "К0000000002"]
    assert await stock(api, clinic, clinic.goods) == ("0", "0")  # no balance row left
    moves = await api.get(f"/api/documents/service-renderings/{docs[1].id}/movements")
    assert [(m["quantity"], m["cost"]) for m in moves["stock"]] == [("6.000", "60.00")]


async def test_a_bad_document_refuses_the_whole_batch_naming_it(api, db, clinic, settings):
    await receipt(api, clinic, (clinic.goods, "5", "10.00"))
    engine = Engine(registry(), settings)
    kind = registry().documents["service-renderings"]
    with pytest.raises(ErpError) as refused:
        await engine.create_many(db, kind, [_rendering(clinic, "4", "2021-12-20T10:00:00"),
                                            _rendering(clinic, "4", "2021-12-21T10:00:00")], post=True)
    assert (refused.value.code, refused.value.status, refused.value.details["item"]) == ("balance_shortage", 409, 1)
    assert "items[1]" in refused.value.message
    assert refused.value.details["shortfalls"][0]["available"] == "1.000"
    assert await db.fetchval("SELECT count(*) FROM doc_service_renderings") == 0
    assert await stock(api, clinic, clinic.goods) == ("5.000", "50.00")
    assert await db.fetchval("SELECT last FROM document_counters WHERE kind = 'service-renderings'") is None


async def test_repost_of_a_period_gives_a_sale_the_cost_of_a_corrected_receipt(api, db, clinic, settings,
                                                                             database_url, monkeypatch):
    first = await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    sold = await api.create("service-renderings", _rendering(clinic, "5", "2021-12-20T10:00:00"), post=True)
    # the supplier's price was 12.00, not 10.00: the receipt is corrected after the sale
    await api.put(f"/api/documents/goods-receipts/{first['id']}", {
        "date": "2021-12-01T09:00:00", "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": clinic.goods, "quantity": "10", "price": "12.00"}]})
    assert await stock(api, clinic, clinic.goods) == ("5.000", "70.00")  # the sale still took 50.00
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ERP_DATA_DIR", str(settings.data_dir))
    result = await asyncio.to_thread(CliRunner().invoke, main, [
        "documents", "repost", "--from", "2021-12-01", "--to", "2021-12-31", "--kind", "service-renderings"])
    assert result.exit_code == 0, result.output
    assert "Оказание услуг: перепроведено 1" in result.output
    moves = await api.get(f"/api/documents/service-renderings/{sold['id']}/movements")
    assert [(m["quantity"], m["cost"]) for m in moves["stock"]] == [("5.000", "60.00")]
    assert await stock(api, clinic, clinic.goods) == ("5.000", "60.00")


async def _movements(db, ids: list[int]) -> list[tuple]:
    rows = await db.fetch("SELECT recorder_id, line_no, quantity, cost FROM reg_stock_movements"
                          " WHERE recorder_kind = 'service-renderings' AND recorder_id = ANY($1::bigint[])"
                          " ORDER BY recorder_id, line_no", ids)
    return [tuple(r) for r in rows]


async def _corrected_sales(api, clinic) -> list[int]:
    """Two sales of 4 from a receipt of 10 at 10.00 (40.00 each), then the receipt corrected to 12.00:
    the stock is (2, 40.00) until the sales are re-posted."""
    first = await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    sold = [await api.create("service-renderings", _rendering(clinic, "4", f"2021-12-2{d}T10:00:00"), post=True)
            for d in (0, 1)]
    await api.put(f"/api/documents/goods-receipts/{first['id']}", {
        "date": "2021-12-01T09:00:00", "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": clinic.goods, "quantity": "10", "price": "12.00"}]})
    assert await stock(api, clinic, clinic.goods) == ("2.000", "40.00")
    return [s["id"] for s in sold]


async def test_a_batch_re_post_reads_once_and_a_later_document_sees_what_an_earlier_one_changed(
        api, db, clinic, settings):
    ids = await _corrected_sales(api, clinic)
    engine = Engine(registry(), settings)
    kind = registry().documents["service-renderings"]
    reads: list[str] = []
    db.add_query_logger(lambda record: reads.append(record.query))
    docs = await engine.repost(db, kind, ids)
    await asyncio.sleep(0)
    assert [d.id for d in docs] == ids and all(d.posted for d in docs)
    # the first takes 4 of (6, 80.00) = 53.33 and leaves (2, 26.67); the second then takes 4 of
    # (6, 66.67) = 44.45. Had it not seen the first's change it would have taken 4 of (6, 80.00) again
    assert await _movements(db, ids) == [(ids[0], 1, Decimal("4.000"), Decimal("53.33")),
                                         (ids[1], 1, Decimal("4.000"), Decimal("44.45"))]
    assert await stock(api, clinic, clinic.goods) == ("2.000", "22.22")
    # one read for both documents (their needs), besides the load that locks them
    assert len([q for q in reads if "jsonb_array_elements" in q]) == 1
    # both writes: one statement, sent for both documents at once (asyncpg logs an executemany once)
    assert len([q for q in reads if q.startswith("WITH old_0 AS (DELETE")]) == 1


async def test_a_batch_re_post_gives_what_re_posting_one_by_one_gives(api, db, clinic, settings):
    ids = await _corrected_sales(api, clinic)
    engine = Engine(registry(), settings)
    kind = registry().documents["service-renderings"]
    trying = db.transaction()
    await trying.start()
    for i in ids:
        await engine.post(db, kind, i)
    one_by_one = await _movements(db, ids)
    await trying.rollback()
    await engine.repost(db, kind, ids)
    assert await _movements(db, ids) == one_by_one


async def test_a_batch_re_post_that_cannot_hold_names_the_document_and_changes_nothing(api, db, clinic, settings):
    ids = await _corrected_sales(api, clinic)
    before = await _movements(db, ids)
    await api.put("/api/period-lock", {"date": "2021-12-20"})  # the first sale's day is closed
    engine = Engine(registry(), settings)
    kind = registry().documents["service-renderings"]
    with pytest.raises(ErpError) as refused:
        await engine.repost(db, kind, [ids[1], ids[0]])
    assert refused.value.details["document_id"] == ids[0]
    assert refused.value.status == 409
    assert await _movements(db, ids) == before


async def test_a_refusal_only_the_server_sees_sends_the_batch_one_by_one(api, db, clinic, settings, database_url):
    """Between the batch's read and its write another transaction takes the rest of the stock: the
    batch's write is refused by balance control, and the batch goes again one document at a time,
    which reads the stock as it now is."""
    from erp.platform.db import connect

    first = await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    sold = await api.create("service-renderings", _rendering(clinic, "5", "2021-12-20T10:00:00"), post=True)
    await api.put(f"/api/documents/goods-receipts/{first['id']}", {
        "date": "2021-12-01T09:00:00", "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": clinic.goods, "quantity": "10", "price": "12.00"}]})
    assert await stock(api, clinic, clinic.goods) == ("5.000", "70.00")
    engine = Engine(registry(), settings)
    other = await connect(database_url)
    try:
        taking = other.transaction()
        await taking.start()
        await engine.create(other, registry().documents["stock-write-offs"], {
            "date": "2021-12-25T10:00:00", "organization_id": clinic.org, "warehouse_id": clinic.warehouse,
            "lines": [{"nomenclature_id": clinic.goods, "quantity": "5"}]}, post=True)
        pid = await db.fetchval("SELECT pg_backend_pid()")
        reposting = asyncio.create_task(engine.repost(db, registry().documents["service-renderings"], [sold["id"]]))
        for _ in range(500):  # until the batch's write waits for the write-off's lock on the stock
            if await other.fetchval("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid):
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the batch never waited for the write-off")
        await taking.commit()
        await reposting
    finally:
        await other.close()
    # read in the batch, the sale would have taken 5 of (10, 120.00) = 60.00 and left −10.00;
    # read again one by one it takes 5 of (5, 50.00): what the write-off left it
    assert await _movements(db, [sold["id"]]) == [(sold["id"], 1, Decimal("5.000"), Decimal("50.00"))]
    assert await stock(api, clinic, clinic.goods) == ("0", "0")


async def test_a_batch_re_post_inside_a_callers_transaction_leaves_its_settings_as_they_were(
        api, db, clinic, settings):
    """The batch runs its statements without JIT and on generic plans (``posting.batch.settings``):
    a caller's transaction goes on with its own settings after it, the batch's result committed with it."""
    ids = await _corrected_sales(api, clinic)
    engine = Engine(registry(), settings)
    kind = registry().documents["service-renderings"]
    async with db.transaction():
        await db.execute("SET LOCAL jit = on; SET LOCAL plan_cache_mode = force_custom_plan")
        await engine.repost(db, kind, ids)
        assert await db.fetchrow("SELECT current_setting('jit') AS jit, current_setting('plan_cache_mode') AS mode"
                                 ) == ("on", "force_custom_plan")
    assert await _movements(db, ids) == [(ids[0], 1, Decimal("4.000"), Decimal("53.33")),
                                         (ids[1], 1, Decimal("4.000"), Decimal("44.45"))]
