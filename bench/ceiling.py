"""The posting ceiling: what PostgreSQL itself does with the same writes.

One statement per document, written by hand: it takes the next number
(the same gapless counter row), inserts the header and the lines, the
movements of the four registers (sales, stock, settlements, returnable sales) and upserts their month totals,
day totals (the balance registers) and current balances in key order, exactly the register rows the posting
engine writes for a ServiceRendering (not the subscribers' rows: the audit log's, the amoCRM outbox's).
There is no reading at all (no reference check, no period lock, no moving-average cost: the cost is the
item's price), no Python between statements and one round trip, committed on its own. Run with the same
concurrency as the engine, its rate is the ceiling the engine's rate is divided by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from erp.platform.register import AccumulationRegister
from erp.services.pricing import money, vat_of

from .clinic import Clinic
from .workload import Plan, concurrently

KIND = "service-renderings"

POST_SQL = """
WITH num AS (
    INSERT INTO document_counters AS c (kind, prefix, year, last) VALUES ('service-renderings', $1, $2, 1)
    ON CONFLICT (kind, prefix, year) DO UPDATE SET last = c.last + 1
    RETURNING last
), doc AS (
    INSERT INTO doc_service_renderings (number, number_prefix, number_year, date, posted, organization_id,
                                        client_id, doctor_id, warehouse_id, amount_total)
    SELECT $1 || lpad(num.last::text, 11 - length($1), '0'), $1, $2, $3, true, $4, $5, $6, $7, $8 FROM num
    RETURNING id
), l AS (
    SELECT * FROM unnest($9::bigint[], $10::numeric[], $11::numeric[], $12::numeric[], $13::numeric[],
                         $14::boolean[], $15::numeric[]) WITH ORDINALITY
        AS l(nomenclature_id, quantity, price, amount, vat, goods, cost, line_no)
), lines AS (
    INSERT INTO doc_service_renderings_lines (document_id, line_no, nomenclature_id, quantity, price,
                                              discount_percent, discount_amount, amount, note)
    SELECT doc.id, l.line_no, l.nomenclature_id, l.quantity, l.price, 0, 0, l.amount, '' FROM doc, l
), sales AS (
    INSERT INTO reg_sales_movements (recorder_kind, recorder_id, line_no, period, record_type, organization_id,
                                     client_id, nomenclature_id, doctor_id, quantity, amount, vat)
    SELECT 'service-renderings', doc.id, l.line_no, $3, 0, $4, $5, l.nomenclature_id, $6, l.quantity, l.amount, l.vat
    FROM doc, l
), sales_month AS (
    INSERT INTO reg_sales_month AS t (month, organization_id, client_id, nomenclature_id, doctor_id,
                                      quantity, amount, vat)
    SELECT $16, $4, $5, nomenclature_id, $6, sum(quantity), sum(amount), sum(vat) FROM l
    GROUP BY nomenclature_id ORDER BY nomenclature_id
    ON CONFLICT (month, organization_id, client_id, nomenclature_id, doctor_id) DO UPDATE
    SET quantity = t.quantity + EXCLUDED.quantity, amount = t.amount + EXCLUDED.amount, vat = t.vat + EXCLUDED.vat
), stock AS (
    INSERT INTO reg_stock_movements (recorder_kind, recorder_id, line_no, period, record_type, warehouse_id,
                                     nomenclature_id, quantity, cost)
    SELECT 'service-renderings', doc.id, row_number() OVER (ORDER BY l.line_no), $3, -1, $7, l.nomenclature_id,
           l.quantity, l.cost
    FROM doc, l WHERE l.goods
), stock_month AS (
    INSERT INTO reg_stock_month AS t (month, warehouse_id, nomenclature_id, quantity_receipt, quantity_expense,
                                      cost_receipt, cost_expense)
    SELECT $16, $7, nomenclature_id, 0, sum(quantity), 0, sum(cost) FROM l WHERE goods
    GROUP BY nomenclature_id ORDER BY nomenclature_id
    ON CONFLICT (month, warehouse_id, nomenclature_id) DO UPDATE
    SET quantity_expense = t.quantity_expense + EXCLUDED.quantity_expense,
        cost_expense = t.cost_expense + EXCLUDED.cost_expense
), stock_day AS (
    INSERT INTO reg_stock_day AS t (day, warehouse_id, nomenclature_id, quantity_receipt, quantity_expense,
                                    cost_receipt, cost_expense)
    SELECT $17, $7, nomenclature_id, 0, sum(quantity), 0, sum(cost) FROM l WHERE goods
    GROUP BY nomenclature_id ORDER BY nomenclature_id
    ON CONFLICT (day, warehouse_id, nomenclature_id) DO UPDATE
    SET quantity_expense = t.quantity_expense + EXCLUDED.quantity_expense,
        cost_expense = t.cost_expense + EXCLUDED.cost_expense
), stock_balance AS (
    INSERT INTO reg_stock_balance AS t (warehouse_id, nomenclature_id, quantity, cost)
    SELECT $7, nomenclature_id, -sum(quantity), -sum(cost) FROM l WHERE goods
    GROUP BY nomenclature_id ORDER BY nomenclature_id
    ON CONFLICT (warehouse_id, nomenclature_id) DO UPDATE
    SET quantity = t.quantity + EXCLUDED.quantity, cost = t.cost + EXCLUDED.cost
), settlements AS (
    INSERT INTO reg_settlements_movements (recorder_kind, recorder_id, line_no, period, record_type,
                                           organization_id, client_id, amount)
    SELECT 'service-renderings', doc.id, 1, $3, 1, $4, $5, $8 FROM doc
), settlements_month AS (
    INSERT INTO reg_settlements_month AS t (month, organization_id, client_id, amount_receipt, amount_expense)
    VALUES ($16, $4, $5, $8, 0)
    ON CONFLICT (month, organization_id, client_id) DO UPDATE
    SET amount_receipt = t.amount_receipt + EXCLUDED.amount_receipt
), settlements_day AS (
    INSERT INTO reg_settlements_day AS t (day, organization_id, client_id, amount_receipt, amount_expense)
    VALUES ($17, $4, $5, $8, 0)
    ON CONFLICT (day, organization_id, client_id) DO UPDATE
    SET amount_receipt = t.amount_receipt + EXCLUDED.amount_receipt
), settlements_balance AS (
    INSERT INTO reg_settlements_balance AS t (organization_id, client_id, amount) VALUES ($4, $5, $8)
    ON CONFLICT (organization_id, client_id) DO UPDATE SET amount = t.amount + EXCLUDED.amount
), r AS (
    SELECT doc.id AS rendering_id, l.line_no, l.nomenclature_id, l.quantity, l.amount, l.vat,
           CASE WHEN l.goods THEN l.cost ELSE 0 END AS cost
    FROM doc, l
), returnable AS (
    INSERT INTO reg_returnable_sales_movements (recorder_kind, recorder_id, line_no, period, record_type,
                                                service_rendering_id, nomenclature_id, quantity, amount, vat, cost)
    SELECT 'service-renderings', rendering_id, line_no, $3, 1, rendering_id, nomenclature_id, quantity, amount, vat,
           cost
    FROM r
), returnable_month AS (
    INSERT INTO reg_returnable_sales_month AS t (month, service_rendering_id, nomenclature_id, quantity_receipt,
                                                 quantity_expense, amount_receipt, amount_expense, vat_receipt,
                                                 vat_expense, cost_receipt, cost_expense)
    SELECT $16, rendering_id, nomenclature_id, sum(quantity), 0, sum(amount), 0, sum(vat), 0, sum(cost), 0 FROM r
    GROUP BY rendering_id, nomenclature_id ORDER BY rendering_id, nomenclature_id
    ON CONFLICT (month, service_rendering_id, nomenclature_id) DO UPDATE
    SET quantity_receipt = t.quantity_receipt + EXCLUDED.quantity_receipt,
        amount_receipt = t.amount_receipt + EXCLUDED.amount_receipt,
        vat_receipt = t.vat_receipt + EXCLUDED.vat_receipt, cost_receipt = t.cost_receipt + EXCLUDED.cost_receipt
), returnable_day AS (
    INSERT INTO reg_returnable_sales_day AS t (day, service_rendering_id, nomenclature_id, quantity_receipt,
                                               quantity_expense, amount_receipt, amount_expense, vat_receipt,
                                               vat_expense, cost_receipt, cost_expense)
    SELECT $17, rendering_id, nomenclature_id, sum(quantity), 0, sum(amount), 0, sum(vat), 0, sum(cost), 0 FROM r
    GROUP BY rendering_id, nomenclature_id ORDER BY rendering_id, nomenclature_id
    ON CONFLICT (day, service_rendering_id, nomenclature_id) DO UPDATE
    SET quantity_receipt = t.quantity_receipt + EXCLUDED.quantity_receipt,
        amount_receipt = t.amount_receipt + EXCLUDED.amount_receipt,
        vat_receipt = t.vat_receipt + EXCLUDED.vat_receipt, cost_receipt = t.cost_receipt + EXCLUDED.cost_receipt
), returnable_balance AS (
    INSERT INTO reg_returnable_sales_balance AS t (service_rendering_id, nomenclature_id, quantity, amount, vat, cost)
    SELECT rendering_id, nomenclature_id, sum(quantity), sum(amount), sum(vat), sum(cost) FROM r
    GROUP BY rendering_id, nomenclature_id ORDER BY rendering_id, nomenclature_id
    ON CONFLICT (service_rendering_id, nomenclature_id) DO UPDATE
    SET quantity = t.quantity + EXCLUDED.quantity, amount = t.amount + EXCLUDED.amount, vat = t.vat + EXCLUDED.vat,
        cost = t.cost + EXCLUDED.cost
)
SELECT id FROM doc
"""


def arguments(plan: Plan, clinic: Clinic, register: AccumulationRegister, now: dt.datetime,
              vat_rate: str = "20") -> tuple:
    """The statement's arguments for one document (computed before the clock starts)."""
    date = plan.date or now
    local = date.astimezone(register.tz)
    amounts = [money(Decimal(q) * p) for _, q, p, _ in plan.lines]
    return (clinic.prefix, local.year, date, clinic.organization, plan.client, plan.doctor, plan.warehouse,
            sum(amounts, Decimal("0.00")),
            [n for n, *_ in plan.lines], [Decimal(q) for _, q, _, _ in plan.lines],
            [Decimal(p) for _, _, p, _ in plan.lines], amounts, [vat_of(a, vat_rate) for a in amounts],
            [g for *_, g in plan.lines], amounts, local.date().replace(day=1), local.date())


async def ceiling_run(pool: asyncpg.Pool, clinic: Clinic, register: AccumulationRegister, items: Sequence[Plan],
                      tasks: int) -> float:
    """Seconds :data:`POST_SQL` takes to write ``items`` with ``tasks`` concurrent connections
    (the arguments are computed before the clock starts)."""
    now = dt.datetime.now(dt.UTC)
    args = [arguments(p, clinic, register, now) for p in items]

    async def one(a: tuple) -> None:
        async with pool.acquire() as conn:
            await conn.execute(POST_SQL, *a)

    return await concurrently(tasks, args, one)
