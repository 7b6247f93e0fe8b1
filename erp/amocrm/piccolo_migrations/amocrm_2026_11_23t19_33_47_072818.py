from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T19:33:47:072818"
VERSION = "1.38.0"
DESCRIPTION = "amoCRM: the outbox queue index (due pending events) and the exchange log's filter indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS amocrm_events_due_idx ON amocrm_events (next_attempt_at, id)"
    " WHERE state = 'pending' AND direction = 'out'",
    "CREATE INDEX IF NOT EXISTS amocrm_events_state_idx ON amocrm_events (state, id)",
    "CREATE INDEX IF NOT EXISTS amocrm_events_created_idx ON amocrm_events (created_at, id)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="amocrm", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
