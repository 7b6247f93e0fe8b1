"""Balances at a date read a key's raw movements from its index alone (issue 20, row 4c): the
movements' key index covers record_type and the resources, on a fresh database and after the
migration that replaces the older, non-covering index."""

from __future__ import annotations

import importlib

from erp.app.migrate import ensure_extras
from erp.configuration import registry

MIGRATION = importlib.import_module("erp.migrations.erp_2026_12_05t21_55_00_000000")


async def key_index(db, table: str) -> str:
    return await db.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = $1", f"{table}_key_idx")


async def test_every_registers_key_index_covers_record_type_and_resources(db):
    for register in registry().registers.values():
        definition = await key_index(db, register.movements_table)
        covered = ", ".join(["record_type", *register.resource_names])
        assert definition.endswith(f"INCLUDE ({covered})"), definition


async def test_the_migration_replaces_an_older_index_without_the_resources(db, database_url):
    stock = registry().registers["stock"]
    table = stock.movements_table
    await db.execute(f"DROP INDEX {table}_key_idx")
    await db.execute(f"CREATE INDEX {table}_key_idx ON {table} (warehouse_id, nomenclature_id, period)")
    assert "INCLUDE" not in await key_index(db, table)
    for statement in MIGRATION.STATEMENTS:
        await db.execute(statement)
    assert await key_index(db, table) is None
    await ensure_extras(database_url)
    assert (await key_index(db, table)).endswith("INCLUDE (record_type, quantity, cost, reserved)")
    for statement in MIGRATION.STATEMENTS:  # a covering index stays as it is
        await db.execute(statement)
    assert (await key_index(db, table)).endswith("INCLUDE (record_type, quantity, cost, reserved)")
