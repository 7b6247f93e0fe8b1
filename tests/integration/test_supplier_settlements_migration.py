"""Issue 15 point 4 on a database of the day before: the migration gives every goods receipt an
organization (the default one, else the first) and makes every posted receipt owe its supplier its
total, with the register's totals right, so «Долги поставщикам» and `erp totals check` agree."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from erp.app.migrate import migrate
from erp.app.settings import Settings
from erp.configuration import registry
from erp.platform import catalog_service as svc
from erp.platform.db import connect
from erp.platform.posting import Engine
from erp.registers.supplier_settlements import supplier_settlements
from erp.services.supplier_debts import debts
from tests.conftest import SECRET

MIGRATIONS = ("2026-12-06T18:05:45:758264", "2026-12-06T18:06:00:000000")
TZ = ZoneInfo("Europe/Moscow")


async def _yesterday(url: str, tmp_path, *, default: bool, mark_first: bool) -> dict:
    """Receipts posted, edited and left as drafts, then the database taken back to before the
    migrations: no register, no organization column, the migrations not applied."""
    reg = registry()
    conn = await connect(url)
    try:
        async def item(catalog: str, data: dict) -> int:
            return (await svc.create(conn, reg, reg.catalogs[catalog], data))["id"]

        org = {"full_name": "ООО «Клиника»", "inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195",
               "vat_rate": "none"}
        first = await item("organizations", {**org, "name": "Клиника"})
        second = await item("organizations", {**org, "name": "Филиал"})
        supplier = await item("clients", {"name": "ООО «МедСнаб»", "kind": "company"})
        warehouse = await item("warehouses", {"name": "Основной склад"})
        goods = await item("nomenclature", {"name": "Шприц 5 мл", "kind": "goods", "price": "25.00"})
        engine = Engine(reg, Settings(database_url=url, secret_key=SECRET, timezone="Europe/Moscow",
                                      data_dir=tmp_path / "data", run_worker_in_serve=False))
        kind = reg.documents["goods-receipts"]

        def body(day: int, quantity: str, price: str) -> dict:
            return {"date": f"2026-11-{day:02d}T10:00:00", "organization_id": first, "supplier_id": supplier,
                    "warehouse_id": warehouse,
                    "lines": [{"nomenclature_id": goods, "quantity": quantity, "price": price}]}

        await engine.create(conn, kind, body(2, "10", "20.00"), post=True)  # 200.00
        edited = await engine.create(conn, kind, body(5, "1", "1.00"), post=True)
        await engine.update(conn, kind, edited.id, body(5, "3", "15.50"))  # 46.50
        await engine.create(conn, kind, body(6, "1", "999.00"), post=False)  # a draft owes nothing
        unposted = await engine.create(conn, kind, body(7, "1", "500.00"), post=True)
        await engine.unpost(conn, kind, unposted.id)

        async with conn.transaction():
            for table in (supplier_settlements.movements_table, supplier_settlements.month_table,
                          supplier_settlements.day_table, supplier_settlements.balance_table):
                await conn.execute(f"DROP TABLE {table}")
            await conn.execute("ALTER TABLE doc_goods_receipts DROP COLUMN organization_id")
            await conn.execute("DELETE FROM migration WHERE app_name = 'erp' AND name = ANY($1::text[])",
                               list(MIGRATIONS))
            if default:
                await conn.execute("INSERT INTO constants (key, value) VALUES ('document_defaults', $1)",
                                   {"organization_id": second})
            if mark_first:
                await conn.execute("UPDATE cat_organizations SET deletion_mark = true WHERE id = $1", first)
        return {"first": first, "second": second, "supplier": supplier}
    finally:
        await conn.close()


async def _today(url: str) -> tuple[list, list, list]:
    conn = await connect(url)
    try:
        organizations = [r["organization_id"] for r in await conn.fetch(
            "SELECT organization_id FROM doc_goods_receipts ORDER BY id")]
        moves = [(r["organization_id"], r["counterparty_id"], r["amount"], r["period"].astimezone(TZ).day)
                 for r in await conn.fetch(f"SELECT * FROM {supplier_settlements.movements_table} ORDER BY period")]
        report = await debts(conn, registry(), dt.date(2026, 11, 30), TZ)
        on_the_3rd = await debts(conn, registry(), dt.date(2026, 11, 3), TZ)
        return organizations, moves, [(r.organization, r.supplier, r.amount) for r in report.rows] + [
            ("на 03.11", "", on_the_3rd.total)]
    finally:
        await conn.close()


def _check(url: str, tmp_path) -> None:
    import erp.app.cli_totals

    env = {"DATABASE_URL": url, "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    checked = CliRunner(env=env).invoke(erp.app.cli_totals.totals, ["check"])
    assert checked.exit_code == 0, checked.output
    assert "Итоги сходятся" in checked.stderr


def test_the_migration_gives_receipts_the_default_organization_and_their_debts(postgres, tmp_path):
    name = asyncio.run(postgres.create_database())
    url = postgres.url_of(name)
    try:
        ids = asyncio.run(_yesterday(url, tmp_path, default=True, mark_first=False))
        asyncio.run(migrate(url))
        organizations, moves, report = asyncio.run(_today(url))
        assert organizations == [ids["second"]] * 4
        assert moves == [(ids["second"], ids["supplier"], D("200.00"), 2),
                         (ids["second"], ids["supplier"], D("46.50"), 5)]
        assert report == [("Филиал", "ООО «МедСнаб»", D("246.50")), ("на 03.11", "", D("200.00"))]
        _check(url, tmp_path)
    finally:
        asyncio.run(postgres.drop_database(name))


def test_without_a_default_the_first_organization_not_marked_is_taken(postgres, tmp_path):
    name = asyncio.run(postgres.create_database())
    url = postgres.url_of(name)
    try:
        ids = asyncio.run(_yesterday(url, tmp_path, default=False, mark_first=True))
        asyncio.run(migrate(url))
        organizations, moves, report = asyncio.run(_today(url))
        assert organizations == [ids["second"]] * 4
        assert [m[:3] for m in moves] == [(ids["second"], ids["supplier"], D("200.00")),
                                          (ids["second"], ids["supplier"], D("46.50"))]
        assert report[0] == ("Филиал", "ООО «МедСнаб»", D("246.50"))
        _check(url, tmp_path)
    finally:
        asyncio.run(postgres.drop_database(name))
