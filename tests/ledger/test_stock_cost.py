"""Acceptance point 2 of issue 14: stock cost never goes negative nor stays behind a zero quantity.
Balance control checks the cost as well as the quantity (the register declares both), so unposting
or editing a GoodsReceipt whose goods were already sold at average cost is refused with a 409 that
names the item, the quantity and the cost; nothing is written."""

from __future__ import annotations

import pytest

from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister
from erp.registers.stock import stock as stock_register
from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import receipt, rendering, stock


def sale(clinic, quantity: str) -> dict:
    return rendering(clinic, {"nomenclature_id": clinic.goods, "quantity": quantity, "price": "25"})


def test_the_stock_register_declares_cost_controlled():
    assert stock_register.no_negative == ("quantity", "cost")
    assert stock_register.zero_with == {"cost": "quantity"}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"zero_with": {"weight": "quantity"}}, "zero_with names unknown resources"),
    ({"zero_with": {"cost": "cost"}}, "with itself"),
    ({"kind": "turnover", "zero_with": {"cost": "quantity"}}, "only a balance register"),
])
def test_zero_with_is_checked_when_declared(kwargs, message):
    base = {"kind": "balance", "dimensions": (Field("item_id", "ref", ref="items", required=True),),
            "resources": (Field("quantity", "quantity"), Field("cost", "money"))} | kwargs
    with pytest.raises(ValueError, match=message):
        AccumulationRegister("test-zero-with", **base)


async def test_unposting_a_receipt_whose_goods_were_sold_at_average_cost_is_refused(api, db, clinic):
    cheap = await receipt(api, clinic, (clinic.goods, "10", "10.00"))   # 10 for 100.00
    dear = await receipt(api, clinic, (clinic.goods, "10", "30.00"))    # 10 for 300.00
    await api.create("service-renderings", sale(clinic, "10"), post=True)  # at average cost: 200.00
    assert await stock(api, clinic, clinic.goods) == ("10.000", "200.00")
    before = await counts(db)

    # without the dear receipt 10 are left at -100.00: a negative cost
    refused = await api.post(f"/api/documents/goods-receipts/{dear['id']}/unpost", status=409)
    assert refused["code"] == "balance_shortage"
    assert refused["message"] == (
        "Недостаточно остатка: Товары на складах (Склад «Основной склад», Номенклатура «Шприц 5 мл»), "
        "Себестоимость: остаток станет -100.00 (после изменения: Количество 0.000, Себестоимость -100.00)")
    assert refused["details"]["shortfalls"] == [{
        "register": "stock", "dimensions": {"warehouse_id": clinic.warehouse, "nomenclature_id": clinic.goods},
        "resource": "cost", "available": "-100.00", "required": "0",
        "names": {"warehouse_id": "Основной склад", "nomenclature_id": "Шприц 5 мл"},
        "balances": {"quantity": "0.000", "cost": "-100.00"}}]

    # without the cheap one nothing is left but 100.00 of cost
    refused = await api.post(f"/api/documents/goods-receipts/{cheap['id']}/unpost", status=409)
    assert refused["message"] == (
        "Остаток станет неверным: Товары на складах (Склад «Основной склад», Номенклатура «Шприц 5 мл»), "
        "Себестоимость: остаток 100.00 при нулевом остатке «Количество», а должен быть 0"
        " (после изменения: Количество 0.000, Себестоимость 100.00)")
    assert refused["details"]["shortfalls"][0]["zero_with"] == "quantity"

    assert await counts(db) == before
    assert await stock(api, clinic, clinic.goods) == ("10.000", "200.00")
    for doc in (cheap, dear):
        assert (await api.get(f"/api/documents/goods-receipts/{doc['id']}"))["posted"] is True


async def test_editing_a_receipt_whose_goods_were_sold_cannot_leave_cost_without_quantity(api, db, clinic):
    arrived = await receipt(api, clinic, (clinic.goods, "4", "10.00"))
    await api.create("service-renderings", sale(clinic, "4"), post=True)  # all of it, at 40.00
    assert await stock(api, clinic, clinic.goods) == ("0", "0")
    before = await counts(db)
    path = f"/api/documents/goods-receipts/{arrived['id']}"

    def edited(price: str, comment: str = "") -> dict:
        return {"date": arrived["date"], "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
                "comment": comment, "lines": [{"nomenclature_id": clinic.goods, "quantity": "4", "price": price}]}

    dearer = await api.put(path, edited("25.00"), status=409)  # 0 left, at 60.00
    assert "«Шприц 5 мл»" in dearer["message"] and "Количество 0.000, Себестоимость 60.00" in dearer["message"]
    cheaper = await api.put(path, edited("5.00"), status=409)  # 0 left, at -20.00
    assert "Себестоимость: остаток станет -20.00" in cheaper["message"]
    assert await counts(db) == before
    assert await stock(api, clinic, clinic.goods) == ("0", "0")
    assert (await api.get(path))["lines"][0]["price"] == "10.00"
    # an edit that leaves the stock as it was goes through
    assert (await api.put(path, edited("10.00", "счёт-фактура 17")))["comment"] == "счёт-фактура 17"
