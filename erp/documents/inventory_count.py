"""Инвентаризация товаров: what a warehouse holds, counted, against what the books say at the
count's own moment.

«Заполнить» lists every item the warehouse holds at the document's date (a back-dated count
takes the balance of its date, not today's) with the book quantity, and the counted quantity
set to it; the user types what was found. Posting writes off each shortage at the moving-average
cost of the current balance (as «Списание товаров» does, so the last unit takes the last kopeck;
every short item listed in one 409 when the warehouse no longer holds it) and takes in each
surplus at the price typed on the line or, without one, at the last known average cost of the
item in the warehouse (the average of its last balance with quantity at or before the count).
Each line shows its book quantity and cost, the difference and the cost of the difference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from erp.platform.document import Doc, DocumentKind, Filling
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Balances, BalancesWhere, LastBalances, Later, Lookup, Many
from erp.registers.stock import stock
from erp.services.pricing import money

from .stock_lines import ZERO, costs, goods, item_ids, items_need, refuse_shortfalls, required, service_lines

NONE = Decimal(0)
THOUSANDTH = Decimal("0.001")


def _counted(quantity: Decimal) -> str | None:
    return None if quantity >= 0 else "фактическое количество не может быть отрицательным"


def _price(price: Decimal) -> str | None:
    return None if price > 0 else "цена излишка должна быть больше нуля"


# -- «Заполнить» -------------------------------------------------------------------------------------

def _fill_needs(header: Mapping[str, Any], date: dt.datetime) -> dict:
    """Every item of the warehouse with a balance at ``date``, and (read after) their names."""
    held = BalancesWhere("stock", {"warehouse_id": header["warehouse_id"]}, at=date)
    return {"held": held,
            "names": Later(lambda found: {"items": Many("nomenclature", tuple(sorted({k[1] for k in found["held"]})),
                                                        ("kind", "name"))})}


def _fill_lines(header: Mapping[str, Any], _date: dt.datetime, inputs) -> list[dict]:
    """One line per item held, by name: the book quantity and cost, the counted quantity set to the
    book one (the user types what differs)."""
    names = inputs["names"]["items"]
    held = sorted(((key[1], value) for key, value in inputs["held"].items() if value["quantity"] > 0),
                  key=lambda kv: (names.get(kv[0], {}).get("name") or "", kv[0]))
    return [{"nomenclature_id": item, "book_quantity": value["quantity"].quantize(THOUSANDTH),
             "book_cost": money(value["cost"]), "quantity": value["quantity"].quantize(THOUSANDTH),
             "difference": Decimal("0.000"), "price": None, "cost": ZERO}
            for item, value in held]


# -- posting ------------------------------------------------------------------------------------------

def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """The warehouse's name; the lines' items; their book balances at the count's moment, their
    current balances (for the shortages' cost and their control) and their last known balances
    with quantity up to the count's moment (for the surpluses' cost): the count's own movements
    left out, all in the engine's one read. Unposting needs nothing."""
    if old is not None and old.posted and not new.posted:
        return {}
    warehouse = new.header.get("warehouse_id")
    out: dict[str, Any] = {"warehouse": Lookup("warehouses", warehouse, ("name",)), "items": items_need(new.lines)}
    keys = tuple((warehouse, item) for item in item_ids(new.lines))
    if warehouse is not None and keys:
        out |= {"book": Balances("stock", keys, at=new.date), "stock": Balances("stock", keys),
                "last": LastBalances("stock", keys, at=new.date)}
    return out


def _shortages(lines) -> list[dict]:
    return [{"nomenclature_id": ln.get("nomenclature_id"),
             "shortage": -ln["difference"] if ln.get("difference") is not None and ln["difference"] < 0 else None}
            for ln in lines]


def counted(warehouse: int | None, lines, inputs) -> list[dict]:
    """Each line with its book quantity and cost at the count's moment, the difference, and the cost
    of the difference (negative for a shortage, at the current average; positive for a surplus, at
    the line's price or the last known average; ``None`` when nothing gives a surplus its cost)."""
    found, book, last = goods(inputs), inputs.get("book", {}), inputs.get("last", {})
    out = []
    for ln in lines:
        item = ln.get("nomenclature_id")
        had = book.get((warehouse, item)) or {"quantity": NONE, "cost": ZERO}
        on_books = had["quantity"].quantize(THOUSANDTH)
        line = {**ln, "book_quantity": on_books, "book_cost": money(had["cost"]), "difference": None, "cost": None}
        if item in found and ln.get("quantity") is not None:
            line["difference"] = (ln["quantity"] - on_books).quantize(THOUSANDTH)
        out.append(line)
    taken = costs(warehouse, _shortages(out), found, inputs.get("stock", {}), quantity="shortage")
    for line, cost in zip(out, taken, strict=True):
        difference = line["difference"]
        if difference is None:
            continue
        if difference < 0:
            line["cost"] = -(cost or ZERO)
        elif difference == 0:
            line["cost"] = ZERO
        elif line.get("price") is not None:
            line["cost"] = money(line["price"] * difference)
        elif (known := last.get((warehouse, line["nomenclature_id"]))) and known["quantity"] > 0:
            line["cost"] = money(known["cost"] * difference / known["quantity"])
    return out


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    """The book side and the differences, as the posting will take them."""
    return header, counted(header.get("warehouse_id"), lines, inputs)


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """Only goods are counted, each once; a posted count has lines, and every surplus has a cost
    (its price, or a known average)."""
    if old is not None and old.posted and not new.posted:
        return []
    items = inputs["items"]
    errors: list = service_lines(new.lines, items, "пересчитать")
    seen: dict[int, int] = {}
    twice = {}
    for i, ln in enumerate(new.lines):
        item = ln.get("nomenclature_id")
        if item in seen:
            twice[f"lines[{i}].nomenclature_id"] = (f"«{items.get(item, {}).get('name', item)}» уже есть"
                                                    f" в строке {seen[item] + 1}")
        seen.setdefault(item, i)
    if twice:
        errors.append(ValidationError.fields(twice))
    if new.posted and not new.lines:
        errors.append(ValidationError("Инвентаризация не проведена: в ней нет строк", code="empty_count",
                                      details={"fields": {"lines": "заполните товары склада («Заполнить»)"}}))
    if new.posted:
        unpriced = {f"lines[{i}].price": f"у «{items[ln['nomenclature_id']]['name']}» нет известной себестоимости"
                                         " на этом складе: укажите цену излишка"
                    for i, ln in enumerate(counted(new.header.get("warehouse_id"), new.lines, inputs))
                    if ln["difference"] is not None and ln["difference"] > 0 and ln["cost"] is None}
        if unpriced:
            errors.append(ValidationError.fields(unpriced))
    return errors


def movements(doc: Doc, inputs) -> dict:
    found = goods(inputs)
    lines = counted(doc.warehouse_id, doc.lines, inputs)
    refuse_shortfalls(doc.warehouse_id, (inputs["warehouse"] or {}).get("name"),
                      required(_shortages(lines), found, quantity="shortage"), found, inputs.get("stock", {}))
    out = []
    for ln in lines:
        if ln["difference"] is None or ln["difference"] == 0:
            continue
        if ln["difference"] < 0:
            out.append(stock.expense(doc.date, warehouse_id=doc.warehouse_id, nomenclature_id=ln["nomenclature_id"],
                                     quantity=-ln["difference"], cost=-ln["cost"]))
        else:
            out.append(stock.receipt(doc.date, warehouse_id=doc.warehouse_id, nomenclature_id=ln["nomenclature_id"],
                                     quantity=ln["difference"], cost=ln["cost"]))
    return {stock: out}


inventory_counts = DocumentKind(
    "inventory-counts", "Инвентаризация товаров",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
        Field("responsible", "str", "Материально ответственное лицо", max_length=200),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
        Field("book_quantity", "quantity", "Количество по учёту", read_only=True),
        Field("book_cost", "money", "Сумма по учёту", read_only=True),
        Field("quantity", "quantity", "Количество фактическое", required=True, check=_counted),
        Field("difference", "quantity", "Отклонение", read_only=True),
        Field("price", "money", "Цена излишка", check=_price),
        Field("cost", "money", "Сумма отклонения", read_only=True),
    ),
    registers=(stock,), movements=movements, needs=needs, fill=fill, rules=rules,
    filling=Filling(("warehouse_id",), _fill_needs, _fill_lines),
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
    lines_title="Товары",
)
