from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "erp_refuse(): a posting's own statement refuses a change it finds wrong (a number that cannot move)"

# One statement writes a document, its lines, movements and numbers. What only that statement can see
# (the series' last number, under the counter's row lock) it judges itself and refuses by raising
# SQLSTATE EB002 (class EB is ours), the reason's code as the message and the details as JSON.
STATEMENTS = (
    """CREATE OR REPLACE FUNCTION erp_refuse(refused boolean, code text, details json) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF refused THEN
        RAISE EXCEPTION '%', code USING ERRCODE = 'EB002', DETAIL = coalesce(details::text, '{}');
    END IF;
    RETURN true;
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
