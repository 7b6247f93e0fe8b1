from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder

ID = "2026-12-06T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "amoCRM: clients linked to contacts, and a client's change pushed to its contact through the outbox"

# The link of a client and an amoCRM contact (erp.amocrm.contacts), what Piccolo cannot declare: a contact of
# an account is one client (the unique key the booking's INSERT … ON CONFLICT relies on), the link goes with
# the client when a purge deletes it, and a change of a linked client's name, phone or email, by whatever
# path, enqueues the push to amoCRM in the same transaction unless amoCRM already has those values.
# Piccolo runs these first, before the column changes below; the trigger's body is only resolved when it runs.
STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS amocrm_contacts (
        client_id bigint PRIMARY KEY REFERENCES cat_clients (id) ON DELETE CASCADE,
        account_id bigint NOT NULL,
        contact_id bigint NOT NULL,
        known jsonb NOT NULL DEFAULT '{}'::jsonb,
        sending jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT amocrm_contacts_contact_key UNIQUE (account_id, contact_id))""",
    """CREATE OR REPLACE FUNCTION amocrm_client_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        link record;
    BEGIN
        SELECT contact_id, known INTO link FROM amocrm_contacts WHERE client_id = NEW.id;
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
    "DROP TRIGGER IF EXISTS amocrm_client_changed ON cat_clients",
    """CREATE TRIGGER amocrm_client_changed AFTER UPDATE OF name, phone, email ON cat_clients FOR EACH ROW
        WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.phone IS DISTINCT FROM NEW.phone
              OR OLD.email IS DISTINCT FROM NEW.email)
        EXECUTE FUNCTION amocrm_client_changed()""",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="amocrm", description=DESCRIPTION)

    manager.add_column(
        table_class_name="AmocrmEvent",
        tablename="amocrm_events",
        column_name="contact_id",
        db_column_name="contact_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="AmocrmEvent",
        tablename="amocrm_events",
        column_name="lead_id",
        db_column_name="lead_id",
        params={"null": True, "default": None},
        old_params={"null": False, "default": 0},
        column_class=BigInt,
        old_column_class=BigInt,
        schema=None,
    )

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
