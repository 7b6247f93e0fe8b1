"""Потребность в закупке: the goods that are below their minimum stock at a warehouse.

An item's minimum per warehouse is the nomenclature's tabular part «Минимальные остатки» (as
1C:УТ keeps it in «Настройки обеспечения» per item and warehouse). For every item and warehouse
whose available balance (the stock register's quantity less what Requests hold in reserve: «доступно»)
is below its minimum, the report gives:

* the consumption over the last ``days`` days: what left the warehouse to be used, that is the
  stock expenses of renderings (goods sold and a service's materials) and write-offs, less what
  clients returned. Transfers between the clinic's own warehouses are not consumption (the goods
  are still the clinic's; counting them would order the same goods twice, at the sending and at
  the receiving warehouse), and neither are an inventory count's corrections;
* the average daily consumption, the consumption divided by ``days``;
* the suggested quantity: ``minimum − balance + average daily consumption × lead days``, rounded up
  to a whole unit (enough to be back at the minimum when the goods arrive ``lead_days`` later);
* the item's last supplier and price, from its latest posted «Поступление товаров».

:func:`order_drafts` turns the chosen rows into «Заказ поставщику» drafts: one per warehouse and
supplier (the chosen one, else each item's last supplier).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import asyncpg

from erp.platform.errors import ValidationError

DAYS_DEFAULT, DAYS_MAX = 30, 3650
LEAD_DEFAULT, LEAD_MAX = 7, 365
# Stock expenses that are consumption, and receipts that give it back (a client's return).
CONSUMING = ("service-renderings", "stock-write-offs")
GIVING_BACK = ("client-returns",)
FORMULA = "Предлагается заказать = минимальный остаток − остаток + среднесуточный расход × срок поставки," \
          " с округлением вверх до целого"


@dataclass(frozen=True)
class Parameters:
    days: int = DAYS_DEFAULT
    lead_days: int = LEAD_DEFAULT
    warehouse_id: int | None = None


def _whole(raw: str | int | None, name: str, default: int, low: int, high: int, problems: dict[str, str]) -> int:
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    if not (text.isdigit() and low <= int(text) <= high):
        problems[name] = f"целое число от {low} до {high}"
        return default
    return int(text)


def parameters(days: str | int | None, lead_days: str | int | None, warehouse_id: int | None) -> Parameters:
    """The report's parameters, or one 422 naming each bad one."""
    problems: dict[str, str] = {}
    out = Parameters(_whole(days, "days", DAYS_DEFAULT, 1, DAYS_MAX, problems),
                     _whole(lead_days, "lead_days", LEAD_DEFAULT, 0, LEAD_MAX, problems), warehouse_id)
    if problems:
        raise ValidationError("Неверные параметры отчёта: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                              code="bad_report_parameters", details={"fields": problems})
    return out


def suggested(minimum: Decimal, balance: Decimal, consumed: Decimal, days: int, lead_days: int) -> Decimal:
    """What to order: back to the minimum, plus what goes in the lead days, rounded up to a whole unit."""
    need = minimum - balance + consumed / days * lead_days
    return max(need, Decimal(0)).to_integral_value(rounding=ROUND_CEILING)


NEEDS_SQL = """
WITH mins AS (
    SELECT p.owner_id AS nomenclature_id, p.warehouse_id, p.minimum, n.name AS nomenclature, n.unit
    FROM cat_nomenclature_minimums AS p
    JOIN cat_nomenclature AS n ON n.id = p.owner_id
    JOIN cat_warehouses AS w ON w.id = p.warehouse_id
    WHERE n.kind = 'goods' AND NOT n.deletion_mark AND NOT w.deletion_mark
      AND ($1::bigint IS NULL OR p.warehouse_id = $1)
), low AS (
    SELECT m.*, coalesce(b.quantity - b.reserved, 0) AS balance
    FROM mins AS m
    LEFT JOIN reg_stock_balance AS b ON b.warehouse_id = m.warehouse_id AND b.nomenclature_id = m.nomenclature_id
    WHERE coalesce(b.quantity - b.reserved, 0) < m.minimum
), used AS (
    SELECT s.warehouse_id, s.nomenclature_id,
           sum(CASE WHEN s.record_type = -1 THEN s.quantity ELSE -s.quantity END) AS consumed
    FROM reg_stock_movements AS s
    JOIN low AS l ON l.warehouse_id = s.warehouse_id AND l.nomenclature_id = s.nomenclature_id
    WHERE s.period >= $2 AND s.period < $3
      AND ((s.record_type = -1 AND s.recorder_kind = ANY($4::text[]))
           OR (s.record_type = 1 AND s.recorder_kind = ANY($5::text[])))
    GROUP BY 1, 2
), last AS (
    SELECT DISTINCT ON (gl.nomenclature_id) gl.nomenclature_id, g.supplier_id, gl.price
    FROM doc_goods_receipts_lines AS gl
    JOIN doc_goods_receipts AS g ON g.id = gl.document_id
    WHERE g.posted AND NOT g.deletion_mark AND gl.nomenclature_id IN (SELECT nomenclature_id FROM low)
    ORDER BY gl.nomenclature_id, g.date DESC, g.id DESC
)
SELECT l.warehouse_id, w.name AS warehouse, l.nomenclature_id, l.nomenclature, l.unit, l.minimum, l.balance,
       greatest(coalesce(u.consumed, 0), 0) AS consumed, last.supplier_id, c.name AS supplier, last.price
FROM low AS l
JOIN cat_warehouses AS w ON w.id = l.warehouse_id
LEFT JOIN used AS u ON u.warehouse_id = l.warehouse_id AND u.nomenclature_id = l.nomenclature_id
LEFT JOIN last ON last.nomenclature_id = l.nomenclature_id
LEFT JOIN cat_clients AS c ON c.id = last.supplier_id
ORDER BY w.name, l.nomenclature, l.warehouse_id, l.nomenclature_id
"""


async def needs(conn: asyncpg.Connection, params: Parameters, now: dt.datetime) -> list[dict]:
    """The rows of the report at ``now`` (consumption over the ``params.days`` days before it)."""
    rows = await conn.fetch(NEEDS_SQL, params.warehouse_id, now - dt.timedelta(days=params.days), now,
                            list(CONSUMING), list(GIVING_BACK))
    out = []
    for r in rows:
        row = dict(r)
        row["daily"] = (row["consumed"] / params.days).quantize(Decimal("0.001"))
        row["suggested"] = suggested(row["minimum"], row["balance"], row["consumed"], params.days, params.lead_days)
        row["key"] = f"{row['warehouse_id']}:{row['nomenclature_id']}"
        out.append(row)
    return out


BELOW_SQL = """
SELECT p.warehouse_id, w.name AS warehouse, p.owner_id AS nomenclature_id, n.name AS nomenclature, n.unit,
       p.minimum, coalesce(b.quantity - b.reserved, 0) AS balance, count(*) OVER () AS total
FROM cat_nomenclature_minimums AS p
JOIN cat_nomenclature AS n ON n.id = p.owner_id
JOIN cat_warehouses AS w ON w.id = p.warehouse_id
LEFT JOIN reg_stock_balance AS b ON b.warehouse_id = p.warehouse_id AND b.nomenclature_id = p.owner_id
WHERE n.kind = 'goods' AND NOT n.deletion_mark AND NOT w.deletion_mark
  AND coalesce(b.quantity - b.reserved, 0) < p.minimum
ORDER BY coalesce(b.quantity - b.reserved, 0) / nullif(p.minimum, 0), n.name, w.name, p.owner_id, p.warehouse_id
LIMIT $1
"""


async def below_minimum(conn: asyncpg.Connection, limit: int) -> tuple[list[dict], int]:
    """The home page's «Заканчиваются на складе»: items below their minimum, the emptiest first (by
    the share of the minimum left), cut to ``limit``, and how many there are in all."""
    rows = [dict(r) for r in await conn.fetch(BELOW_SQL, limit)]
    return rows, (rows[0]["total"] if rows else 0)


def order_drafts(rows: Sequence[dict], chosen: Iterable[str], supplier_id: int | None,
                 organization_id: int | None) -> list[dict]:
    """«Заказ поставщику» drafts for the ``chosen`` rows (by key): one per warehouse and supplier, the
    chosen supplier or else each item's last one, at its last price (0 when never received). Refused
    as one 422 when nothing is chosen, no organization is known, or an item has no supplier at all."""
    wanted = set(chosen)
    picked = [r for r in rows if r["key"] in wanted]
    problems: dict[str, str] = {}
    if not picked:
        problems["rows"] = "отметьте товары, которые нужно заказать"
    if organization_id is None:
        problems["organization_id"] = "выберите организацию, от имени которой делается заказ"
    orphans = [r["nomenclature"] for r in picked if supplier_id is None and r["supplier_id"] is None]
    if orphans:
        problems["supplier_id"] = ("поставщик не известен (товар ещё не поступал): "
                                   + ", ".join(f"«{n}»" for n in orphans) + ". Выберите поставщика")
    if problems:
        raise ValidationError("Заказ поставщику не создан: " + "; ".join(problems.values()),
                              code="purchase_order_not_made", details={"fields": problems})
    groups: dict[tuple[int, int], list[dict]] = {}
    for r in picked:
        groups.setdefault((r["warehouse_id"], supplier_id or r["supplier_id"]), []).append(r)
    return [{"organization_id": organization_id, "supplier_id": supplier, "warehouse_id": warehouse,
             "comment": "Создан по отчёту «Потребность в закупке»",
             "lines": [{"nomenclature_id": r["nomenclature_id"], "quantity": str(r["suggested"]),
                        "price": str(r["price"] if r["price"] is not None else Decimal("0.00"))} for r in items]}
            for (warehouse, supplier), items in groups.items()]
