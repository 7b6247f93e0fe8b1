"""Итоги: a corrupted total is found by the check and repaired by the rebuild,
from Python and from ``erp totals``."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

from click.testing import CliRunner

from erp.platform.db import connect
from erp.platform.totals import Difference, check_totals, rebuild_totals
from tests.conftest import SECRET
from tests.platform.conftest import at, install, make_sales, make_stock
from tests.platform.writes import write_movements

D = Decimal


async def fill(conn, stock, sales) -> None:
    await write_movements(conn, stock, "receipt", 1, [
        stock.receipt(at(2024, 1, 10), warehouse_id=1, item_id=1, quantity=D(10), cost=D(100)),
        stock.receipt(at(2024, 2, 10), warehouse_id=1, item_id=2, quantity=D(3), cost=D(30))])
    await write_movements(conn, stock, "issue", 1, [
        stock.expense(at(2024, 2, 11), warehouse_id=1, item_id=1, quantity=D(4), cost=D(40))])
    await write_movements(conn, sales, "sale", 1, [
        sales.turnover(at(2024, 2, 11), client_id=1, item_id=1, quantity=D(4), amount=D(400))])


async def corrupt(conn, stock, sales) -> None:
    await conn.execute(f"UPDATE {stock.month_table} SET quantity_expense = 5 "
                       "WHERE item_id = 1 AND month = '2024-02-01'")
    await conn.execute(f"UPDATE {stock.day_table} SET cost_receipt = 99 WHERE item_id = 2")
    await conn.execute(f"UPDATE {stock.balance_table} SET cost = 0 WHERE item_id = 2")
    await conn.execute(f"DELETE FROM {sales.month_table}")
    await conn.execute(f"INSERT INTO {stock.balance_table} (warehouse_id, item_id, quantity, cost) "
                       "VALUES (9, 9, 1, 0)")


async def test_check_finds_every_corruption_and_rebuild_repairs_it(db, stock, sales):
    await fill(db, stock, sales)
    assert await check_totals(db, stock) == [] and await check_totals(db, sales) == []
    # Unposting leaves zero rows behind; they are no difference.
    await write_movements(db, stock, "issue", 1, [])
    assert await check_totals(db, stock) == []
    await write_movements(db, stock, "issue", 1, [
        stock.expense(at(2024, 2, 11), warehouse_id=1, item_id=1, quantity=D(4), cost=D(40))])

    await corrupt(db, stock, sales)
    feb = dt.date(2024, 2, 1)
    assert await check_totals(db, stock) == [
        Difference(register="test-stock", table="month", key={"month": feb, "warehouse_id": 1, "item_id": 1},
                   column="quantity_expense", stored=D(5), expected=D(4)),
        Difference(register="test-stock", table="day", key={"day": dt.date(2024, 2, 10), "warehouse_id": 1,
                                                               "item_id": 2},
                   column="cost_receipt", stored=D(99), expected=D(30)),
        Difference(register="test-stock", table="balance", key={"warehouse_id": 1, "item_id": 2},
                   column="cost", stored=D(0), expected=D(30)),
        Difference(register="test-stock", table="balance", key={"warehouse_id": 9, "item_id": 9},
                   column="quantity", stored=D(1), expected=D(0))]
    assert [(d.table, d.column, d.stored, d.expected) for d in await check_totals(db, sales)] == [
        ("month", "amount", D(0), D(400)), ("month", "quantity", D(0), D(4))]

    assert await rebuild_totals(db, stock) == {"month": 3, "day": 3, "balance": 2}
    assert await rebuild_totals(db, sales) == {"month": 1}
    assert await check_totals(db, stock) == [] and await check_totals(db, sales) == []
    assert [(r["item_id"], r["quantity"], r["cost"]) for r in await stock.balance(db)] == [
        (1, D(6), D(60)), (2, D(3), D(30))]
    assert (await stock.balance(db, at(2024, 2, 10, 23)))[0]["quantity"] == D(10)


def test_erp_totals_check_and_rebuild(postgres, monkeypatch, tmp_path):
    import erp.app.cli_totals

    stock, sales = make_stock(), make_sales()
    monkeypatch.setattr(erp.app.cli_totals, "all_registers", lambda: [stock, sales])
    monkeypatch.setattr(erp.app.cli_totals, "all_document_kinds", lambda: [])
    name = asyncio.run(postgres.create_database())
    url = postgres.url_of(name)

    async def prepare():
        conn = await connect(url)
        try:
            await install(conn, stock, sales)
            await fill(conn, stock, sales)
            await corrupt(conn, stock, sales)
        finally:
            await conn.close()

    env = {"DATABASE_URL": url, "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    runner = CliRunner(env=env)
    try:
        asyncio.run(prepare())
        checked = runner.invoke(erp.app.cli_totals.totals, ["check"])
        assert checked.exit_code == 1, checked.output
        assert "quantity_expense" in checked.stdout and "test-sales" in checked.stdout
        assert "Расхождений: 6" in checked.stderr and "по дням" in checked.stdout

        rebuilt = runner.invoke(erp.app.cli_totals.totals, ["rebuild", "test-stock"])
        assert rebuilt.exit_code == 0, rebuilt.output
        assert "test-stock: строк итогов по месяцам 3, по дням 3, текущих 2" in rebuilt.stderr
        assert runner.invoke(erp.app.cli_totals.totals, ["check"]).exit_code == 1  # sales still broken

        assert runner.invoke(erp.app.cli_totals.totals, ["rebuild"]).exit_code == 0
        checked = runner.invoke(erp.app.cli_totals.totals, ["check"])
        assert checked.exit_code == 0 and "Итоги сходятся" in checked.stderr

        unknown = runner.invoke(erp.app.cli_totals.totals, ["rebuild", "nope"])
        assert unknown.exit_code == 1 and "нет регистра накопления «nope»" in unknown.stderr
    finally:
        asyncio.run(postgres.drop_database(name))
