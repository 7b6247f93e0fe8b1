from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T21:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "amoCRM: each PDF generated for a lead becomes a note in it, once; appointment reminders sent once"

# What Piccolo cannot declare. A PDF kept in the generated documents registry for a lead (not one printed with
# facsimiles: those stay with who printed them) enqueues one note in the outbox in the same statement, by
# whatever path it was printed; the deliverer adds the PDF's signed link (erp.amocrm.lead_links). The unique
# index makes the note once per PDF. Appointment reminders (erp.amocrm.reminders) are one row per appointment
# and start time: the primary key is what two workers racing for the same appointment meet on.
STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS amocrm_events_generated_note_once ON amocrm_events"
    " ((payload->>'generated_id')) WHERE kind = 'note' AND payload ? 'generated_id'",
    """CREATE OR REPLACE FUNCTION amocrm_generated_note() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        num text := coalesce((substring(NEW.document_number from '[0-9]+$'))::numeric::text, NEW.document_number);
    BEGIN
        INSERT INTO amocrm_events (direction, kind, lead_id, payload, state, document_kind, document_id)
        VALUES ('out', 'note', NEW.amocrm_lead_id, jsonb_build_object(
                    'generated_id', NEW.id,
                    'text', CASE WHEN NEW.sent_to IS NULL THEN 'Сформирован PDF: '
                                 ELSE 'Отправлено клиенту на ' || NEW.sent_to || ': ' END
                            || NEW.document_type || ' № ' || num || ' (' || NEW.file_name || ')'),
                'pending', NEW.document_kind, NEW.document_id)
        ON CONFLICT DO NOTHING;
        PERFORM pg_notify('amocrm_outbox', '');
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS amocrm_generated_note ON generated_documents",
    """CREATE TRIGGER amocrm_generated_note AFTER INSERT ON generated_documents FOR EACH ROW
        WHEN (NEW.amocrm_lead_id IS NOT NULL AND NOT NEW.facsimile) EXECUTE FUNCTION amocrm_generated_note()""",
    """CREATE TABLE IF NOT EXISTS appointment_reminders (
        request_id bigint NOT NULL REFERENCES doc_requests (id) ON DELETE CASCADE,
        starts_at timestamptz NOT NULL,
        state text NOT NULL,
        sent_to text NOT NULL DEFAULT '',
        event_id bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (request_id, starts_at))""",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="amocrm", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
