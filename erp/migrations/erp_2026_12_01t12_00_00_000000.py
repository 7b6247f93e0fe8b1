from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Balance control inside a posting's own statement: erp_balance_shortage() refuses it"

# The statement that posts a new document checks its own balances (the upserts' RETURNING). Run on its
# own (no transaction around it: one round trip, the counter row locked only inside it), it must fail
# as a whole when something is short, so the refusal is raised by the server. The shortfalls travel in
# the error's DETAIL as JSON; SQLSTATE EB001 is ours (class EB is not PostgreSQL's).
STATEMENTS = (
    """CREATE OR REPLACE FUNCTION erp_balance_shortage(shortfalls json) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF shortfalls IS NOT NULL THEN
        RAISE EXCEPTION 'balance shortage' USING ERRCODE = 'EB001', DETAIL = shortfalls::text;
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
