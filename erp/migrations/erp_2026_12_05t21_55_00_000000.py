from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T21:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Registers' movements by key cover record_type and the resources (balances at a date read the index only)"

# A balance at a moment reads up to half a month of a key's raw movements. With the key index covering
# record_type and the resources, that read is an index-only scan: for a key with a long, dense history it
# no longer visits a heap page per movement (issue 20, row 4c). The index is declared by
# AccumulationRegister.extra_ddl() and created by erp.migrate.ensure_extras() right after the migrations,
# so here the older, non-covering index of every accumulation register is dropped to be built again.
STATEMENTS = (
    r"""DO $$
DECLARE
    old record;
BEGIN
    FOR old IN SELECT i.indexname FROM pg_indexes i
               WHERE i.schemaname = current_schema() AND i.indexname LIKE 'reg\_%\_movements\_key\_idx'
                 AND i.indexdef NOT LIKE '% INCLUDE %'
    LOOP
        EXECUTE format('DROP INDEX %I', old.indexname);
    END LOOP;
END
$$""",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
