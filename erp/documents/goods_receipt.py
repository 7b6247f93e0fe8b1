"""Поступление товаров: goods arrive at a warehouse; stock grows in quantity and cost.

A receipt made on a «Заказ поставщику» (or naming one) keeps the link to it and takes what arrived
out of «Заказы поставщикам»: a line beyond what the order still expects, or an item the order does
not have, is refused with the order's figures; the supplier is the order's."""

from decimal import Decimal

from erp.platform.document import BasedOn, Doc, DocumentKind
from erp.platform.errors import Conflict, ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Balances, BalancesWhere, Lookup, Many
from erp.registers.stock import stock
from erp.registers.supplier_orders import supplier_orders
from erp.services.pricing import compute_line

from .stock_lines import item_ids


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    lines = [compute_line(line, i, discounts=False) for i, line in enumerate(lines)]
    return header, lines


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """The order it is made on, and what the order still expects of the lines' items (without this
    receipt's own movements: a re-posted receipt does not count what it took last time)."""
    order = new.header.get("supplier_order_id")
    if order is None or (old is not None and old.posted and not new.posted):
        return {}
    items = item_ids(new.lines)
    out = {"order": Lookup("supplier-orders", order, ("supplier_id", "posted", "number")),
           "items": Many("nomenclature", items, ("name",))}
    if items:
        out["expected"] = Balances(supplier_orders.name, tuple((order, item) for item in items))
    return out


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """A receipt on an order comes from the order's supplier, and a posted one on a posted order
    takes no more of an item than the order still expects."""
    order = inputs.get("order")
    if not order or (old is not None and old.posted and not new.posted):
        return []
    errors: list = []
    if order["supplier_id"] != new.header.get("supplier_id"):
        errors.append(ValidationError.field("supplier_order_id", "заказ сделан другому поставщику"))
    if not new.posted:
        return errors
    if not order["posted"]:
        errors.append(Conflict(f"Заказ поставщику № {order['number']} не проведён: поступление по нему не"
                               " проводится", code="supplier_order_not_posted"))
        return errors
    expected = {key[1]: value["quantity"] for key, value in (inputs.get("expected") or {}).items()}
    names = {i: item["name"] for i, item in (inputs.get("items") or {}).items()}
    taken: dict[int, Decimal] = {}
    problems = {}
    for i, ln in enumerate(new.lines):
        item = ln["nomenclature_id"]
        taken[item] = taken.get(item, Decimal(0)) + ln["quantity"]
        left = expected.get(item, Decimal(0))
        if taken[item] > left:
            problems[f"lines[{i}].quantity"] = (f"«{names.get(item, item)}»: по заказу осталось получить"
                                                f" {max(left, Decimal(0)).normalize():f},"
                                                f" в поступлении {taken[item].normalize():f}")
    if problems:
        errors.append(ValidationError("Поступление больше, чем осталось получить по заказу поставщику",
                               code="supplier_order_exceeded", details={"fields": problems}))
    return errors


def movements(doc: Doc, _inputs) -> dict:
    out = {stock: [stock.receipt(doc.date, warehouse_id=doc.warehouse_id, nomenclature_id=line["nomenclature_id"],
                                 quantity=line["quantity"], cost=line["amount"]) for line in doc.lines]}
    if doc.header.get("supplier_order_id"):
        out[supplier_orders] = [supplier_orders.expense(doc.date, order_id=doc.supplier_order_id,
                                                        nomenclature_id=line["nomenclature_id"],
                                                        quantity=line["quantity"]) for line in doc.lines]
    return out


def _order_needs(base: Doc) -> dict:
    return {"left": BalancesWhere(supplier_orders.name, {"order_id": base.id})}


def _from_order(base: Doc, inputs) -> dict:
    """Ввод на основании заказа поставщику: its supplier and warehouse, and of each line what is still
    to come, at the order's price; an order received in full has nothing left to receive. (A draft
    order gives its lines as ordered; the receipt does not post until the order is posted.)"""
    if base.posted:
        left = {key[1]: value["quantity"] for key, value in (inputs.get("left") or {}).items()}
    else:
        left = {}
        for ln in base.lines:
            left[ln["nomenclature_id"]] = left.get(ln["nomenclature_id"], Decimal(0)) + ln["quantity"]
    if sum((v for v in left.values() if v > 0), Decimal(0)) <= 0:
        raise Conflict(f"По заказу поставщику № {base.number} получать нечего: всё уже получено",
                       code="supplier_order_nothing_to_receive", details={"supplier_order_id": base.id})
    lines = []
    for ln in base.lines:
        quantity = min(ln["quantity"], max(left.get(ln["nomenclature_id"], Decimal(0)), Decimal(0)))
        if quantity <= 0:
            continue
        left[ln["nomenclature_id"]] -= quantity
        lines.append({"nomenclature_id": ln["nomenclature_id"], "quantity": quantity, "price": ln["price"]})
    return {"header": {"supplier_id": base.supplier_id, "warehouse_id": base.warehouse_id,
                       "supplier_order_id": base.id}, "lines": lines}


goods_receipts = DocumentKind(
    "goods-receipts", "Поступление товаров",
    header=(
        Field("supplier_id", "ref", "Поставщик", ref="clients", required=True),
        Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
        Field("supplier_order_id", "ref", "Заказ поставщику", ref="supplier-orders",
              extra={"picker_filters": ("supplier_id",)}),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
        Field("quantity", "quantity", "Количество", required=True),
        Field("price", "money", "Цена", required=True),
        Field("amount", "money", "Сумма"),
    ),
    registers=(stock, supplier_orders), movements=movements, prepare=prepare, needs=needs, rules=rules,
    based_on=(BasedOn("supplier-orders", _from_order, _order_needs,
                      offered=lambda doc, d: doc.posted and d.get("receipt_status") != "received"),),
)
