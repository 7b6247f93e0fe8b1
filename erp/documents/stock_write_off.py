"""Списание товаров: goods leave a warehouse for good (used up, spoiled, lost).

Posting is a stock expense at the moving-average cost of the current balance,
under balance control: a write-off of more than the warehouse holds is refused
with every short item listed. Only goods are written off; a service line is a
422 naming the line. Each line shows the cost it takes out of stock.
"""

from erp.platform.document import Doc, DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Lookup
from erp.registers.stock import stock

from .stock_lines import balances_need, costs, goods, items_need, positive, refuse_shortfalls, required, service_lines


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """The warehouse's name, the lines' items (which are goods, their names) and their balances
    in the warehouse now, without this document's own movements: all in the engine's one read.
    Unposting takes back what the movements wrote and needs nothing."""
    if old is not None and old.posted and not new.posted:
        return {}
    warehouse = new.header.get("warehouse_id")
    out = {"warehouse": Lookup("warehouses", warehouse, ("name",)), "items": items_need(new.lines)}
    if (balances := balances_need(warehouse, new.lines)) is not None:
        out["stock"] = balances
    return out


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    """Each line's cost, as the posting will take it (a draft shows what it would take now)."""
    for line, cost in zip(lines, costs(header.get("warehouse_id"), lines, goods(inputs), inputs.get("stock", {})),
                          strict=True):
        line["cost"] = cost
    return header, lines


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """Only goods can be written off (every service line named at once), and a posted write-off
    writes something off."""
    if old is not None and old.posted and not new.posted:
        return []  # unposting asks nothing
    errors: list = service_lines(new.lines, inputs["items"], "списать")
    if new.posted and not new.lines:
        errors.append(ValidationError("Списание не проведено: в нём нет строк", code="empty_write_off",
                                      details={"fields": {"lines": "добавьте товары, которые списываются"}}))
    return errors


def movements(doc: Doc, inputs) -> dict:
    found, balances = goods(inputs), inputs.get("stock", {})
    refuse_shortfalls(doc.warehouse_id, (inputs["warehouse"] or {}).get("name"), required(doc.lines, found),
                      found, balances)
    return {stock: [stock.expense(doc.date, warehouse_id=doc.warehouse_id, nomenclature_id=ln["nomenclature_id"],
                                  quantity=ln["quantity"], cost=cost)
                    for ln, cost in zip(doc.lines, costs(doc.warehouse_id, doc.lines, found, balances), strict=True)
                    if cost is not None]}


stock_write_offs = DocumentKind(
    "stock-write-offs", "Списание товаров",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
        Field("reason", "str", "Причина списания", max_length=200),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True,
              extra={"picker_stock": "warehouse_id"}),  # the picker shows what is available there
        Field("quantity", "quantity", "Количество", required=True, check=positive),
        Field("cost", "money", "Себестоимость", read_only=True),
    ),
    registers=(stock,), movements=movements, needs=needs, fill=fill, rules=rules,
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
    lines_title="Товары",
)
