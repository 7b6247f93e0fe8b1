from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "printing: the registry of generated documents by client, newest first (the client card)"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS generated_documents_client_idx"
    " ON generated_documents (client_id, generated_at DESC, id DESC)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="printing", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
