"""Reports that join documents with registers: invoices with what is still due."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from erp.platform.errors import ValidationError

STATUSES = ("unpaid", "partially_paid", "paid")

INVOICES_SQL = """
SELECT i.id, i.number, i.date, i.due_date, i.organization_id, i.client_id, c.name AS client,
       i.amocrm_lead_id, i.amount_total, GREATEST(COALESCE(b.amount, 0), 0) AS amount_due,
       CASE WHEN COALESCE(b.amount, 0) <= 0 AND i.amount_total > 0 THEN 'paid'
            WHEN COALESCE(b.amount, 0) >= i.amount_total THEN 'unpaid'
            ELSE 'partially_paid' END AS status
FROM doc_invoices i
JOIN cat_clients c ON c.id = i.client_id
LEFT JOIN reg_invoice_payments_balance b ON b.invoice_id = i.id
WHERE i.posted AND NOT i.deletion_mark
"""


async def invoices(conn: asyncpg.Connection, status: str | None = None, client_id: int | None = None,
                   organization_id: int | None = None) -> list[dict]:
    if status is not None and status not in STATUSES:
        raise ValidationError.field("status", f"статус: {', '.join(STATUSES)}")
    sql = f"SELECT * FROM ({INVOICES_SQL}) x WHERE ($1::text IS NULL OR status = $1)" \
          " AND ($2::bigint IS NULL OR client_id = $2) AND ($3::bigint IS NULL OR organization_id = $3)" \
          " ORDER BY date DESC, id DESC"
    rows = await conn.fetch(sql, status, client_id, organization_id)
    return [dict(r) | {"amount_due": Decimal(r["amount_due"])} for r in rows]
