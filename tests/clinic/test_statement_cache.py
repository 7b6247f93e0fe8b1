"""Postings on a pooled connection that keeps its statements prepared, before and after another process
changes the tables those statements use (a migration run while ``erp serve`` serves, then the start-up
DDL that follows every migration).

The pool caches every statement of the posting path, the long write statement included (a
ServiceRendering's is ≈20 KiB, above asyncpg's default limit). PostgreSQL plans a statement again by
itself when a table it uses changed; a statement whose *result* changed (``SELECT d.*`` of a document
table that gained a column) is refused instead, and the engine then runs its transaction again on a
statement prepared anew."""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

from erp.app.migrate import ensure_extras, use_database
from erp.configuration import registry
from erp.platform.db import create_pool
from erp.platform.posting import Engine
from tests.clinic.test_service_rendering import receipt, rendering, stock

LONG = 15 * 1024  # asyncpg's default max_cacheable_statement_size


def _goods(clinic, quantity: str, day: int) -> dict:
    return rendering(clinic, {"nomenclature_id": clinic.goods, "quantity": quantity, "price": "30"},
                     {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"},
                     date=f"2021-12-{day}T10:00:00")


async def _migration_adding_columns(url: str) -> None:
    """What a migration adding a register attribute and a header field runs (Piccolo's own
    ``MigrationManager.add_column``), then the start-up DDL (``ensure_extras``), on connections of its own."""
    use_database(url)
    manager = MigrationManager(migration_id="2099-01-01T00:00:00:000000", app_name="erp",
                               description="columns added while the server serves")
    for table, class_name in (("reg_stock_movements", "RegStockMovements"),
                              ("doc_service_renderings", "DocServiceRenderings")):
        manager.add_column(
            table_class_name=class_name, tablename=table, column_name="remark", db_column_name="remark",
            column_class_name="Varchar", column_class=Varchar,
            params={"length": 100, "default": "", "null": False, "primary_key": False, "unique": False,
                    "index": False, "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
                    "secret": False},
            schema=None)
    await manager.run()
    await ensure_extras(url)


async def test_postings_go_on_after_a_migration_changes_the_tables_their_prepared_statements_use(
        api, db, clinic, database_url, settings):
    await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    reg = registry()
    engine, kind = Engine(reg, settings), reg.documents["service-renderings"]
    pool = await create_pool(database_url, min_size=1, max_size=1)  # one connection: every call reuses its cache
    try:
        async with pool.acquire() as conn:
            first = await engine.create(conn, kind, _goods(clinic, "1", 20), post=True)
            drafts = [await engine.create(conn, kind, _goods(clinic, "1", day)) for day in (21, 22)]
            posted = await engine.post(conn, kind, drafts[0].id)  # load and lock, read, write: in a transaction
            again = await engine.create(conn, kind, _goods(clinic, "1", 20), post=True)
            # the write statements stay prepared on the connection, not parsed and planned for every posting
            kept = await conn.fetch("SELECT length(statement) AS length, generic_plans + custom_plans AS runs"
                                    " FROM pg_prepared_statements WHERE statement LIKE 'WITH %'")
            assert sorted(r["runs"] for r in kept if r["length"] > LONG) == [1, 2]

            await _migration_adding_columns(database_url)

            # a new document outside any transaction: its write statement is planned again by PostgreSQL
            after = await engine.create(conn, kind, _goods(clinic, "2", 23), post=True)
            # a draft posted in the engine's transaction: the cached ``SELECT d.*`` now returns one more
            # column, PostgreSQL refuses it and aborts the transaction, the engine runs it again
            reposted = await engine.post(conn, kind, drafts[1].id)
    finally:
        await pool.close()

    # the drafts took their numbers when written (2 and 3), and kept them when posted
    assert [d.number for d in (first, posted, again, after, reposted)] == [
        "К0000000001", "К0000000002", "К0000000004", "К0000000005", "К0000000003"]
    assert after.posted and reposted.posted
    # 10 received, 1 + 1 + 1 + 2 + 1 sold at 10.00 each
    assert await stock(api, clinic, clinic.goods) == ("4.000", "40.00")
    moves = await api.get(f"/api/documents/service-renderings/{reposted.id}/movements")
    assert [(m["quantity"], m["cost"]) for m in moves["stock"]] == [("1.000", "10.00")]
    assert await db.fetchval("SELECT count(*) FROM reg_stock_movements WHERE remark = ''") == 6
