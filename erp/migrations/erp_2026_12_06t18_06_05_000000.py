from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T18:06:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "Payments posted before the money register: their money account, cash-flow item and money movements"

# Payments now name the cash desk or bank account the money came into (the migration before this one added
# the columns and the register «Денежные средства»). The payments already entered get their organization's
# default account, as a new one would:
#
# * a cash payment: the organization's first cash desk; an organization with cash payments and no cash desk
#   gets one, «Основная касса», since a desk needs nothing but a name;
# * a bank payment: the organization's main bank account (Основной first, then the first one). An
#   organization without any bank account keeps its bank payments without an account: a bank account
#   cannot be made up (its number and BIK are real requisites). Such a payment moved no money; it asks for
#   an account the next time it is written or posted (409/422 `money_account_required`).
#
# Every payment gets the predefined cash-flow item «Оплата от покупателей», and each posted payment with
# an account gets its money receipt, as posting it now would write it; then the register's totals are
# built from those movements (the same rebuild as `erp totals rebuild`).

ASSIGN = (
    """UPDATE doc_payments AS p SET cash_desk_id = (
           SELECT d.id FROM cat_cash_desks AS d
           WHERE d.organization_id = p.organization_id AND NOT d.deletion_mark AND NOT d.is_group
           ORDER BY d.id LIMIT 1)
       WHERE p.method = 'cash' AND p.cash_desk_id IS NULL""",
    """UPDATE doc_payments AS p SET bank_account_id = (
           SELECT a.id FROM cat_bank_accounts AS a
           WHERE a.organization_id = p.organization_id AND NOT a.deletion_mark AND NOT a.is_group
           ORDER BY a.is_default DESC, a.id LIMIT 1)
       WHERE p.method = 'bank' AND p.bank_account_id IS NULL""",
    "UPDATE doc_payments SET bank_account_id = NULL WHERE method = 'cash' AND bank_account_id IS NOT NULL",
    "UPDATE doc_payments SET cash_desk_id = NULL WHERE method = 'bank' AND cash_desk_id IS NOT NULL",
)

MOVEMENTS = """
INSERT INTO reg_money_movements (recorder_kind, recorder_id, line_no, period, record_type, organization_id,
                                 account_kind, account_id, amount, cash_flow_item_id)
SELECT 'payments', p.id, 1, p.date, 1, p.organization_id,
       CASE p.method WHEN 'cash' THEN 'cash-desks' ELSE 'bank-accounts' END,
       CASE p.method WHEN 'cash' THEN p.cash_desk_id ELSE p.bank_account_id END, p.amount, p.cash_flow_item_id
FROM doc_payments AS p
WHERE p.posted AND CASE p.method WHEN 'cash' THEN p.cash_desk_id ELSE p.bank_account_id END IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM reg_money_movements AS m WHERE m.recorder_kind = 'payments' AND m.recorder_id = p.id)
ORDER BY p.id"""


async def assign(conn) -> None:
    """The whole step on an asyncpg connection in a transaction (the migration's own)."""
    from erp.configuration import registry
    from erp.platform.catalog_service import ensure_predefined, parse_item
    from erp.platform.numbering import next_value
    from erp.platform.totals import rebuild_totals
    from erp.registers.money import money

    if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM doc_payments)"):
        return  # a new database: nothing entered yet
    desks = registry().catalogs["cash-desks"]
    lacking = await conn.fetch(
        "SELECT DISTINCT p.organization_id FROM doc_payments AS p WHERE p.method = 'cash' AND NOT EXISTS ("
        " SELECT 1 FROM cat_cash_desks AS d WHERE d.organization_id = p.organization_id"
        " AND NOT d.deletion_mark AND NOT d.is_group) ORDER BY 1")
    for row in lacking:
        values = parse_item(desks, {"name": "Основная касса", "organization_id": row["organization_id"]},
                            partial=False)
        code = str(await next_value(conn, desks.counter_kind)).zfill(desks.code_width)
        columns = ["code", *values]
        await conn.execute(
            f"INSERT INTO cat_cash_desks ({', '.join(columns)})"
            f" VALUES ({', '.join(f'${i}' for i in range(1, len(columns) + 1))})", code, *values.values())
    for statement in ASSIGN:
        await conn.execute(statement)
    items = registry().catalogs["cash-flow-items"]
    await ensure_predefined(conn, items)
    await conn.execute("UPDATE doc_payments SET cash_flow_item_id = (SELECT id FROM cat_cash_flow_items"
                       " WHERE predefined = 'from_customers') WHERE cash_flow_item_id IS NULL")
    await conn.execute(MOVEMENTS)
    await rebuild_totals(conn, money)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp", description=DESCRIPTION)

    async def run():
        await assign(engine_finder().current_transaction.get().connection)

    manager.add_raw(run)
    return manager
