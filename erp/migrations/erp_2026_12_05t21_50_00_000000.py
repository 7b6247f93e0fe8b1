from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.engine import engine_finder

ID = "2026-12-05T21:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A payment always says how it was paid: doc_payments.method is NOT NULL"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp", description=DESCRIPTION)

    async def fill():
        # Rows written before the method was required were paid by bank, the old default.
        await engine_finder().run_ddl(
            "UPDATE doc_payments SET method = 'bank' WHERE method IS NULL OR method NOT IN ('cash', 'bank')")

    manager.add_raw(fill)  # raw steps run before the column changes
    manager.alter_column(
        table_class_name="PaymentsDocument", tablename="doc_payments", column_name="method",
        db_column_name="method", params={"null": False}, old_params={"null": True},
        column_class=Varchar, old_column_class=Varchar, schema=None)
    return manager
