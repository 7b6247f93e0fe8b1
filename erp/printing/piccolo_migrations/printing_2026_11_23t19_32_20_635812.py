from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T19:32:20:635812"
VERSION = "1.38.0"
DESCRIPTION = "printing: registry indexes, owners of facsimiles and stamps"

# What Piccolo cannot declare: the registry's keyset and per-document indexes,
# and the users and organizations that facsimiles and stamps belong to (and go with).
STATEMENTS = (
    "CREATE INDEX generated_documents_recent_idx ON generated_documents (generated_at DESC, id DESC)",
    "CREATE INDEX generated_documents_document_idx ON generated_documents (document_kind, document_id)",
    "ALTER TABLE printing_facsimiles ADD CONSTRAINT printing_facsimiles_user_fk"
    " FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE",
    "ALTER TABLE printing_facsimiles ADD CONSTRAINT printing_facsimiles_organization_fk"
    " FOREIGN KEY (organization_id) REFERENCES cat_organizations (id) ON DELETE CASCADE",
    "ALTER TABLE printing_stamps ADD CONSTRAINT printing_stamps_organization_fk"
    " FOREIGN KEY (organization_id) REFERENCES cat_organizations (id) ON DELETE CASCADE",
    "ALTER TABLE printing_facsimiles ADD CONSTRAINT printing_facsimiles_position_check"
    " CHECK (position IN ('director', 'accountant'))",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="printing", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
