from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T08:58:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The audit log's indexes: newest first (the keyset), alone and after each filter"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS audit_log_at_idx ON audit_log (at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS audit_log_username_idx ON audit_log (username, at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS audit_log_object_idx ON audit_log (object_kind, object_id, at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS audit_log_action_idx ON audit_log (action, at DESC, id DESC)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
