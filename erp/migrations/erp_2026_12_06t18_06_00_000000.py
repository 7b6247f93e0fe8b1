from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T18:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Goods receipts take an organization; the posted ones owe their suppliers (supplier-settlements)"

# A goods receipt names its organization from now on (the migration before this one added the column). The
# receipts written before take the default organization of «Значения по умолчанию» when it is set and still
# there, else the first organization not marked for deletion, else the first one (as a receipt written
# without one takes it, erp.documents.goods_receipt). Every posted receipt then owes its supplier its total,
# one movement per receipt dated as the receipt, as posting it writes; the register's month and day totals
# and current balances are added up from those movements, so `erp totals check` finds them right.
FILL_ORGANIZATION = """
UPDATE doc_goods_receipts SET organization_id = (
    SELECT o.id FROM cat_organizations AS o
    ORDER BY (o.id = (SELECT (c.value->>'organization_id')::bigint FROM constants AS c
                      WHERE c.key = 'document_defaults') AND NOT o.deletion_mark) IS TRUE DESC,
             o.deletion_mark, o.id
    LIMIT 1)
WHERE organization_id IS NULL
"""

BACKFILL_MOVEMENTS = """
INSERT INTO reg_supplier_settlements_movements
    (recorder_kind, recorder_id, line_no, period, record_type, organization_id, counterparty_id, amount)
SELECT 'goods-receipts', r.id, 1, r.date, 1, r.organization_id, r.supplier_id, t.amount
FROM doc_goods_receipts AS r
JOIN LATERAL (SELECT sum(l.amount) AS amount FROM doc_goods_receipts_lines AS l WHERE l.document_id = r.id) AS t
  ON true
WHERE r.posted AND r.organization_id IS NOT NULL AND t.amount <> 0
  AND NOT EXISTS (SELECT 1 FROM reg_supplier_settlements_movements AS m
                  WHERE m.recorder_kind = 'goods-receipts' AND m.recorder_id = r.id)
ORDER BY r.date, r.id
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp", description=DESCRIPTION)

    async def run():
        from erp.platform.totals import totals_sql
        from erp.registers.supplier_settlements import supplier_settlements

        engine = engine_finder()
        await engine.run_ddl(FILL_ORGANIZATION)
        await engine.run_ddl(BACKFILL_MOVEMENTS)
        for table in (supplier_settlements.month_table, supplier_settlements.day_table,
                      supplier_settlements.balance_table):
            await engine.run_ddl(f"DELETE FROM {table}")
        for statement in totals_sql(supplier_settlements):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
