"""Поступление товаров: goods arrive at a warehouse; stock grows in quantity and cost."""

from erp.platform.document import Doc, DocumentKind
from erp.platform.fields import Field
from erp.registers.stock import stock
from erp.services.pricing import compute_line


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    lines = [compute_line(line, i, discounts=False) for i, line in enumerate(lines)]
    return header, lines


def movements(doc: Doc, _inputs) -> dict:
    return {stock: [stock.receipt(doc.date, warehouse_id=doc.warehouse_id,
                                  nomenclature_id=line["nomenclature_id"],
                                  quantity=line["quantity"], cost=line["amount"])
                    for line in doc.lines]}


goods_receipts = DocumentKind(
    "goods-receipts", "Поступление товаров",
    header=(
        Field("supplier_id", "ref", "Поставщик", ref="clients", required=True),
        Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
        Field("quantity", "quantity", "Количество", required=True),
        Field("price", "money", "Цена", required=True),
        Field("amount", "money", "Сумма"),
    ),
    registers=(stock,), movements=movements, prepare=prepare,
)
