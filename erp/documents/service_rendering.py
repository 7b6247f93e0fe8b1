"""Оказание услуг: services (and goods) rendered to a client.

Posting writes sales turnover, takes goods out of stock at moving-average
cost (with balance control), and makes the client owe the total. Based on a
Request it takes the client, the doctor and the lines; an empty Request
gives one line "Номенклатура AmoCRM" at its price.
"""

from decimal import Decimal

from erp.catalogs.nomenclature import AMOCRM_SERVICE
from erp.platform.document import BasedOn, ContextQuery, Doc, DocumentKind, PostingContext
from erp.platform.errors import Conflict, ValidationError
from erp.platform.fields import Field
from erp.registers.sales import sales
from erp.registers.settlements import settlements
from erp.registers.stock import stock
from erp.services.pricing import compute_line, money, vat_of


class GoodsShortage(Conflict):
    """Not enough goods in the warehouse for the document (the same code as the engine's balance control)."""

    code = "balance_shortage"


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    lines = [compute_line(line, i) for i, line in enumerate(lines)]
    header["amount_total"] = sum((ln["amount"] for ln in lines), Decimal("0.00"))
    return header, lines


def context_columns(doc: Doc, first: int) -> tuple[dict[str, str], list]:
    """The organization's VAT rate, the warehouse's name, and which lines are goods
    (by id, with their names for a shortfall message)."""
    ids = sorted({ln["nomenclature_id"] for ln in doc.lines})
    return ({"vat_rate": f"(SELECT vat_rate FROM cat_organizations WHERE id = ${first})",
             "warehouse": f"(SELECT name FROM cat_warehouses WHERE id = ${first + 1})",
             "goods": f"ARRAY(SELECT ROW(id, name) FROM cat_nomenclature WHERE id = ANY(${first + 2}::bigint[])"
                      " AND kind = 'goods')"},
            [doc.header.get("organization_id"), doc.header.get("warehouse_id"), ids])


def context_of(row) -> dict:
    return {"vat_rate": row["vat_rate"], "warehouse": row["warehouse"], "goods": dict(row["goods"])}


def balance_keys(doc: Doc, data: dict) -> dict:
    keys = {ln["nomenclature_id"] for ln in doc.lines if ln["nomenclature_id"] in data["goods"]}
    if keys and not doc.warehouse_id:
        raise ValidationError.field("warehouse_id", "в документе есть товары: укажите склад")
    return {stock: [{"warehouse_id": doc.warehouse_id, "nomenclature_id": n} for n in sorted(keys)]} if keys else {}


def balance_candidates(doc: Doc) -> dict:
    """Every line's item in the warehouse: the goods among them are known only with the context."""
    warehouse = doc.header.get("warehouse_id")
    if not warehouse:
        return {}
    items = sorted({ln["nomenclature_id"] for ln in doc.lines if ln.get("nomenclature_id") is not None})
    return {stock: [{"warehouse_id": warehouse, "nomenclature_id": n} for n in items]} if items else {}


def movements(doc: Doc, ctx: PostingContext) -> dict:
    vat_rate = ctx.data["vat_rate"]
    out = {
        sales: [sales.turnover(doc.date, organization_id=doc.organization_id, client_id=doc.client_id,
                               nomenclature_id=ln["nomenclature_id"], doctor_id=doc.doctor_id,
                               quantity=ln["quantity"], amount=ln["amount"], vat=vat_of(ln["amount"], vat_rate))
                for ln in doc.lines],
        settlements: [settlements.receipt(doc.date, organization_id=doc.organization_id, client_id=doc.client_id,
                                          amount=doc.amount_total)] if doc.amount_total else [],
    }
    balances = ctx.balances.get(stock.name, {})
    left = {key: dict(value) for key, value in balances.items()}
    expenses = []
    for ln in doc.lines:
        if ln["nomenclature_id"] not in ctx.data["goods"]:
            continue
        key = (doc.warehouse_id, ln["nomenclature_id"])
        have = left.setdefault(key, {"quantity": Decimal(0), "cost": Decimal(0)})
        if have["quantity"] > 0:
            cost = have["cost"] if ln["quantity"] >= have["quantity"] else \
                money(have["cost"] * ln["quantity"] / have["quantity"])
        else:
            cost = Decimal("0.00")
        have["quantity"] -= ln["quantity"]
        have["cost"] -= cost
        expenses.append(stock.expense(doc.date, warehouse_id=doc.warehouse_id, nomenclature_id=ln["nomenclature_id"],
                                      quantity=ln["quantity"], cost=cost))
    _refuse_shortfalls(doc, ctx, balances)
    out[stock] = expenses
    return out


def _refuse_shortfalls(doc: Doc, ctx: PostingContext, balances: dict) -> None:
    """Name every item the warehouse lacks, with what is there and what the document
    takes. The engine's balance control stays the guard under concurrency."""
    required: dict[int, Decimal] = {}
    for ln in doc.lines:
        if ln["nomenclature_id"] in ctx.data["goods"]:
            required[ln["nomenclature_id"]] = required.get(ln["nomenclature_id"], Decimal(0)) + ln["quantity"]
    short = []
    for item, need in required.items():
        have = (balances.get((doc.warehouse_id, item), {}).get("quantity") or Decimal(0)).quantize(Decimal("0.001"))
        if need > have:
            short.append({"register": stock.name, "dimensions": {"warehouse_id": doc.warehouse_id,
                                                                 "nomenclature_id": item},
                          "resource": "quantity", "item": ctx.data["goods"][item],
                          "available": str(have), "required": str(need)})
    if short:
        listed = "; ".join(f"«{s['item']}»: доступно {s['available']}, требуется {s['required']}" for s in short)
        raise GoodsShortage(f"Недостаточно товара на складе «{ctx.data['warehouse']}» — {listed}",
                            details={"shortfalls": short})


async def _from_request(conn, base: Doc) -> dict:
    defaults = await conn.fetchrow(
        "SELECT (SELECT id FROM cat_organizations WHERE NOT deletion_mark ORDER BY id LIMIT 1) AS organization_id,"
        " (SELECT id FROM cat_warehouses WHERE NOT deletion_mark ORDER BY id LIMIT 1) AS warehouse_id,"
        " (SELECT id FROM cat_nomenclature WHERE predefined = $1) AS amocrm_id,"
        " (SELECT price FROM cat_nomenclature WHERE predefined = $1) AS amocrm_price", AMOCRM_SERVICE)
    lines = [{"nomenclature_id": ln["nomenclature_id"], "quantity": ln["quantity"], "price": ln["price"]}
             for ln in base.lines]
    if not lines:
        lines = [{"nomenclature_id": defaults["amocrm_id"], "quantity": Decimal("1.000"),
                  "price": defaults["amocrm_price"]}]
    return {"header": {"organization_id": defaults["organization_id"], "client_id": base.client_id,
                       "doctor_id": base.doctor_id, "warehouse_id": defaults["warehouse_id"]},
            "lines": lines}


async def _from_invoice(conn, base: Doc) -> dict:
    """Ввод на основании счёта: what was invoiced is rendered; the doctor comes from the
    invoice's own base (a Request or a rendering) when there is one, else the user picks."""
    row = await conn.fetchrow(
        "SELECT (SELECT id FROM cat_warehouses WHERE NOT deletion_mark ORDER BY id LIMIT 1) AS warehouse_id,"
        " CASE $1 WHEN 'requests' THEN (SELECT doctor_id FROM doc_requests WHERE id = $2)"
        "         WHEN 'service-renderings' THEN (SELECT doctor_id FROM doc_service_renderings WHERE id = $2)"
        " END AS doctor_id", base.based_on[0] if base.based_on else "", base.based_on[1] if base.based_on else 0)
    lines = [{"nomenclature_id": ln["nomenclature_id"], "quantity": ln["quantity"], "price": ln["price"],
              "discount_percent": ln.get("discount_percent"), "discount_amount": ln.get("discount_amount")}
             for ln in base.lines]
    return {"header": {"organization_id": base.organization_id, "client_id": base.client_id,
                       "doctor_id": row["doctor_id"], "warehouse_id": row["warehouse_id"]},
            "lines": lines}


service_renderings = DocumentKind(
    "service-renderings", "Оказание услуг",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("client_id", "ref", "Клиент", ref="clients", required=True),
        Field("doctor_id", "ref", "Врач", ref="doctors", required=True),
        Field("warehouse_id", "ref", "Склад", ref="warehouses"),
        Field("amount_total", "money", "Сумма документа", read_only=True),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
        Field("quantity", "quantity", "Количество", required=True),
        Field("price", "money", "Цена", required=True),
        Field("discount_percent", "percent", "Процент скидки"),
        Field("discount_amount", "money", "Сумма скидки"),
        Field("amount", "money", "Сумма"),
        Field("note", "str", "Сертификат/абонемент", max_length=200),
    ),
    registers=(sales, stock, settlements), movements=movements, prepare=prepare,
    context_query=ContextQuery(context_columns, context_of), balance_keys=balance_keys,
    balance_candidates=balance_candidates,
    based_on=(BasedOn("requests", _from_request), BasedOn("invoices", _from_invoice)),
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
    lines_title="Работы",
    # The list filtered by client pages by keyset (date, id) without scanning other clients' documents.
    extra_sql=("CREATE INDEX IF NOT EXISTS doc_service_renderings_client_idx"
               " ON doc_service_renderings (client_id, date DESC, id DESC)",),
)
