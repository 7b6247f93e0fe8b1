"""The engine's batch API: a list of documents of one kind in one call (imports, the demo,
re-posting a period with ``erp documents repost``)."""

import asyncio

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
