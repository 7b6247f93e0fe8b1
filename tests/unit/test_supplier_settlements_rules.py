"""Расчёты с поставщиками on plain data: what a goods receipt owes its supplier, and which
organization a receipt written without one takes (no database, no engine)."""

import datetime as dt
from decimal import Decimal as D
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from erp.documents import goods_receipt
from erp.platform.document import Doc
from erp.platform.period_lock import PeriodClosed
from erp.platform.posting.inputs import Constants, First, Inputs, Later
from erp.registers.stock import stock
from erp.registers.supplier_settlements import supplier_settlements

TZ = ZoneInfo("Europe/Moscow")
MOMENT = dt.datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
SETTINGS = SimpleNamespace(tz=TZ)


def receipt(header: dict, *amounts: str, posted: bool = True, at: dt.datetime = MOMENT) -> Doc:
    lines = tuple({"nomenclature_id": 11 + i, "quantity": D("1.000"), "price": D(a), "amount": D(a)}
                  for i, a in enumerate(amounts))
    return Doc("goods-receipts", 7, "000000007", at, posted, False, {"supplier_id": 5, "warehouse_id": 4, **header},
               lines)


def owed(moves: dict) -> list[tuple[int, dict]]:
    return [(m.record_type, {k: v for k, v in supplier_settlements.as_dict(m).items()
                             if k in ("organization_id", "counterparty_id", "amount")})
            for m in moves[supplier_settlements]]


def test_a_receipt_owes_its_supplier_its_total_once_for_every_line():
    moves = goods_receipt.movements(receipt({"organization_id": 2}, "250.00", "49.90", "0.10"), Inputs({}))
    assert owed(moves) == [(1, {"organization_id": 2, "counterparty_id": 5, "amount": D("300.00")})]
    assert len(moves[stock]) == 3  # the goods still arrive line by line


def test_a_receipt_for_nothing_owes_nothing():
    assert owed(goods_receipt.movements(receipt({"organization_id": 2}, "0.00"), Inputs({}))) == []
    assert owed(goods_receipt.movements(receipt({"organization_id": 2}), Inputs({}))) == []


def test_a_receipt_without_an_organization_reads_the_defaults_and_takes_the_default_one():
    doc = receipt({})
    needs = goods_receipt.needs(None, doc, SETTINGS)
    assert needs["defaults"] == Constants("document_defaults")
    assert needs["first_organization"] == First("organizations")
    assert isinstance(needs["default"], Later)
    # the default organization (when set) is read with it, to know it still exists and is not marked
    assert needs["default"].then({"defaults": {"document_defaults": {"organization_id": 3}}}) == {
        "organization": First("organizations", where={"id": 3})}
    assert needs["default"].then({"defaults": {}}) == {}

    inputs = Inputs({"first_organization": {"id": 1}, "default": {"organization": {"id": 3}},
                     "organization_locks": {}}, settings=SETTINGS)
    header, _ = goods_receipt.fill(dict(doc.header), [], inputs)
    assert header["organization_id"] == 3
    no_default = Inputs({"first_organization": {"id": 1}, "default": {}, "organization_locks": {}}, settings=SETTINGS)
    assert goods_receipt.fill(dict(doc.header), [], no_default)[0]["organization_id"] == 1


def test_a_receipt_naming_its_organization_reads_nothing_and_keeps_it():
    doc = receipt({"organization_id": 2})
    assert goods_receipt.needs(None, doc, SETTINGS) == {}
    assert goods_receipt.fill(dict(doc.header), [], Inputs({}))[0]["organization_id"] == 2
    assert goods_receipt.rules(None, doc, Inputs({}, settings=SETTINGS)) == []


def test_the_default_organization_s_own_period_lock_refuses_the_receipt():
    locks = {"period_lock:organization:3": {"date": "2026-03-31"}}
    doc = receipt({"organization_id": 3})
    (refusal,) = goods_receipt.rules(None, doc, Inputs({"organization_locks": locks}, settings=SETTINGS))
    assert isinstance(refusal, PeriodClosed)
    assert "Период закрыт: дата запрета изменения 31.03.2026" in refusal.message
    assert "провести" in refusal.message
    later = receipt({"organization_id": 3}, at=dt.datetime(2026, 4, 1, 0, 30, tzinfo=TZ))
    assert goods_receipt.rules(None, later, Inputs({"organization_locks": locks}, settings=SETTINGS)) == []
    other = receipt({"organization_id": 2})
    assert goods_receipt.rules(None, other, Inputs({"organization_locks": locks}, settings=SETTINGS)) == []


def test_a_posted_receipt_without_any_organization_is_a_422_naming_the_field():
    (error,) = goods_receipt.rules(None, receipt({}), Inputs({"organization_locks": {}}, settings=SETTINGS))
    assert error.details["fields"]["organization_id"] == "укажите организацию, которая должна поставщику"
    assert goods_receipt.rules(None, receipt({}, posted=False), Inputs({}, settings=SETTINGS)) == []


def test_unposting_asks_nothing():
    old = receipt({"organization_id": 2})
    new = receipt({"organization_id": 2}, posted=False)
    assert goods_receipt.needs(old, new, SETTINGS) == {}
    assert goods_receipt.rules(old, new, Inputs({})) == []
