"""Заказ поставщику: goods the clinic orders from a supplier for a warehouse.

Posting puts each line's quantity into «Заказы поставщикам» (what is still to come, by order and
item); a «Поступление товаров» made on the order takes what arrived out of it. The order's status
(«Ожидается», «Частично получен», «Получен») and, line by line, what was received and what is
still to come are derived from that register, so they stay right when a receipt is unposted or
re-posted. An order cannot be cut below what has already arrived, nor unposted while receipts on
it are posted: the rules say so in words, and the register's balance control is the guard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from erp.platform.document import Derived, Doc, DocumentKind, Index
from erp.platform.errors import Conflict, ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Balances, BalancesWhere
from erp.registers.supplier_orders import supplier_orders
from erp.services.pricing import compute_line

from .stock_lines import item_ids, items_need, service_lines

ZERO = Decimal("0.000")
STATUSES = ("expected", "partially_received", "received")


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    """Each line's amount (quantity × price; a quantity must be positive, a price not negative) and
    the totals."""
    lines = [compute_line(line, i, discounts=False) for i, line in enumerate(lines)]
    header["quantity_total"] = sum((ln["quantity"] for ln in lines), Decimal("0.000"))
    header["amount_total"] = sum((ln["amount"] for ln in lines), Decimal("0.00"))
    return header, lines


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """The lines' items, and for a saved order what has already arrived of each item it ever ordered
    (its balance without its own movements is minus what the receipts took)."""
    out: dict = {"items": items_need(new.lines)}
    order_id = (old or new).id
    if old is not None and order_id is not None:
        items = item_ids((*old.lines, *new.lines))
        if items:
            out["received"] = Balances(supplier_orders.name, tuple((order_id, item) for item in items))
    return out


def received_by_item(inputs) -> dict[int, Decimal]:
    """What the order's receipts took, by item, from the ``received`` need."""
    return {key[1]: -value["quantity"] for key, value in (inputs.get("received") or {}).items()
            if value["quantity"] < 0}


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """Only goods are ordered; a posted order orders something; an order with receipts cannot be
    unposted, nor ordered below what arrived."""
    received = received_by_item(inputs)
    names = {i: item["name"] for i, item in (inputs.get("items") or {}).items()}
    if old is not None and old.posted and not new.posted:
        if received:
            return [Conflict("Заказ поставщику нельзя сделать непроведённым: по нему уже получены товары."
                             " Сначала отмените проведение поступлений по этому заказу",
                             code="supplier_order_received",
                             details={"received": {str(k): str(v) for k, v in received.items()}})]
        return []
    errors: list = service_lines(new.lines, inputs["items"], "заказать")
    if new.posted and not new.lines:
        errors.append(ValidationError("Заказ поставщику не проведён: в нём нет строк", code="empty_supplier_order",
                                      details={"fields": {"lines": "добавьте товары, которые заказываются"}}))
    if new.posted and received:
        ordered: dict[int, Decimal] = {}
        last: dict[int, int] = {}
        for i, ln in enumerate(new.lines):
            ordered[ln["nomenclature_id"]] = ordered.get(ln["nomenclature_id"], ZERO) + ln["quantity"]
            last[ln["nomenclature_id"]] = i
        problems = {}
        for item, got in received.items():
            if ordered.get(item, ZERO) < got:
                where = f"lines[{last[item]}].quantity" if item in last else "lines"
                problems[where] = (f"«{names.get(item, item)}»: по заказу уже получено {got.normalize():f},"
                                   " заказать меньше нельзя")
        if problems:
            errors.append(ValidationError("Заказ не может быть меньше того, что по нему уже получено",
                                          code="supplier_order_below_received", details={"fields": problems}))
    return errors


def movements(doc: Doc, _inputs) -> dict:
    return {supplier_orders: [supplier_orders.receipt(doc.date, order_id=doc.id, nomenclature_id=ln["nomenclature_id"],
                                                      quantity=ln["quantity"]) for ln in doc.lines]}


# -- the derived status, and per line what arrived ------------------------------------------------

def _status_needs(docs: Sequence[Doc]) -> dict:
    return {f"left_{d.id}": BalancesWhere(supplier_orders.name, {"order_id": d.id}) for d in docs if d.posted}


def split_received(lines: Sequence[Mapping], left: Mapping[int, Decimal]) -> list[dict[str, Decimal]]:
    """Per line, what arrived and what is still to come: an item's received quantity fills its lines
    in order (the first line of an item is received first)."""
    ordered: dict[int, Decimal] = {}
    for ln in lines:
        ordered[ln["nomenclature_id"]] = ordered.get(ln["nomenclature_id"], ZERO) + ln["quantity"]
    pool = {item: max(total - left.get(item, ZERO), ZERO) for item, total in ordered.items()}
    out = []
    for ln in lines:
        got = min(pool[ln["nomenclature_id"]], ln["quantity"])
        pool[ln["nomenclature_id"]] -= got
        out.append({"received": got.quantize(ZERO), "remaining": (ln["quantity"] - got).quantize(ZERO)})
    return out


def status_of(total: Decimal, remaining: Decimal) -> str:
    if remaining <= 0:
        return "received"
    return "expected" if remaining >= total else "partially_received"


def _status(docs: Sequence[Doc], inputs) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for doc in docs:
        if not doc.posted:
            continue
        left = {key[1]: value["quantity"] for key, value in (inputs.get(f"left_{doc.id}") or {}).items()}
        remaining = sum(left.values(), ZERO).quantize(ZERO)
        total = doc.header.get("quantity_total") or ZERO
        out[doc.id] = {"receipt_status": status_of(total, remaining), "quantity_remaining": remaining}
        if doc.lines:
            out[doc.id]["lines"] = split_received(doc.lines, left)
    return out


STATUS = Derived(
    fields=(Field("receipt_status", "enum", "Состояние", choices=STATUSES),
            Field("quantity_remaining", "quantity", "Осталось получить")),
    line_fields=(Field("received", "quantity", "Получено"), Field("remaining", "quantity", "Осталось получить")),
    needs=_status_needs, compute=_status)


supplier_orders_kind = DocumentKind(
    "supplier-orders", "Заказ поставщику",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("supplier_id", "ref", "Поставщик", ref="clients", required=True),
        Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
        Field("quantity_total", "quantity", "Количество", read_only=True),
        Field("amount_total", "money", "Сумма", read_only=True),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
        Field("quantity", "quantity", "Количество", required=True),
        Field("price", "money", "Цена", required=True),
        Field("amount", "money", "Сумма"),
    ),
    registers=(supplier_orders,), movements=movements, prepare=prepare, needs=needs, rules=rules, derived=STATUS,
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
    indexes=(Index("doc_supplier_orders_supplier_idx", ("supplier_id", "-date", "-id")),),
    lines_title="Товары",
)
