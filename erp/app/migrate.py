"""Applying and checking Piccolo migrations against a given database."""

from __future__ import annotations

import contextlib
import io


def use_database(url: str) -> None:
    """Point Piccolo's engine at ``url``."""
    from erp.piccolo_conf import DB

    DB.config = {"dsn": url}


EXTRAS_LOCK = 0x45525045  # the advisory lock key of ensure_extras ("ERPE")


class MigrationFailed(Exception):
    pass


async def migrate(url: str) -> None:
    """Apply every migration that has not run yet."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    use_database(url)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = await run_forwards(app_name="all", migration_id="all")
    if not result.success:
        raise MigrationFailed(f"{result.message}\n{out.getvalue()}")
    await ensure_extras(url)


async def ensure_extras(url: str) -> None:
    """What Piccolo's table definitions cannot say, ensured after every migration
    and idempotent: composite indexes and constraints of the declared objects,
    and the catalogs' predefined items."""
    from erp.configuration import registry
    from erp.platform.catalog_service import ensure_predefined
    from erp.platform.db import connect

    reg = registry()
    conn = await connect(url)
    try:
        async with conn.transaction():
            # One process at a time: two servers starting together would each lock the tables
            # their DDL touches, in turn, and deadlock (seen with the group constraints' re-creation).
            await conn.execute("SELECT pg_advisory_xact_lock($1)", EXTRAS_LOCK)
            for statement in reg.extra_ddl():
                await conn.execute(statement)
            for catalog in reg.catalogs.values():
                await ensure_predefined(conn, catalog)
    finally:
        await conn.close()


def app_names() -> list[str]:
    """Every Piccolo app of the project (the core ``erp`` and one per area with tables)."""
    from piccolo.conf.apps import Finder

    return [config.app_name for config in Finder().get_app_configs()]


async def pending_changes(url: str) -> list[str]:
    """The statements an auto-migration would add, over every app: empty when
    the table definitions and the migrations agree."""
    from piccolo.apps.migrations.commands.new import AutoMigrationManager
    from piccolo.conf.apps import Finder

    use_database(url)
    out: list[str] = []
    for app_config in Finder().get_app_configs():
        groups = await AutoMigrationManager(auto_input="n").get_alter_statements(app_config=app_config)
        out += [f"{app_config.app_name}: {s}" for group in groups for s in group.statements]
    return out


async def applied(url: str) -> list[str]:
    """``app:migration id`` of every migration the database has run."""
    from piccolo.apps.migrations.tables import Migration

    use_database(url)
    if not await Migration.table_exists():
        return []
    rows = await Migration.select(Migration.app_name, Migration.name)
    return sorted(f"{r['app_name']}:{r['name']}" for r in rows)


def known() -> list[str]:
    """``app:migration id`` of every migration in the code."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.conf.apps import Finder

    out = []
    for app_config in Finder().get_app_configs():
        modules = BaseMigrationManager().get_migration_modules(app_config.resolved_migrations_folder_path)
        out += [f"{app_config.app_name}:{name}" for name in modules]
    return sorted(out)
