"""Списание товаров: goods leave a warehouse for good (used up, spoiled, lost).

Posting is a stock expense at the moving-average cost of the current balance,
under balance control: a write-off of more than the warehouse holds is refused
with every short item listed. Only goods are written off; a service line is a
422 naming the line. Each line shows the cost it takes out of stock.
"""

from decimal import Decimal

from erp.platform.document import Doc, DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Balances, Lookup, Many
from erp.platform.shortfalls import BalanceShortage, Shortfall
from erp.registers.stock import stock
from erp.services.pricing import money

ZERO = Decimal("0.00")


def _positive(quantity: Decimal) -> str | None:
    return None if quantity > 0 else "количество должно быть больше нуля"


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """The warehouse's name, the lines' items (which are goods, their names) and their balances
    in the warehouse now, without this document's own movements: all in the engine's one read.
    Unposting takes back what the movements wrote and needs nothing."""
    if old is not None and old.posted and not new.posted:
        return {}
    warehouse = new.header.get("warehouse_id")
    items = tuple(sorted({ln["nomenclature_id"] for ln in new.lines if ln.get("nomenclature_id") is not None}))
    out = {"warehouse": Lookup("warehouses", warehouse, ("name",)),
           "items": Many("nomenclature", items, ("kind", "name"))}
    if warehouse is not None and items:
        out["stock"] = Balances("stock", tuple((warehouse, item) for item in items))
    return out


def _goods(inputs) -> dict[int, str]:
    return {i: item["name"] for i, item in inputs["items"].items() if item["kind"] == "goods"}


def costs(warehouse: int | None, lines, goods: dict[int, str], balances) -> list[Decimal | None]:
    """The cost each line takes at the moving average: its share of the balance's cost, and the
    whole of what is left when it takes the last unit (so no cost stays behind without quantity).
    Lines of one item draw on the same balance in turn; a line that is not goods costs nothing."""
    left: dict[int, dict[str, Decimal]] = {}
    out: list[Decimal | None] = []
    for ln in lines:
        item, quantity = ln.get("nomenclature_id"), ln.get("quantity")
        if item not in goods or quantity is None:
            out.append(None)
            continue
        have = left.setdefault(item, dict(balances.get((warehouse, item)) or {"quantity": Decimal(0), "cost": ZERO}))
        if have["quantity"] <= 0:
            cost = ZERO
        elif quantity >= have["quantity"]:
            cost = money(have["cost"])
        else:
            cost = money(have["cost"] * quantity / have["quantity"])
        have["quantity"] -= quantity
        have["cost"] -= cost
        out.append(cost)
    return out


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    """Each line's cost, as the posting will take it (a draft shows what it would take now)."""
    for line, cost in zip(lines, costs(header.get("warehouse_id"), lines, _goods(inputs), inputs.get("stock", {})),
                          strict=True):
        line["cost"] = cost
    return header, lines


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """Only goods can be written off (every service line named at once), and a posted write-off
    writes something off."""
    if old is not None and old.posted and not new.posted:
        return []  # unposting asks nothing
    items = inputs["items"]
    problems = {f"lines[{i}].nomenclature_id": f"«{items[ln['nomenclature_id']]['name']}» — услуга,"
                                                " списать можно только товар"
                for i, ln in enumerate(new.lines) if items.get(ln["nomenclature_id"], {}).get("kind") == "service"}
    errors: list = [ValidationError.fields(problems)] if problems else []
    if new.posted and not new.lines:
        errors.append(ValidationError("Списание не проведено: в нём нет строк", code="empty_write_off",
                                      details={"fields": {"lines": "добавьте товары, которые списываются"}}))
    return errors


def movements(doc: Doc, inputs) -> dict:
    goods, balances = _goods(inputs), inputs.get("stock", {})
    _refuse_shortfalls(doc, goods, (inputs["warehouse"] or {}).get("name"), balances)
    return {stock: [stock.expense(doc.date, warehouse_id=doc.warehouse_id, nomenclature_id=ln["nomenclature_id"],
                                  quantity=ln["quantity"], cost=cost)
                    for ln, cost in zip(doc.lines, costs(doc.warehouse_id, doc.lines, goods, balances), strict=True)
                    if cost is not None]}


def _refuse_shortfalls(doc: Doc, goods: dict[int, str], warehouse: str | None, balances) -> None:
    """Every item the warehouse lacks, in the engine's own shortage error (the same 409 and
    details as its balance control, which stays the guard under concurrency)."""
    required: dict[int, Decimal] = {}
    for ln in doc.lines:
        if ln["nomenclature_id"] in goods:
            required[ln["nomenclature_id"]] = required.get(ln["nomenclature_id"], Decimal(0)) + ln["quantity"]
    labels = {f.name: f.title for f in (*stock.dimensions, *stock.resources)}
    short = []
    for item, need in required.items():
        have = (balances.get((doc.warehouse_id, item), {}).get("quantity") or Decimal(0)).quantize(Decimal("0.001"))
        if need > have:
            names = {"nomenclature_id": goods[item], **({"warehouse_id": warehouse} if warehouse else {})}
            short.append(Shortfall(register=stock.name, title=stock.title, resource="quantity",
                                   dimensions={"warehouse_id": doc.warehouse_id, "nomenclature_id": item},
                                   available=have, required=need, names=names, labels=labels))
    if short:
        raise BalanceShortage(short)


stock_write_offs = DocumentKind(
    "stock-write-offs", "Списание товаров",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
        Field("reason", "str", "Причина списания", max_length=200),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
        Field("quantity", "quantity", "Количество", required=True, check=_positive),
        Field("cost", "money", "Себестоимость", read_only=True),
    ),
    registers=(stock,), movements=movements, needs=needs, fill=fill, rules=rules,
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
    lines_title="Товары",
)
