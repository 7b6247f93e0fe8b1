"""Issue 14: ``erp totals check`` sees what the totals alone cannot. A database corrupted by SQL
the way the old code corrupted it (a document moved into another year keeping its number; stock
left at a negative cost or with cost and no quantity, its totals rebuilt to match) makes the
check print the fault and exit with 1; a sound database passes."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from click.testing import CliRunner

import erp.app.cli_totals
from erp.app.settings import Settings
from erp.configuration import registry
from erp.platform.db import connect
from erp.platform.posting import Engine
from erp.platform.totals import check_balance_history, check_balance_rules, check_numbers, check_totals, rebuild_totals
from erp.registers.stock import stock
from tests.conftest import SECRET
from tests.ledger.test_stock_property import Clinic


def receipt(clinic: Clinic, warehouse: int, item: int, day: str) -> dict:
    return {"date": f"{day}T10:00:00", "supplier_id": clinic.supplier, "warehouse_id": warehouse,
            "lines": [{"nomenclature_id": item, "quantity": "2", "price": "10.00"}]}


async def fill(url: str, data_dir: Path) -> dict:
    """Two receipts in 2025 and one in 2026, each of its own item, posted by the engine."""
    conn = await connect(url)
    try:
        reg = registry()
        engine = Engine(reg, Settings(database_url=url, secret_key=SECRET, timezone="Europe/Moscow",
                                      data_dir=data_dir, run_worker_in_serve=False))
        clinic = Clinic(conn, reg)
        await clinic.setup()
        warehouse = await clinic.item("warehouses", {"name": "Основной склад"})
        items = [await clinic.item("nomenclature", {"name": name, "kind": "goods", "price": "1"})
                 for name in ("Бинт", "Шприц", "Вата")]
        kind = reg.documents["goods-receipts"]
        docs = [await engine.create(conn, kind, receipt(clinic, warehouse, item, day), post=True)
                for item, day in zip(items, ("2025-11-01", "2025-12-01", "2026-01-15"), strict=True)]
        return {"ids": [d.id for d in docs], "numbers": [d.number for d in docs], "items": items}
    finally:
        await conn.close()


async def sql(url: str, *statements: str) -> None:
    conn = await connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
        await rebuild_totals(conn, stock)  # the totals agree with the corrupted movements: only the rules see it
    finally:
        await conn.close()


class Checked:
    """``erp totals check`` run: its exit code, and its output with rich's line wrapping undone."""

    def __init__(self, runner: CliRunner) -> None:
        result = runner.invoke(erp.app.cli_totals.totals, ["check"])
        self.exit_code, self.output = result.exit_code, result.output
        self.stdout, self.stderr = (" ".join(text.split()) for text in (result.stdout, result.stderr))


def check(runner: CliRunner) -> Checked:
    return Checked(runner)


def test_erp_totals_check_finds_duplicate_numbers_and_broken_stock(postgres, tmp_path):
    name = asyncio.run(postgres.create_database())
    url = postgres.url_of(name)
    env = {"DATABASE_URL": url, "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(tmp_path), "COLUMNS": "200",
           "ERP_TIMEZONE": "Europe/Moscow"}
    runner = CliRunner(env=env)
    try:
        made = asyncio.run(fill(url, tmp_path / "data"))
        assert made["numbers"] == ["00000000001", "00000000002", "00000000001"]
        sound = check(runner)
        assert sound.exit_code == 0, sound.output
        assert "правила остатков соблюдены" in sound.stderr and "номера документов уникальны" in sound.stderr

        # the old code's move: the first 2025 receipt dated 2026 keeps its number, 2026 now has two № 1
        first, _, new_year = made["ids"]
        asyncio.run(sql(url, f"UPDATE doc_goods_receipts SET date = date + interval '3 months' WHERE id = {first}"))
        moved = check(runner)
        assert moved.exit_code == 1, moved.output
        assert "номер повторяется" in moved.stdout and f"{first}, {new_year}" in moved.stdout
        assert "Нарушений нумерации: 1" in moved.stderr
        asyncio.run(sql(url, f"UPDATE doc_goods_receipts SET date = date - interval '3 months' WHERE id = {first}"))
        assert check(runner).exit_code == 0

        # stock: one item at a negative cost, another with cost and no quantity
        bint, syringe, _ = made["items"]
        asyncio.run(sql(url, f"UPDATE reg_stock_movements SET cost = -5 WHERE nomenclature_id = {bint}",
                        f"UPDATE reg_stock_movements SET quantity = 0 WHERE nomenclature_id = {syringe}"))
        broken = check(runner)
        assert broken.exit_code == 1, broken.output
        assert "Расхождений" not in broken.stderr  # the totals match the movements
        assert "отрицательный остаток" in broken.stdout and "-5.00" in broken.stdout
        assert "не 0 при нулевом «Количество»" in broken.stdout and "20.00" in broken.stdout
        assert "Нарушений правил остатков: 2" in broken.stderr

        # cotton wool sold by SQL on 01.12.2025, before its only receipt (15.01.2026): 1 left now, −1 back then
        wool = made["items"][2]
        asyncio.run(sql(url, f"UPDATE reg_stock_movements SET cost = 20 WHERE nomenclature_id = {bint}",
                        f"UPDATE reg_stock_movements SET quantity = 2 WHERE nomenclature_id = {syringe}",
                        "INSERT INTO reg_stock_movements (recorder_kind, recorder_id, line_no, period, record_type,"
                        " warehouse_id, nomenclature_id, quantity, cost) SELECT 'x', 1, 1, '2025-12-01 12:00+03',"
                        " -1, warehouse_id, nomenclature_id, 1, 10 FROM reg_stock_movements"
                        f" WHERE nomenclature_id = {wool}"))
        past = check(runner)
        assert past.exit_code == 1, past.output
        assert "отрицательный остаток на 01.12.2025 12:00" in past.stdout and "-1.000" in past.stdout
        assert "Нарушений правил остатков: 1" in past.stderr
    finally:
        asyncio.run(postgres.drop_database(name))


async def test_the_checks_name_each_fault(db):
    """The platform's checks themselves, on rows written by SQL."""
    kind = registry().documents["goods-receipts"]
    insert = ("INSERT INTO doc_goods_receipts (number, number_prefix, number_year, date, supplier_id, warehouse_id)"
              " VALUES ($1, '', $2, $3, 1, 1) RETURNING id")
    first = await db.fetchval(insert, "00000000001", 2025, dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    second = await db.fetchval(insert, "00000000001", 2026, dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    assert await check_numbers(db, kind, "Europe/Moscow") == []
    # 23:30 UTC on 31 December is already the new year in Moscow
    late = await db.fetchval(insert, "00000000002", 2025, dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC))
    await db.execute("UPDATE doc_goods_receipts SET date = '2026-02-01' WHERE id = $1", first)
    faults = await check_numbers(db, kind, "Europe/Moscow")
    assert [(f.year, f.number, f.ids, f.problem) for f in faults] == [
        (2026, "00000000001", [first, second], "duplicate"), (2026, "00000000002", [late], "year")]
    assert [f.problem for f in await check_numbers(db, kind, "UTC")] == ["duplicate"]

    await db.execute("INSERT INTO reg_stock_movements (recorder_kind, recorder_id, line_no, period, record_type,"
                     " warehouse_id, nomenclature_id, quantity, cost) VALUES"
                     " ('x', 1, 1, now(), 1, 1, 1, 0, 7), ('x', 1, 2, now(), 1, 1, 2, 1, -3)")
    await rebuild_totals(db, stock)
    assert await check_totals(db, stock) == []
    breaches = await check_balance_rules(db, stock)
    assert [(b.key["nomenclature_id"], b.resource, b.value, b.pair) for b in breaches] == [
        (1, "cost", 7, "quantity"), (2, "cost", -3, None)]
    assert await check_balance_history(db, stock) == []
    # item 2 taken out on the day before it came: 1 now, −2 that day
    await db.execute("INSERT INTO reg_stock_movements (recorder_kind, recorder_id, line_no, period, record_type,"
                     " warehouse_id, nomenclature_id, quantity, cost) VALUES"
                     " ('y', 1, 1, now() - interval '1 day', -1, 1, 2, 2, 0), ('y', 1, 2, now(), 1, 1, 2, 2, 0)")
    [past] = await check_balance_history(db, stock)
    assert (past.key["nomenclature_id"], past.resource, past.value, past.moment is not None) == (2, "quantity", -2,
                                                                                                True)
