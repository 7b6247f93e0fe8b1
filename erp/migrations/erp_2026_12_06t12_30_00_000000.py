from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Indexes of the client card: documents, debts and sales by client"

# The client card (erp.services.client_card, issue 17) reads one client's documents, debts and sales. The
# documents' indexes by client are declared with their kinds (DocumentKind.indexes: requests by start, invoices
# and payments by date) and created here too, so that `erp migrate` builds them on a database of any age. The
# registers' keys start with the organization; the card asks for one client across every organization, so the
# settlements' current balances and the sales' month totals and movements get an index that starts with the
# client.
STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS doc_requests_client_idx ON doc_requests (client_id, starts_at DESC)",
    "CREATE INDEX IF NOT EXISTS doc_invoices_client_idx ON doc_invoices (client_id, date DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS doc_payments_client_idx ON doc_payments (client_id, date DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS reg_settlements_balance_client_idx ON reg_settlements_balance (client_id)",
    "CREATE INDEX IF NOT EXISTS reg_sales_month_client_idx ON reg_sales_month (client_id, month)",
    "CREATE INDEX IF NOT EXISTS reg_sales_movements_client_idx ON reg_sales_movements (client_id, period)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
