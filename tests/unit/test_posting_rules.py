"""The clinic's posting rules on plain data: no database, no engine.

Each rule is ``movements(doc, inputs) -> {register: [Movement]}``; these tests
hand it a document and the answers of its kind's needs (``Inputs``, by need name)
and read the records it returns."""

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from erp.documents import goods_receipt, invoice, payment, service_rendering
from erp.platform.document import Doc
from erp.platform.posting.inputs import Inputs
from erp.registers.invoice_payments import invoice_payments
from erp.registers.sales import sales
from erp.registers.settlements import settlements
from erp.registers.stock import stock

MOMENT = dt.datetime(2021, 12, 22, 9, 5, tzinfo=ZoneInfo("Europe/Moscow"))
GOODS, SERVICE = 11, 12


def doc(kind: str, header: dict, lines: list[dict] = ()) -> Doc:
    return Doc(kind, 7, "000000007", MOMENT, True, False, header, tuple(lines))


def values(register, movement) -> dict:
    """The movement's dimensions and resources by name."""
    names = [f.name for f in (*register.dimensions, *register.resources)]
    return {name: register.as_dict(movement)[name] for name in names}


def rendering(lines: list[dict]) -> Doc:
    total = sum((ln["amount"] for ln in lines), D("0.00"))
    return doc("service-renderings", {"organization_id": 1, "client_id": 2, "doctor_id": 3, "warehouse_id": 4,
                                      "amount_total": total}, lines)


def context(vat_rate: str = "20", balances: dict | None = None) -> Inputs:
    """What a rendering's needs read: the organization's VAT rate, the warehouse's name, the lines'
    items (one good, one service) and the goods' balances in the warehouse."""
    return Inputs({"organization": {"vat_rate": vat_rate}, "warehouse": {"name": "Основной склад"},
                   "items": {GOODS: {"kind": "goods", "name": "Бинт"}, SERVICE: {"kind": "service", "name": "Приём"}},
                   "stock": balances or {}})


def test_a_rendering_sells_every_line_and_the_client_owes_the_total():
    lines = [{"nomenclature_id": SERVICE, "quantity": D("1"), "amount": D("150.00")},
             {"nomenclature_id": SERVICE, "quantity": D("2"), "amount": D("50.50")}]
    moves = service_rendering.movements(rendering(lines), context(vat_rate="20"))
    sold = [values(sales, m) for m in moves[sales]]
    assert [(s["quantity"], s["amount"], s["vat"]) for s in sold] == [
        (D("1"), D("150.00"), D("25.00")), (D("2"), D("50.50"), D("8.42"))]
    assert all(s["doctor_id"] == 3 and s["client_id"] == 2 for s in sold)
    owed = moves[settlements]
    assert len(owed) == 1 and owed[0].record_type == 1
    assert values(settlements, owed[0]) == {"organization_id": 1, "client_id": 2, "amount": D("200.50")}
    assert moves[stock] == []  # services take nothing from the warehouse


def test_goods_leave_stock_at_moving_average_cost():
    # 10 in stock costing 250.00: taking 4 costs 100.00, then taking the remaining 6 costs the remaining 150.00.
    lines = [{"nomenclature_id": GOODS, "quantity": D("4"), "amount": D("400.00")},
             {"nomenclature_id": GOODS, "quantity": D("6"), "amount": D("600.00")}]
    balances = {(4, GOODS): {"quantity": D("10"), "cost": D("250.00")}}
    moves = service_rendering.movements(rendering(lines), context(balances=balances))
    taken = [values(stock, m) for m in moves[stock]]
    assert [m.record_type for m in moves[stock]] == [-1, -1]
    assert [(t["quantity"], t["cost"]) for t in taken] == [(D("4"), D("100.00")), (D("6"), D("150.00"))]


def test_a_shortfall_names_the_item_with_what_is_there_and_what_is_needed():
    lines = [{"nomenclature_id": GOODS, "quantity": D("3"), "amount": D("30.00")}]
    balances = {(4, GOODS): {"quantity": D("2"), "cost": D("20.00")}}
    with pytest.raises(service_rendering.GoodsShortage) as caught:
        service_rendering.movements(rendering(lines), context(balances=balances))
    assert "«Бинт»: доступно 2.000, требуется 3" in caught.value.message
    assert caught.value.details["shortfalls"][0]["available"] == "2.000"


def test_without_vat_the_sales_carry_no_vat():
    lines = [{"nomenclature_id": SERVICE, "quantity": D("1"), "amount": D("150.00")}]
    moves = service_rendering.movements(rendering(lines), context(vat_rate="none"))
    assert values(sales, moves[sales][0])["vat"] == D("0.00")


def test_a_goods_receipt_adds_quantity_and_cost():
    receipt = doc("goods-receipts", {"organization_id": 1, "supplier_id": 5, "warehouse_id": 4},
                  [{"nomenclature_id": GOODS, "quantity": D("10"), "price": D("25.00"), "amount": D("250.00")}])
    (move,) = goods_receipt.movements(receipt, Inputs({}))[stock]
    assert move.record_type == 1
    assert values(stock, move) == {"warehouse_id": 4, "nomenclature_id": GOODS, "quantity": D("10"),
                                   "cost": D("250.00"), "reserved": D("0")}, "a receipt reserves nothing"


def test_an_invoice_is_due_in_full_and_a_payment_reduces_debt_and_due():
    bill = doc("invoices", {"organization_id": 1, "client_id": 2, "amount_total": D("1200.00")})
    (due,) = invoice.movements(bill, Inputs({}))[invoice_payments]
    assert due.record_type == 1 and values(invoice_payments, due) == {"invoice_id": 7, "amount": D("1200.00")}

    paid = payment.movements(doc("payments", {"organization_id": 1, "client_id": 2, "amount": D("500.00"),
                                              "invoice_id": 7}), Inputs({}))
    assert paid[settlements][0].record_type == -1
    assert values(settlements, paid[settlements][0])["amount"] == D("500.00")
    assert values(invoice_payments, paid[invoice_payments][0]) == {"invoice_id": 7, "amount": D("500.00")}


def test_a_payment_without_an_invoice_only_reduces_the_debt():
    paid = payment.movements(doc("payments", {"organization_id": 1, "client_id": 2, "amount": D("80.00"),
                                              "invoice_id": None}), Inputs({}))
    assert set(paid) == {settlements}
