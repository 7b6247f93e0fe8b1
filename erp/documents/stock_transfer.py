"""Перемещение товаров: goods move from one warehouse to another, and their cost moves with them.

Posting is a stock expense at the sending warehouse at its moving-average cost (under balance
control: every short item listed at once, nothing written) and a receipt at the receiving
warehouse of the same quantity at the same cost, so the organization's stock keeps its total
cost. The two warehouses differ; only goods move. Each line shows the cost it carries.
"""

from erp.platform.document import Doc, DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Lookup
from erp.registers.stock import stock

from .stock_lines import balances_need, costs, goods, items_need, positive, refuse_shortfalls, required, service_lines


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """The sending warehouse's name, the lines' items and their balances there now (without this
    transfer's own movements), in the engine's one read. Unposting needs nothing: the engine's
    balance control refuses it if the receiving warehouse has already used the goods."""
    if old is not None and old.posted and not new.posted:
        return {}
    source = new.header.get("warehouse_id")
    out = {"warehouse": Lookup("warehouses", source, ("name",)), "items": items_need(new.lines)}
    if (balances := balances_need(source, new.lines)) is not None:
        out["stock"] = balances
    return out


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    """Each line's cost, as the posting will carry it (a draft shows what it would carry now)."""
    for line, cost in zip(lines, costs(header.get("warehouse_id"), lines, goods(inputs), inputs.get("stock", {})),
                          strict=True):
        line["cost"] = cost
    return header, lines


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """The warehouses differ, only goods move (every service line named at once), and a posted
    transfer moves something."""
    if old is not None and old.posted and not new.posted:
        return []
    errors: list = []
    source, target = new.header.get("warehouse_id"), new.header.get("warehouse_to_id")
    if source is not None and source == target:
        errors.append(ValidationError.fields(
            {"warehouse_to_id": "склад-получатель совпадает со складом-отправителем: выберите другой склад"}))
    errors += service_lines(new.lines, inputs["items"], "переместить")
    if new.posted and not new.lines:
        errors.append(ValidationError("Перемещение не проведено: в нём нет строк", code="empty_transfer",
                                      details={"fields": {"lines": "добавьте товары, которые перемещаются"}}))
    return errors


def movements(doc: Doc, inputs) -> dict:
    found, balances = goods(inputs), inputs.get("stock", {})
    refuse_shortfalls(doc.warehouse_id, (inputs["warehouse"] or {}).get("name"), required(doc.lines, found),
                      found, balances)
    out, into = [], []
    for ln, cost in zip(doc.lines, costs(doc.warehouse_id, doc.lines, found, balances), strict=True):
        if cost is None:
            continue
        item, quantity = ln["nomenclature_id"], ln["quantity"]
        out.append(stock.expense(doc.date, warehouse_id=doc.warehouse_id, nomenclature_id=item,
                                 quantity=quantity, cost=cost))
        into.append(stock.receipt(doc.date, warehouse_id=doc.warehouse_to_id, nomenclature_id=item,
                                  quantity=quantity, cost=cost))
    return {stock: out + into}


stock_transfers = DocumentKind(
    "stock-transfers", "Перемещение товаров",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("warehouse_id", "ref", "Склад-отправитель", ref="warehouses", required=True),
        Field("warehouse_to_id", "ref", "Склад-получатель", ref="warehouses", required=True),
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
