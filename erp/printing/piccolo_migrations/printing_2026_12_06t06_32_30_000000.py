from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T06:32:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "printing: a template's document type, the kinds of user variables"

# What Piccolo cannot declare: a template keeps its document type (the type cannot be
# deleted while a template uses it), and a user variable is one of three kinds with a plain name.
STATEMENTS = (
    "ALTER TABLE print_templates ADD CONSTRAINT print_templates_document_type_fk"
    " FOREIGN KEY (document_type_id) REFERENCES cat_document_types (id) ON DELETE RESTRICT",
    "ALTER TABLE print_variables ADD CONSTRAINT print_variables_value_type_check"
    " CHECK (value_type IN ('text', 'link', 'template'))",
    "ALTER TABLE print_variables ADD CONSTRAINT print_variables_name_check"
    " CHECK (name ~ '^[a-z][a-z0-9_]*$')",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="printing", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
