from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Balance control over the past: erp_balance_history() reads a key's history with a fresh snapshot"

# A posting's statement checks a key's balance at every moment from the earliest one it touches. Its own
# snapshot shows neither its own writes (the recorder's old movements deleted, its new ones inserted) nor a
# posting that committed on the key while it waited for the key's balance row. A VOLATILE function runs its
# query with a fresh snapshot that sees both, so the statement hands the query (its text built by the posting
# compiler from the register's declaration, never from input) and its parameters as JSON to this function,
# called after the register's writes. Nothing is written by it.
STATEMENTS = (
    """CREATE OR REPLACE FUNCTION erp_balance_history(query text, params json) RETURNS SETOF record
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN QUERY EXECUTE query USING params;
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
