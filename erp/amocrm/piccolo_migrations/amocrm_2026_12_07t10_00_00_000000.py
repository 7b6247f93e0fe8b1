from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "amoCRM: a contact deleted in amoCRM keeps its client and drops the link (deleted_at)"

# What Piccolo cannot declare (erp.amocrm.contact_gone). The link of a contact deleted in amoCRM is kept, marked
# with when it was dropped, so the client's card can say so; a dropped link enqueues nothing when its client
# changes, because there is no contact to send the change to.
STATEMENTS = (
    "ALTER TABLE amocrm_contacts ADD COLUMN IF NOT EXISTS deleted_at timestamptz",
    """CREATE OR REPLACE FUNCTION amocrm_client_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        link record;
    BEGIN
        SELECT contact_id, known INTO link FROM amocrm_contacts WHERE client_id = NEW.id AND deleted_at IS NULL;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        IF NEW.name IS DISTINCT FROM coalesce(link.known->>'name', '')
                OR coalesce(NEW.phone, '') <> coalesce(link.known->>'phone', '')
                OR coalesce(NEW.email, '') <> coalesce(link.known->>'email', '') THEN
            INSERT INTO amocrm_events (direction, kind, lead_id, contact_id, payload, state)
            VALUES ('out', 'contact', NULL, link.contact_id, jsonb_build_object('client_id', NEW.id), 'pending');
            PERFORM pg_notify('amocrm_outbox', '');
        END IF;
        RETURN NULL;
    END $$""",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="amocrm", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
