"""Declaring a register: its movement records, its tables and what it refuses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest

from erp.platform.fields import Field
from erp.platform.posting.control import past_query
from erp.platform.register import AccumulationRegister, Movement
from erp.platform.shortfalls import BalanceShortage
from erp.platform.totals import check_totals, rebuild_totals
from tests.platform.conftest import at, install, make_sales, make_stock
from tests.platform.writes import current_balances, write_movements

D = Decimal


def test_movement_records_are_frozen_typed_values():
    stock = make_stock()
    m = stock.expense(at(2024, 1, 1), warehouse_id="1", item_id=2, quantity=D("1.5"))
    assert m == Movement(register="test-stock", period=at(2024, 1, 1), record_type=-1,
                         dimensions={"warehouse_id": 1, "item_id": 2},
                         resources={"quantity": D("1.500"), "cost": D("0.00")}, attributes={"note": ""})
    assert stock.as_dict(m) == {"warehouse_id": 1, "item_id": 2, "quantity": D("1.5"), "cost": D(0), "note": ""}
    assert stock.key(m) == (1, 2)
    with pytest.raises(AttributeError):
        m.period = at(2024, 1, 2)  # type: ignore[misc]
    assert msgspec.json.decode(msgspec.json.encode(m), type=Movement) == m


@pytest.mark.parametrize("make, values, error", [
    ("receipt", {"warehouse_id": 1, "quantity": D(1)}, "dimensions not given: \\['item_id'\\]"),
    ("receipt", {"warehouse_id": 1, "item_id": 1, "shelf": 3}, "unknown fields \\['shelf'\\]"),
    ("receipt", {"warehouse_id": 1, "item_id": 1, "quantity": 1.5}, "Decimal or int expected"),
    ("receipt", {"warehouse_id": 1, "item_id": 1, "cost": D("0.001")}, "не больше 2 знаков"),
    ("receipt", {"warehouse_id": 0, "item_id": 1}, "идентификатор"),
    ("turnover", {"warehouse_id": 1, "item_id": 1}, "use receipt\\(\\) or expense\\(\\)"),
])
def test_bad_movements_are_refused(make, values, error):
    with pytest.raises((ValueError, TypeError), match=error):
        getattr(make_stock(), make)(at(2024, 1, 1), **values)


def test_periods_are_timezone_aware_and_turnover_registers_have_no_receipts():
    with pytest.raises(ValueError, match="timezone-aware"):
        make_stock().receipt(dt.datetime(2024, 1, 1), warehouse_id=1, item_id=1)
    with pytest.raises(TypeError, match="use turnover"):
        make_sales().receipt(at(2024, 1, 1), client_id=1, item_id=1)


def test_tables_and_indexes():
    stock = make_stock("test-goods")
    tables = stock.tables()
    assert tables is stock.tables()  # built once
    assert [t._meta.tablename for t in tables] == [
        "reg_test_goods_movements", "reg_test_goods_month", "reg_test_goods_day", "reg_test_goods_balance"]
    movements, month, day, balance = ([c._meta.name for c in t._meta.columns] for t in tables)
    assert movements == ["id", "recorder_kind", "recorder_id", "line_no", "period", "record_type",
                         "warehouse_id", "item_id", "quantity", "cost", "note"]
    assert month == ["id", "month", "warehouse_id", "item_id", "quantity_receipt", "quantity_expense",
                     "cost_receipt", "cost_expense"]
    assert day == ["id", "day", "warehouse_id", "item_id", "quantity_receipt", "quantity_expense",
                   "cost_receipt", "cost_expense"]
    assert balance == ["id", "warehouse_id", "item_id", "quantity", "cost"]
    assert [c._meta.name for c in make_sales().tables()[1]._meta.columns] == [
        "id", "month", "client_id", "item_id", "quantity", "amount"]
    assert len(make_sales().tables()) == 2
    assert stock.extra_ddl() == [
        "CREATE INDEX IF NOT EXISTS reg_test_goods_movements_recorder_idx ON reg_test_goods_movements "
        "(recorder_kind, recorder_id)",
        'CREATE INDEX IF NOT EXISTS reg_test_goods_movements_key_idx ON reg_test_goods_movements '
        '("warehouse_id", "item_id", period) INCLUDE (record_type, "quantity", "cost")',
        "CREATE INDEX IF NOT EXISTS reg_test_goods_movements_period_idx ON reg_test_goods_movements (period)",
        'CREATE INDEX IF NOT EXISTS reg_test_goods_month_key_idx ON reg_test_goods_month '
        '("warehouse_id", "item_id", month)',
        'CREATE INDEX IF NOT EXISTS reg_test_goods_day_key_idx ON reg_test_goods_day ("warehouse_id", "item_id", day)',
        # quantity is controlled in the past: the register's history function, its query written in it
        f'CREATE OR REPLACE FUNCTION "reg_test_goods_history"(json) RETURNS SETOF record LANGUAGE plpgsql VOLATILE'
        f" AS $erp$ BEGIN RETURN QUERY {past_query(stock)}; END $erp$"]
    assert 'FROM "reg_test_goods_movements" AS m' in past_query(stock)


@pytest.mark.parametrize("kwargs, error", [
    ({"name": "Stock"}, "register name"),
    ({"kind": "ledger"}, "kind is"),
    ({"resources": (Field("period", "money"),)}, "reserved"),
    ({"resources": (Field("quantity", "int"),)}, "must be one of"),
    ({"no_negative": ("weight",)}, "unknown resources"),
    ({"kind": "turnover", "no_negative": ("quantity",)}, "only a balance register"),
    ({"dimensions": (Field("quantity", "ref", ref="x"),)}, "unique"),
    ({"timezone": "Europe/Moscow'; DROP"}, "bad timezone"),
])
def test_bad_declarations_are_refused(kwargs, error):
    declaration = {"name": "x", "kind": "balance", "dimensions": (Field("item_id", "ref", ref="items"),),
                   "resources": (Field("quantity", "quantity"),), "no_negative": ()} | kwargs
    with pytest.raises(ValueError, match=error):
        AccumulationRegister(declaration.pop("name"), **declaration)


async def test_names_that_are_sql_keywords_work_everywhere(db):
    reg = AccumulationRegister(
        "test-keywords", kind="balance", no_negative=("limit",),
        dimensions=(Field("user", "ref", ref="users", required=True), Field("order", "str", required=True)),
        resources=(Field("limit", "money"),), attributes=(Field("select", "int"),))
    await install(db, reg)
    await write_movements(db, reg, "doc", 1, [reg.receipt(at(2024, 1, 5), user=1, order="A", limit=D(5), select=3)])
    taking = [reg.expense(at(2024, 2, 5), user=1, order="A", limit=D(7))]
    with pytest.raises(BalanceShortage) as refused:
        await write_movements(db, reg, "doc", 2, taking)
    [shortfall] = refused.value.shortfalls
    assert (shortfall.dimensions, shortfall.available, shortfall.required) == ({"user": 1, "order": "A"}, 5, 7)
    assert await db.fetchval(f'SELECT count(*) FROM "{reg.movements_table}" WHERE recorder_id = 2') == 0
    assert await reg.balance(db) == [{"user": 1, "order": "A", "limit": D(5)}]
    await write_movements(db, reg, "doc", 2, taking, controlled=False)  # the reads below see a negative balance
    assert await reg.balance(db, at(2024, 1, 31), order=["A"]) == [{"user": 1, "order": "A", "limit": D(5)}]
    assert (await reg.turnovers(db, at(2024, 1, 1), at(2024, 3, 1), "month"))[1]["limit_expense"] == D(7)
    assert (await reg.balance_and_turnovers(db, at(2024, 2, 1), at(2024, 3, 1)))[0]["limit_closing"] == D(-2)
    assert await current_balances(db, reg, [{"user": 1, "order": "A"}], ("doc", 2)) == {(1, "A"): {"limit": D(5)}}
    await rebuild_totals(db, reg)
    assert await check_totals(db, reg) == []
