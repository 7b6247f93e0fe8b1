"""Balance control at a document's own moment and after it: stock and money are never left below zero
at any moment of their history, not only today. A back-dated write-off, a back-dated payment from an
empty desk, a receipt unposted or moved later under goods sold before a later receipt: each is a 409
naming the item (or the desk), the moment and what is missing, and nothing is written; through the
engine, its batches and the HTTP API alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from erp.configuration import registry
from erp.platform.posting import Engine
from erp.platform.shortfalls import BalanceShortage
from erp.platform.totals import check_balance_history
from erp.registers.money import money
from erp.registers.stock import stock as stock_register
from tests.clinic.conftest import counts
from tests.clinic.test_invoices_payments import pay
from tests.clinic.test_money_payments import money_in
from tests.clinic.test_outgoing_payments import DESK, outgoing
from tests.clinic.test_service_rendering import receipt, rendering, stock
from tests.clinic.test_write_off import write_off

MSK = ZoneInfo("Europe/Moscow")
SOLD = dt.datetime(2021, 12, 10, 12, 0, tzinfo=MSK)


def sale(clinic, quantity: str, date: str = "2021-12-10T12:00:00") -> dict:
    return rendering(clinic, {"nomenclature_id": clinic.goods, "quantity": quantity, "price": "30"}, date=date)


async def history(api, clinic) -> None:
    """10 received on 01.12, 8 sold on 10.12."""
    await receipt(api, clinic, (clinic.goods, "10", "10.00"), date="2021-12-01T09:00:00")
    await api.create("service-renderings", sale(clinic, "8"), post=True)


def kinds():
    return registry().documents


async def test_a_back_dated_write_off_is_checked_at_its_moment_and_after_through_the_engine(api, db, clinic,
                                                                                          settings):
    engine = Engine(registry(), settings)
    await history(api, clinic)
    # 5 on 05.12 is more than the 2 left now: refused as before
    with pytest.raises(BalanceShortage) as caught:
        await engine.create(db, kinds()["stock-write-offs"], write_off(clinic, (clinic.goods, "5"),
                                                                       date="2021-12-05T12:00:00"), post=True)
    assert [(s.available, s.required, s.moment) for s in caught.value.shortfalls] == [(D(2), D(5), None)]
    # 10 more come on 15.12: 12 now, enough for 5, but on 10.12 the sale would have had 5 of the 8 it took
    await receipt(api, clinic, (clinic.goods, "10", "10.00"), date="2021-12-15T09:00:00")
    before = await counts(db)
    with pytest.raises(BalanceShortage) as caught:
        await engine.create(db, kinds()["stock-write-offs"], write_off(clinic, (clinic.goods, "5"),
                                                                       date="2021-12-05T12:00:00"), post=True)
    [short] = caught.value.shortfalls
    assert (short.register, short.dimensions) == ("stock", {"warehouse_id": clinic.warehouse,
                                                            "nomenclature_id": clinic.goods})
    assert (short.moment, short.available, short.required) == (SOLD, D(2), D(5))
    assert caught.value.message == (
        "Недостаточно остатка: Товары на складах (Склад «Основной склад», Номенклатура «Шприц 5 мл»), Количество:"
        " на 10.12.2021 12:00 не хватает 3.000 (доступно 2.000, требуется 5.000)"
        " (после изменения на 10.12.2021 12:00: Количество -3.000)")
    assert await counts(db) == before
    # 2 fit at every moment
    await engine.create(db, kinds()["stock-write-offs"], write_off(clinic, (clinic.goods, "2"),
                                                                   date="2021-12-05T12:00:00"), post=True)
    assert await stock(api, clinic, clinic.goods) == ("10.000", "100.00")
    assert await check_balance_history(db, stock_register) == []


async def test_a_back_dated_write_off_over_http_is_a_409_with_the_moment(api, db, clinic):
    await history(api, clinic)
    await receipt(api, clinic, (clinic.goods, "10", "10.00"), date="2021-12-15T09:00:00")
    before = await counts(db)
    error = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "5"), date="2021-12-05T12:00:00"),
                             status=409, post=True)
    assert error["code"] == "balance_shortage"
    assert error["details"]["shortfalls"] == [{
        "register": "stock", "dimensions": {"warehouse_id": clinic.warehouse, "nomenclature_id": clinic.goods},
        "resource": "quantity", "available": "2.000", "required": "5.000", "moment": "2021-12-10T12:00:00+03:00",
        "names": {"warehouse_id": "Основной склад", "nomenclature_id": "Шприц 5 мл"},
        "balances": {"quantity": "-3.000"}}]
    assert "на 10.12.2021 12:00 не хватает 3.000" in error["message"]
    assert await counts(db) == before
    assert await stock(api, clinic, clinic.goods) == ("12.000", "120.00")
    # the balance at a date after the sale is what it was: nothing written
    assert await stock(api, clinic, clinic.goods, at="2021-12-11T00:00:00") == ("2.000", "20.00")


async def test_unposting_a_receipt_spent_before_a_later_one_is_refused(api, db, clinic, settings):
    engine = Engine(registry(), settings)
    await history(api, clinic)
    await receipt(api, clinic, (clinic.goods, "10", "10.00"), date="2021-12-15T09:00:00")
    first = (await db.fetchrow("SELECT id FROM doc_goods_receipts WHERE date < '2021-12-02' ORDER BY id"))["id"]
    # 12 now ≥ the 10 it received, but on 10.12 the sale would have taken 8 from nothing
    before = await counts(db)
    with pytest.raises(BalanceShortage) as caught:
        await engine.unpost(db, kinds()["goods-receipts"], first)
    [short] = caught.value.shortfalls
    assert (short.moment, short.available, short.required) == (SOLD, D(-8), D(0))
    assert "на 10.12.2021 12:00 не хватает 8.000" in caught.value.message
    assert await counts(db) == before
    error = await api.post(f"/api/documents/goods-receipts/{first}/unpost", status=409)
    assert error["code"] == "balance_shortage" and error["details"]["shortfalls"][0]["moment"] == (
        "2021-12-10T12:00:00+03:00")
    assert (await api.get(f"/api/documents/goods-receipts/{first}"))["posted"] is True


async def test_moving_a_receipt_later_past_a_sale_is_refused(api, db, clinic, settings):
    await history(api, clinic)
    first = (await db.fetchrow("SELECT id FROM doc_goods_receipts ORDER BY id"))["id"]
    moved = {"date": "2021-12-12T09:00:00", "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
             "lines": [{"nomenclature_id": clinic.goods, "quantity": "10", "price": "10.00"}]}
    before = await counts(db)
    # over HTTP: PUT of the posted receipt with a new date; its balance now would not change
    error = await api.put(f"/api/documents/goods-receipts/{first}", moved, status=409)
    assert error["code"] == "balance_shortage"
    [short] = error["details"]["shortfalls"]
    assert (short["moment"], short["available"], short["required"]) == ("2021-12-10T12:00:00+03:00", "-8.000",
                                                                        "0.000")
    assert await counts(db) == before
    assert (await api.get(f"/api/documents/goods-receipts/{first}"))["date"].startswith("2021-12-01T09:00")
    # through the engine too; a move that stays before the sale is accepted
    engine = Engine(registry(), settings)
    with pytest.raises(BalanceShortage):
        await engine.update(db, kinds()["goods-receipts"], first, moved)
    await engine.update(db, kinds()["goods-receipts"], first, {**moved, "date": "2021-12-09T09:00:00"})
    assert await check_balance_history(db, stock_register) == []


async def test_a_back_dated_payment_from_a_desk_empty_at_its_moment_is_refused(api, db, clinic, settings):
    engine = Engine(registry(), settings)
    await api.create("payments", pay(clinic, "700.00", method="cash", date="2021-12-20T10:00:00"), post=True)
    # 700 are in the desk now, but on 15.12 it was empty
    early = outgoing(clinic, "500.00", date="2021-12-15T10:00:00")
    before = await counts(db)
    with pytest.raises(BalanceShortage) as caught:
        await engine.create(db, kinds()["outgoing-payments"], early, post=True)
    [short] = caught.value.shortfalls
    assert (short.register, short.dimensions["account_id"], short.resource) == ("money", clinic.desk, "amount")
    assert (short.moment, short.available, short.required) == (
        dt.datetime(2021, 12, 15, 10, tzinfo=MSK), D(0), D("500.00"))
    assert ("Касса или банковский счёт «Основная касса»), Сумма: на 15.12.2021 10:00 не хватает 500.00"
            in caught.value.message)
    error = await api.create("outgoing-payments", early, status=409, post=True)
    assert error["details"]["shortfalls"][0]["moment"] == "2021-12-15T10:00:00+03:00"
    assert await counts(db) == before
    assert await money_in(api, clinic, DESK, clinic.desk) == D("700.00")
    # dated after the money came, it is paid
    await api.create("outgoing-payments", outgoing(clinic, "500.00", date="2021-12-21T10:00:00"), post=True)
    assert await money_in(api, clinic, DESK, clinic.desk) == D("200.00")
    assert await check_balance_history(db, money) == []


async def test_batches_get_the_same_check(api, db, clinic, settings):
    engine = Engine(registry(), settings)
    await history(api, clinic)
    await receipt(api, clinic, (clinic.goods, "10", "10.00"), date="2021-12-15T09:00:00")
    kind = kinds()["stock-write-offs"]
    # a batch of new documents: the second one is short on 10.12, the whole batch is refused naming it
    with pytest.raises(BalanceShortage) as caught:
        await engine.create_many(db, kind, [write_off(clinic, (clinic.goods, "1"), date="2021-12-04T12:00:00"),
                                            write_off(clinic, (clinic.goods, "2"), date="2021-12-05T12:00:00")],
                                 post=True)
    assert caught.value.details["item"] == 1 and "items[1]" in caught.value.message
    assert caught.value.shortfalls[0].moment == SOLD
    assert await db.fetchval("SELECT count(*) FROM doc_stock_write_offs") == 0
    # a re-post of a period (drafts posted in one batch) is refused the same way, naming the document
    drafts = [await api.create("stock-write-offs", write_off(clinic, (clinic.goods, q), date=f"2021-12-0{d}T12:00:00"))
              for q, d in (("1", 4), ("2", 5))]
    with pytest.raises(BalanceShortage) as caught:
        await engine.repost(db, kind, [d["id"] for d in drafts])
    assert caught.value.details["document_id"] == drafts[1]["id"]
    assert caught.value.shortfalls[0].moment == SOLD
    assert await db.fetchval("SELECT count(*) FROM doc_stock_write_offs WHERE posted") == 0
    assert await stock(api, clinic, clinic.goods) == ("12.000", "120.00")
