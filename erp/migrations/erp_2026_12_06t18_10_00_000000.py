from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from erp.app.settings import timezone_name

ID = "2026-12-06T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "«Продажи к возврату» of the renderings posted before it: what each sold, from its sales movements"

# A rendering posted before the register existed wrote no «Продажи к возврату»: nothing of it could be returned.
# Its sales movements say what it sold, line by line (quantity, amount, VAT; for goods, the cost their stock expense
# took: consumed materials do not come back, so a service brings no cost), which is exactly what a re-post would
# write. The totals (month, day, current balance) are added up from those movements, as `erp totals rebuild` does.
# On a new database there is nothing to copy.
MOVEMENTS = """
INSERT INTO reg_returnable_sales_movements (recorder_kind, recorder_id, line_no, period, record_type,
    service_rendering_id, nomenclature_id, quantity, amount, vat, cost)
SELECT m.recorder_kind, m.recorder_id, m.line_no, m.period, 1, m.recorder_id, m.nomenclature_id, m.quantity, m.amount,
       m.vat, CASE WHEN n.kind = 'goods' THEN m.cost ELSE 0 END
FROM reg_sales_movements AS m JOIN cat_nomenclature AS n ON n.id = m.nomenclature_id
WHERE m.recorder_kind = 'service-renderings'
  AND NOT EXISTS (SELECT 1 FROM reg_returnable_sales_movements AS r
                  WHERE r.recorder_kind = m.recorder_kind AND r.recorder_id = m.recorder_id)
ORDER BY m.id
"""
RESOURCES = ("quantity", "amount", "vat", "cost")


def _sides() -> tuple[str, str]:
    columns = ", ".join(f"{r}_receipt, {r}_expense" for r in RESOURCES)
    sums = ", ".join(f"sum(CASE WHEN record_type = 1 THEN {r} ELSE 0 END), sum(CASE WHEN record_type = -1 THEN {r}"
                     f" ELSE 0 END)" for r in RESOURCES)
    return columns, sums


def statements(tz: str) -> list[str]:
    columns, sums = _sides()
    out = [MOVEMENTS]
    for table, unit in (("reg_returnable_sales_month", "month"), ("reg_returnable_sales_day", "day")):
        out += [f"DELETE FROM {table}",
                f"INSERT INTO {table} ({unit}, service_rendering_id, nomenclature_id, {columns})"
                f" SELECT (date_trunc('{unit}', period AT TIME ZONE '{tz}'))::date, service_rendering_id,"
                f" nomenclature_id, {sums} FROM reg_returnable_sales_movements GROUP BY 1, 2, 3"]
    balances = ", ".join(f"sum(record_type * {r})" for r in RESOURCES)
    out += ["DELETE FROM reg_returnable_sales_balance",
            f"INSERT INTO reg_returnable_sales_balance (service_rendering_id, nomenclature_id, {', '.join(RESOURCES)})"
            f" SELECT service_rendering_id, nomenclature_id, {balances} FROM reg_returnable_sales_movements"
            " GROUP BY 1, 2"]
    return out


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        tz = timezone_name()
        if "'" in tz:
            raise ValueError(f"bad time zone {tz!r}")
        for statement in statements(tz):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
