from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Balance control over the past: each register's own history function replaces erp_balance_history()"

# erp_balance_history(query, params) ran the query it was handed by EXECUTE, planned anew on every call
# (≈2 ms of each posting with goods). Each register with resources controlled in the past now has its own
# function with the query written in it, reg_<stem>_history(json), which a connection plans once; they are
# created with the register's indexes by erp.app.migrate.ensure_extras (AccumulationRegister.extra_ddl),
# which runs right after the migrations. Nothing calls the generic function any more.
STATEMENTS = ("DROP FUNCTION IF EXISTS erp_balance_history(text, json)",)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
