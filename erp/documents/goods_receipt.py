"""Поступление товаров: goods arrive at a warehouse; stock grows in quantity and cost, and the
organization owes the supplier the receipt's total (Расчёты с поставщиками).

A receipt names its organization. One written without it (the API before the organization
existed, an import) takes the default one of «Значения по умолчанию», else the first
organization, as it is written; the organization's own period lock applies to it then too.

A receipt made on a «Заказ поставщику» (or naming one) keeps the link to it and takes what arrived
out of «Заказы поставщикам»: a line beyond what the order still expects, or an item the order does
not have, is refused with the order's figures; the supplier is the order's."""

import datetime as dt
from decimal import Decimal

from erp.platform.document import BasedOn, Doc, DocumentKind
from erp.platform.errors import Conflict, ValidationError
from erp.platform.fields import Field
from erp.platform.period_lock import PeriodClosed, ensure_open
from erp.platform.posting.inputs import Balances, BalancesWhere, Constants, First, Later, Lookup, Many
from erp.printing.defaults import KEY as DEFAULTS_KEY
from erp.registers.stock import stock
from erp.registers.supplier_orders import supplier_orders
from erp.registers.supplier_settlements import supplier_settlements
from erp.services.pricing import compute_line

from .stock_lines import item_ids

ORGANIZATION_LOCKS = "period_lock:organization:"


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    lines = [compute_line(line, i, discounts=False) for i, line in enumerate(lines)]
    return header, lines


def _default_organization(found) -> dict:
    chosen = ((found.get("defaults") or {}).get(DEFAULTS_KEY) or {}).get("organization_id")
    return {"organization": First("organizations", where={"id": chosen})} if chosen else {}


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """A receipt without an organization reads the default organization (checked to exist and not be
    marked), the first one, and the organizations' period locks. A receipt on an order reads the
    order and what it still expects of the lines' items (without this receipt's own movements: a
    re-posted receipt does not count what it took last time). Unposting reads nothing."""
    if old is not None and old.posted and not new.posted:
        return {}
    out: dict = {}
    if new.header.get("organization_id") is None:
        out |= {"defaults": Constants(DEFAULTS_KEY), "first_organization": First("organizations"),
                "organization_locks": Constants(ORGANIZATION_LOCKS), "default": Later(_default_organization)}
    order = new.header.get("supplier_order_id")
    if order is not None:
        items = item_ids(new.lines)
        out |= {"order": Lookup("supplier-orders", order, ("supplier_id", "posted", "number")),
                "items": Many("nomenclature", items, ("name",))}
        if items:
            out["expected"] = Balances(supplier_orders.name, tuple((order, item) for item in items))
    return out


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    if header.get("organization_id") is None:
        chosen = (inputs.get("default") or {}).get("organization") or inputs.get("first_organization")
        if chosen:
            header["organization_id"] = chosen["id"]
    return header, lines


def _organization_rules(new: Doc, inputs) -> list:
    """A posted receipt owes its supplier on behalf of an organization; the organization it took
    by default may have a period lock of its own."""
    org = new.header.get("organization_id")
    if org is None:
        if new.posted:
            return [ValidationError.field("organization_id", "укажите организацию, которая должна поставщику")]
        return []
    locks = inputs.get("organization_locks")
    if locks is not None:  # the organization was chosen by default: its lock was not read before
        lock = (locks.get(f"{ORGANIZATION_LOCKS}{org}") or {}).get("date")
        if lock:
            try:
                ensure_open(dt.date.fromisoformat(lock), new.date.astimezone(inputs.settings.tz).date(),
                            "провести" if new.posted else "записать")
            except PeriodClosed as exc:
                return [exc]
    return []


def _order_rules(new: Doc, inputs) -> list:
    """A receipt on an order comes from the order's supplier, and a posted one on a posted order
    takes no more of an item than the order still expects."""
    order = inputs.get("order")
    if not order:
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


def rules(old: Doc | None, new: Doc, inputs) -> list:
    if old is not None and old.posted and not new.posted:
        return []
    return [*_organization_rules(new, inputs), *_order_rules(new, inputs)]


def total(doc: Doc) -> Decimal:
    return sum((line["amount"] or Decimal(0) for line in doc.lines), Decimal("0.00"))


def movements(doc: Doc, _inputs) -> dict:
    out: dict = {stock: [stock.receipt(doc.date, warehouse_id=doc.warehouse_id,
                                       nomenclature_id=line["nomenclature_id"],
                                       quantity=line["quantity"], cost=line["amount"])
                         for line in doc.lines]}
    amount = total(doc)
    out[supplier_settlements] = [supplier_settlements.receipt(
        doc.date, organization_id=doc.organization_id, counterparty_id=doc.supplier_id, amount=amount)] \
        if amount else []
    if doc.header.get("supplier_order_id"):
        out[supplier_orders] = [supplier_orders.expense(doc.date, order_id=doc.supplier_order_id,
                                                        nomenclature_id=line["nomenclature_id"],
                                                        quantity=line["quantity"]) for line in doc.lines]
    return out


def _order_needs(base: Doc) -> dict:
    return {"left": BalancesWhere(supplier_orders.name, {"order_id": base.id})}


def _from_order(base: Doc, inputs) -> dict:
    """Ввод на основании заказа поставщику: its organization, supplier and warehouse, and of each line
    what is still to come, at the order's price; an order received in full has nothing left to
    receive. (A draft order gives its lines as ordered; the receipt does not post until the order is
    posted.)"""
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
    return {"header": {"organization_id": base.organization_id, "supplier_id": base.supplier_id,
                       "warehouse_id": base.warehouse_id, "supplier_order_id": base.id}, "lines": lines}


goods_receipts = DocumentKind(
    "goods-receipts", "Поступление товаров",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations"),
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
    registers=(stock, supplier_settlements, supplier_orders), movements=movements, prepare=prepare, needs=needs,
    fill=fill, rules=rules, organization_field="organization_id",
    based_on=(BasedOn("supplier-orders", _from_order, _order_needs,
                      offered=lambda doc, d: doc.posted and d.get("receipt_status") != "received"),),
)
