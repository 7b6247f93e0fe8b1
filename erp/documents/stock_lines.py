"""Goods lines that leave a warehouse: shared by «Списание товаров», «Перемещение товаров» and
«Инвентаризация товаров».

A line is an item and a quantity; it leaves at the moving-average cost of the warehouse's
balance (read through the engine's ``Balances`` need, without the document's own movements),
lines of one item drawing on that balance in turn, and the last unit taking the last kopeck.
A shortage is the platform's own :class:`BalanceShortage`, every short item listed at once.
Pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from erp.platform.errors import ValidationError
from erp.platform.posting.inputs import Balances, Many
from erp.platform.shortfalls import BalanceShortage, Shortfall
from erp.registers.stock import stock
from erp.services.pricing import money

ZERO = Decimal("0.00")
NOTHING = {"quantity": Decimal(0), "cost": ZERO}


def positive(quantity: Decimal) -> str | None:
    return None if quantity > 0 else "количество должно быть больше нуля"


def item_ids(lines: Iterable[Mapping[str, Any]]) -> tuple[int, ...]:
    return tuple(sorted({ln["nomenclature_id"] for ln in lines if ln.get("nomenclature_id") is not None}))


def items_need(lines: Iterable[Mapping[str, Any]]) -> Many:
    """The lines' items: which are goods, and their names for messages."""
    return Many("nomenclature", item_ids(lines), ("kind", "name"))


def balances_need(warehouse: int | None, lines: Iterable[Mapping[str, Any]]) -> Balances | None:
    """The current balances of the lines' items in ``warehouse`` (none when there is nothing to read)."""
    items = item_ids(lines)
    return Balances("stock", tuple((warehouse, item) for item in items)) if warehouse is not None and items else None


def goods(inputs) -> dict[int, str]:
    """The goods among the lines' items, by id, with their names."""
    return {i: item["name"] for i, item in inputs["items"].items() if item["kind"] == "goods"}


def costs(warehouse: int | None, lines: Iterable[Mapping[str, Any]], goods: Mapping[int, str], balances,
          quantity: str = "quantity") -> list[Decimal | None]:
    """The cost each line takes at the moving average: its share of the balance's cost, and the
    whole of what is left when it takes the last unit (so no cost stays behind without quantity).
    Lines of one item draw on the same balance in turn; a line that is not goods (or has no
    ``quantity`` to take) costs nothing (``None``)."""
    left: dict[int, dict[str, Decimal]] = {}
    out: list[Decimal | None] = []
    for ln in lines:
        item, taken = ln.get("nomenclature_id"), ln.get(quantity)
        if item not in goods or taken is None:
            out.append(None)
            continue
        have = left.setdefault(item, dict(balances.get((warehouse, item)) or NOTHING))
        if have["quantity"] <= 0:
            cost = ZERO
        elif taken >= have["quantity"]:
            cost = money(have["cost"])
        else:
            cost = money(have["cost"] * taken / have["quantity"])
        have["quantity"] -= taken
        have["cost"] -= cost
        out.append(cost)
    return out


def service_lines(lines: Iterable[Mapping[str, Any]], items: Mapping[int, Mapping[str, Any]],
                  verb: str) -> list[ValidationError]:
    """Every line that names a service, at once: only goods are moved (``verb``: «списать»)."""
    problems = {f"lines[{i}].nomenclature_id": f"«{items[ln['nomenclature_id']]['name']}» — услуга,"
                                                f" {verb} можно только товар"
                for i, ln in enumerate(lines) if items.get(ln.get("nomenclature_id"), {}).get("kind") == "service"}
    return [ValidationError.fields(problems)] if problems else []


def available(balance: Mapping[str, Any] | None) -> Decimal:
    """Доступно: the quantity less what Requests hold in reserve (остаток − резерв)."""
    balance = balance or {}
    return (balance.get("quantity") or Decimal(0)) - (balance.get("reserved") or Decimal(0))


def refuse_shortfalls(warehouse_id: int, warehouse: str | None, required: Mapping[int, Decimal],
                      goods: Mapping[int, str], balances, freed: Mapping[tuple, Decimal] | None = None) -> None:
    """Every item of which ``warehouse`` has less available (остаток − резерв, plus what the document
    itself frees of a reserve: ``freed``) than ``required``, in the engine's own shortage error (the
    same 409 and details as its balance control, which stays the guard when two postings race)."""
    labels = {f.name: f.title for f in (*stock.dimensions, *stock.resources)}
    short = []
    for item, need in required.items():
        key = (warehouse_id, item)
        have = (available(balances.get(key)) + (freed or {}).get(key, Decimal(0))).quantize(Decimal("0.001"))
        if need > have:
            names = {"nomenclature_id": goods[item], **({"warehouse_id": warehouse} if warehouse else {})}
            short.append(Shortfall(register=stock.name, title=stock.title, resource="quantity",
                                   dimensions={"warehouse_id": warehouse_id, "nomenclature_id": item},
                                   available=have, required=need, names=names, labels=labels))
    if short:
        raise BalanceShortage(short)


def required(lines: Iterable[Mapping[str, Any]], goods: Mapping[int, str],
             quantity: str = "quantity") -> dict[int, Decimal]:
    """What the lines take of each item (goods only), in the order the items first appear."""
    out: dict[int, Decimal] = {}
    for ln in lines:
        if ln.get("nomenclature_id") in goods and ln.get(quantity) is not None:
            out[ln["nomenclature_id"]] = out.get(ln["nomenclature_id"], Decimal(0)) + ln[quantity]
    return out
