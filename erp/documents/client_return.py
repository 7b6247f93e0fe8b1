"""Возврат от клиента: what a client brings back of a ServiceRendering.

Created on the basis of a posted rendering (``GET /api/documents/service-renderings/{id}/based/
client-returns`` fills what can still come back), the user keeps the lines and quantities that
return. The register «Продажи к возврату» (:mod:`erp.registers.returnable_sales`) holds what the
rendering sold less its earlier posted returns, with its amounts and the cost its goods left the
stock with; a return takes its share of that (the last unit takes the rest), so:

* goods come back to the return's warehouse at the cost they left with;
* the sales register is reversed (quantity, amount, VAT and cost: a service's cost of materials
  stays, consumed materials do not come back);
* the client's debt (settlements) goes down by the returned amount: the refund is the negative
  settlement the next payment offsets (or an advance, when everything was paid).

No path takes more than was sold less the earlier returns: create, save, posting a draft, and
(in the rendering's own rules) unposting or cutting the rendering; the register's balance control
is the guard when two postings race. Pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from erp.platform.document import BasedOn, Doc, DocumentKind, Index
from erp.platform.errors import Conflict, ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Balances, Lookup
from erp.registers.returnable_sales import returnable_sales
from erp.registers.sales import sales
from erp.registers.settlements import settlements
from erp.registers.stock import stock
from erp.services.pricing import money

from .stock_lines import goods, item_ids, items_need, positive

BASE = "service-renderings"
SHARED = ("amount", "vat", "cost")
ZERO = Decimal("0.00")
NOTHING = {"quantity": Decimal(0), "amount": ZERO, "vat": ZERO, "cost": ZERO}


class NotPosted(Conflict):
    code = "base_not_posted"


class ReturnExceedsSold(Conflict):
    code = "return_exceeds_sold"


def _base_id(doc: Doc) -> int | None:
    return doc.based_on[1] if doc.based_on and doc.based_on[0] == BASE else None


def _number(base: Mapping[str, Any] | None) -> str:
    return f"№ {base['number']}" if base and base.get("number") else ""


def shares(base_id: int | None, lines: Iterable[Mapping[str, Any]],
           left: Mapping[tuple, Mapping[str, Decimal]]) -> list[dict[str, Decimal] | None]:
    """Each line's amount, VAT and cost: its share of what the rendering has left to return of the
    item (``left``: the register's balance without this return's own movements), lines of one item
    drawing on it in turn, and a line that takes the last unit takes all that is left (so nothing
    stays behind without quantity). A line with no item or quantity has none (``None``)."""
    remaining: dict[int, dict[str, Decimal]] = {}
    out: list[dict[str, Decimal] | None] = []
    for ln in lines:
        item, taken = ln.get("nomenclature_id"), ln.get("quantity")
        if item is None or taken is None or taken <= 0:
            out.append(None)
            continue
        have = remaining.setdefault(item, {**NOTHING, **(left.get((base_id, item)) or {})})
        if have["quantity"] <= 0:
            share = {r: ZERO for r in SHARED}
        elif taken >= have["quantity"]:
            share = {r: money(max(have[r], ZERO)) for r in SHARED}
        else:
            share = {r: money(max(have[r], ZERO) * taken / have["quantity"]) for r in SHARED}
        have["quantity"] -= taken
        for r in SHARED:
            have[r] -= share[r]
        out.append(share)
    return out


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """The rendering returned to (posted? whose? when?), the lines' items and what the rendering has
    left to return of them, without this return's own movements. Unposting needs nothing."""
    if old is not None and old.posted and not new.posted:
        return {}
    base_id = _base_id(new)
    out: dict[str, Any] = {"base": Lookup(BASE, base_id, ("number", "date", "posted", "organization_id",
                                                          "client_id", "doctor_id")),
                           "items": items_need(new.lines)}
    if base_id is not None and (ids := item_ids(new.lines)):
        out["left"] = Balances(returnable_sales.name, tuple((base_id, item) for item in ids))
    return out


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    """Each line's amount and cost as the posting takes them, and the total."""
    found = shares(_left_base(inputs), lines, inputs.get("left", {}))
    for line, share in zip(lines, found, strict=True):
        line["amount"] = share["amount"] if share else ZERO
        line["cost"] = share["cost"] if share else ZERO
    header["amount_total"] = sum((ln["amount"] for ln in lines), ZERO)
    return header, lines


def _left_base(inputs) -> int | None:
    """The rendering the balances were read for (their keys start with it)."""
    return next((key[0] for key in inputs.get("left", {})), None)


def _required(lines: Iterable[Mapping[str, Any]]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for ln in lines:
        if ln.get("nomenclature_id") is not None and ln.get("quantity") is not None:
            out[ln["nomenclature_id"]] = out.get(ln["nomenclature_id"], Decimal(0)) + ln["quantity"]
    return out


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """On every path but unposting: a posted rendering of this client and organization, not later
    than the return, and no item returned beyond what the rendering sold less its other posted returns."""
    if old is not None and old.posted and not new.posted:
        return []
    base_id, base = _base_id(new), inputs["base"]
    if base_id is None:
        return [ValidationError("Возврат от клиента оформляется на основании документа «Оказание услуг»",
                                code="return_without_base",
                                details={"fields": {"based_on": "укажите документ «Оказание услуг»"}})]
    if base is None:
        return [ValidationError.field("based_on", "документ-основание не найден")]
    if not base["posted"]:
        return [NotPosted(f"Документ «Оказание услуг» {_number(base)} не проведён: возврат по нему невозможен",
                          details={"based_on": {"kind": BASE, "id": base_id}})]
    problems: dict[str, str] = {}
    if new.header.get("organization_id") != base["organization_id"]:
        problems["organization_id"] = "организация возврата — та же, что в документе «Оказание услуг»"
    if new.header.get("client_id") != base["client_id"]:
        problems["client_id"] = "клиент возврата — тот же, что в документе «Оказание услуг»"
    if new.date < base["date"]:
        problems["date"] = "возврат не может быть раньше документа «Оказание услуг»"
    found = goods(inputs)
    if not new.header.get("warehouse_id") and any(ln.get("nomenclature_id") in found for ln in new.lines):
        problems["warehouse_id"] = "в возврате есть товары: укажите склад, на который они возвращаются"
    errors: list = [ValidationError.fields(problems)] if problems else []
    if new.posted and not new.lines:
        errors.append(ValidationError("Возврат не проведён: в нём нет строк", code="empty_return",
                                      details={"fields": {"lines": "добавьте возвращаемые товары и услуги"}}))
    if errors:
        return errors
    return _exceeding(new, base, base_id, inputs)


def _exceeding(new: Doc, base: Mapping[str, Any], base_id: int, inputs) -> list:
    """Every item the return takes more of than the rendering has left to return: one 409 naming
    each item (with what may still come back) and each of its lines."""
    left, names = inputs.get("left", {}), inputs["items"]
    over, fields = [], {}
    for item, wanted in _required(new.lines).items():
        can = (left.get((base_id, item), {}).get("quantity") or Decimal(0)).quantize(Decimal("0.001"))
        if wanted <= can:
            continue
        name = (names.get(item) or {}).get("name", str(item))
        over.append({"nomenclature_id": item, "item": name, "available": str(can), "required": str(wanted)})
        for i, ln in enumerate(new.lines):
            if ln.get("nomenclature_id") == item:
                fields[f"lines[{i}].quantity"] = f"можно вернуть не больше {can}"
    if not over:
        return []
    listed = "; ".join(f"«{o['item']}»: можно вернуть {o['available']}, в возврате {o['required']}" for o in over)
    return [ReturnExceedsSold(
        f"Возврат больше проданного по документу «Оказание услуг» {_number(base)} за вычетом прежних возвратов"
        f" — {listed}", details={"items": over, "fields": fields})]


def movements(doc: Doc, inputs) -> dict:
    base, base_id = inputs["base"], _base_id(doc)
    found = goods(inputs)
    parts = shares(base_id, doc.lines, inputs.get("left", {}))
    back, sold, taken = [], [], []
    total = ZERO
    for ln, share in zip(doc.lines, parts, strict=True):
        if share is None:
            continue
        item, quantity = ln["nomenclature_id"], ln["quantity"]
        total += share["amount"]
        taken.append(returnable_sales.expense(doc.date, service_rendering_id=base_id, nomenclature_id=item,
                                              quantity=quantity, **share))
        sold.append(sales.turnover(doc.date, organization_id=base["organization_id"], client_id=base["client_id"],
                                   nomenclature_id=item, doctor_id=base["doctor_id"], quantity=-quantity,
                                   amount=-share["amount"], vat=-share["vat"], cost=-share["cost"]))
        if item in found:
            back.append(stock.receipt(doc.date, warehouse_id=doc.warehouse_id, nomenclature_id=item,
                                      quantity=quantity, cost=share["cost"]))
    owed = [settlements.expense(doc.date, organization_id=base["organization_id"], client_id=base["client_id"],
                                amount=total)] if total else []
    return {returnable_sales: taken, sales: sold, stock: back, settlements: owed}


# -- ввод на основании оказания услуг ------------------------------------------------------------


def _rendering_needs(base: Doc) -> dict:
    ids = item_ids(base.lines)
    return {"left": Balances(returnable_sales.name, tuple((base.id, item) for item in ids))} if ids else {}


def _from_rendering(base: Doc, inputs) -> dict:
    """What the rendering has left to return, line by line (a line of an item already returned in
    full is left out): the user keeps the lines and quantities that come back."""
    number = f"№ {base.number}"
    if not base.posted:
        raise NotPosted(f"Документ «Оказание услуг» {number} не проведён: возврат по нему невозможен")
    left = {key[1]: value["quantity"] for key, value in inputs.get("left", {}).items()}
    lines = []
    for ln in base.lines:
        quantity = min(ln["quantity"], left.get(ln["nomenclature_id"], Decimal(0)))
        if quantity > 0:
            lines.append({"nomenclature_id": ln["nomenclature_id"], "quantity": quantity})
            left[ln["nomenclature_id"]] -= quantity
    if not lines:
        raise Conflict(f"По документу «Оказание услуг» {number} всё уже возвращено", code="nothing_to_return")
    return {"header": {"organization_id": base.organization_id, "client_id": base.client_id,
                       "warehouse_id": base.warehouse_id},
            "lines": lines}


client_returns = DocumentKind(
    "client-returns", "Возврат от клиента",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("client_id", "ref", "Клиент", ref="clients", required=True),
        Field("warehouse_id", "ref", "Склад", ref="warehouses"),
        Field("reason", "str", "Причина возврата", max_length=200),
        Field("amount_total", "money", "Сумма документа", read_only=True),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
        Field("quantity", "quantity", "Количество", required=True, check=positive),
        Field("amount", "money", "Сумма", read_only=True),
        Field("cost", "money", "Себестоимость", read_only=True),
    ),
    registers=(returnable_sales, sales, stock, settlements), movements=movements, needs=needs, fill=fill,
    rules=rules,
    based_on=(BasedOn(BASE, _from_rendering, _rendering_needs, offered=lambda doc, _derived: doc.posted),),
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
    indexes=(Index("doc_client_returns_client_idx", ("client_id", "-date", "-id")),),
)
