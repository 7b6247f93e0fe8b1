from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T12:09:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "amoCRM: a stage's action is mapped once, and runs once per lead"

# What Piccolo cannot declare: one row per (pipeline, stage, action) in the mapping, and one outbox event
# per (lead, pipeline, stage, action), so a repeated status webhook enqueues nothing twice.
STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS amocrm_stage_actions_once"
    " ON amocrm_stage_actions (pipeline_id, status_id, action)",
    "CREATE UNIQUE INDEX IF NOT EXISTS amocrm_events_stage_action_once ON amocrm_events"
    " (lead_id, (payload->>'pipeline_id'), (payload->>'status_id'), (payload->>'action'))"
    " WHERE kind = 'stage_action'",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="amocrm", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
