"""Оказание услуг: services (and goods) rendered to a client.

Posting writes sales turnover, takes goods out of stock at moving-average
cost (with balance control), writes off the materials its services use
(«Материалы услуги», :mod:`.service_materials`), records the cost of what was
sold beside the revenue, and makes the client owe the total. Based on a
Request it takes the client, the doctor and the lines; an empty Request
gives one line "Номенклатура AmoCRM" at its price.
"""

from decimal import Decimal

from erp.catalogs.nomenclature import AMOCRM_SERVICE
from erp.platform.document import BasedOn, Doc, DocumentKind, Index
from erp.platform.errors import Conflict, ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Balances, Documents, First, Lookup, Many, Predefined
from erp.registers.returnable_sales import returnable_sales
from erp.registers.sales import sales
from erp.registers.settlements import settlements
from erp.registers.stock import stock
from erp.registers.stock_reserves import stock_reserves
from erp.services.pricing import compute_line, money, vat_of

from . import request_reserve, service_materials
from .stock_lines import available


class BelowReturns(Conflict):
    """The rendering would be unposted, or sell less than its posted returns took back."""

    code = "rendering_has_returns"


class GoodsShortage(Conflict):
    """Not enough goods in the warehouse for the document (the same code as the engine's balance control)."""

    code = "balance_shortage"


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    lines = [compute_line(line, i) for i, line in enumerate(lines)]
    header["amount_total"] = sum((ln["amount"] for ln in lines), Decimal("0.00"))
    return header, lines


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """The organization's VAT rate, the warehouse's name, which lines are goods (with their names
    for a shortfall message) and every line's item's balance in the warehouse (the goods among
    them are known only with the answers; all are read in the one query)."""
    ids = tuple(sorted({ln["nomenclature_id"] for ln in new.lines if ln.get("nomenclature_id") is not None}))
    warehouse = new.header.get("warehouse_id")
    out = {"organization": Lookup("organizations", new.header.get("organization_id"), ("vat_rate",)),
           "warehouse": Lookup("warehouses", warehouse, ("name",)),
           "items": Many("nomenclature", ids, ("kind", "name"))}
    if warehouse and ids and new.posted:
        out["stock"] = Balances("stock", tuple((warehouse, n) for n in ids))
    if ids and new.posted:
        out |= service_materials.needs(ids, warehouse)
    out |= request_reserve.release_needs(new)
    if old is not None and old.posted and old.id is not None:
        # What posted «Возврат от клиента» took back: the register's balance without the rendering's own
        # movements (minus the returns), for every item it sold or sells, and the returns' numbers.
        sold = tuple(sorted({*ids, *(ln["nomenclature_id"] for ln in old.lines)}))
        out["returned"] = Balances(returnable_sales.name, tuple((old.id, n) for n in sold))
        out["returned_items"] = Many("nomenclature", sold, ("name",))
        out["returns"] = Documents("client-returns", {"based_on_kind": "service-renderings", "based_on_id": old.id},
                                   posted=True)
    return out


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """A rendering with posted returns is not unposted, and sells no less of an item (quantity or amount)
    than they took back: the returns are unposted first. (The register's balance control is the guard
    when a return and the rendering's change race.)"""
    returned = {key[1]: (-value["quantity"], -value["amount"]) for key, value in inputs.get("returned", {}).items()
                if value["quantity"] < 0 or value["amount"] < 0}
    if not returned:
        return []
    numbers = ", ".join(f"№ {r['number']}" for r in inputs.get("returns", []))
    if not new.posted:
        return [BelowReturns(f"По документу оформлены возвраты от клиента ({numbers}): сначала отмените их проведение",
                             details={"returns": [r["id"] for r in inputs.get("returns", [])]})]
    names = inputs.get("returned_items", {})
    sold: dict[int, tuple[Decimal, Decimal]] = {}
    for ln in new.lines:
        quantity, amount = sold.get(ln["nomenclature_id"], (Decimal(0), Decimal(0)))
        sold[ln["nomenclature_id"]] = (quantity + ln["quantity"], amount + ln["amount"])
    below = []
    for item, (quantity, amount) in returned.items():
        has_quantity, has_amount = sold.get(item, (Decimal(0), Decimal(0)))
        if has_quantity < quantity or has_amount < amount:
            below.append({"nomenclature_id": item, "item": (names.get(item) or {}).get("name", str(item)),
                          "returned_quantity": str(quantity), "returned_amount": str(amount),
                          "quantity": str(has_quantity), "amount": str(has_amount)})
    if not below:
        return []
    listed = "; ".join(f"«{b['item']}»: возвращено {b['returned_quantity']} на {b['returned_amount']},"
                       f" в документе {b['quantity']} на {b['amount']}" for b in below)
    return [BelowReturns(f"По документу оформлены возвраты от клиента ({numbers}), и в нём не может остаться меньше,"
                         f" чем возвращено — {listed}", details={"items": below})]


def _goods(inputs) -> dict[int, str]:
    return {i: item["name"] for i, item in inputs["items"].items() if item["kind"] == "goods"}


def movements(doc: Doc, inputs) -> dict:
    goods = _goods(inputs)
    materials = inputs.get("materials", {})
    used = service_materials.consumption(doc.lines, goods, materials)
    if not doc.warehouse_id and any(ln["nomenclature_id"] in goods for ln in doc.lines):
        raise ValidationError.field("warehouse_id", "в документе есть товары: укажите склад")
    if not doc.warehouse_id and used:
        raise ValidationError.field("warehouse_id", "услуги документа списывают материалы: укажите склад")
    balances = {**inputs.get("material_stock", {}), **inputs.get("stock", {})}
    left = {key: dict(value) for key, value in balances.items()}

    def take(item: int, quantity: Decimal) -> Decimal:
        """The cost ``quantity`` of ``item`` takes at the moving average, lines drawing on the balance in turn."""
        have = left.setdefault((doc.warehouse_id, item), {"quantity": Decimal(0), "cost": Decimal(0)})
        if have["quantity"] > 0:
            cost = have["cost"] if quantity >= have["quantity"] else money(have["cost"] * quantity / have["quantity"])
        else:
            cost = Decimal("0.00")
        have["quantity"] -= quantity
        have["cost"] -= cost
        return cost

    expenses, line_costs = [], [Decimal("0.00")] * len(doc.lines)
    goods_costs = list(line_costs)
    for i, ln in enumerate(doc.lines):
        if ln["nomenclature_id"] in goods:
            line_costs[i] = goods_costs[i] = cost = take(ln["nomenclature_id"], ln["quantity"])
            expenses.append(stock.expense(doc.date, warehouse_id=doc.warehouse_id,
                                          nomenclature_id=ln["nomenclature_id"], quantity=ln["quantity"], cost=cost))
    for i, item, quantity in used:
        cost = take(item, quantity)
        line_costs[i] += cost
        expenses.append(stock.expense(doc.date, warehouse_id=doc.warehouse_id, nomenclature_id=item,
                                      quantity=quantity, cost=cost))
    required: dict[int, Decimal] = {}
    for ln in doc.lines:
        if ln["nomenclature_id"] in goods:
            required[ln["nomenclature_id"]] = required.get(ln["nomenclature_id"], Decimal(0)) + ln["quantity"]
    for _i, item, quantity in used:
        required[item] = required.get(item, Decimal(0)) + quantity
    released, freed = request_reserve.release(doc, inputs)
    _refuse_shortfalls(doc.warehouse_id, required, {**service_materials.names(materials), **goods},
                       (inputs["warehouse"] or {}).get("name"), balances, freed)
    vat_rate = (inputs["organization"] or {}).get("vat_rate")
    # What may come back (a «Возврат от клиента»): each line, and the cost its goods left the stock with.
    returnable = [returnable_sales.receipt(doc.date, service_rendering_id=doc.id, nomenclature_id=ln["nomenclature_id"],
                                           quantity=ln["quantity"], amount=ln["amount"],
                                           vat=vat_of(ln["amount"], vat_rate), cost=cost)
                  for ln, cost in zip(doc.lines, goods_costs, strict=True)]
    return {
        sales: [sales.turnover(doc.date, organization_id=doc.organization_id, client_id=doc.client_id,
                               nomenclature_id=ln["nomenclature_id"], doctor_id=doc.doctor_id,
                               quantity=ln["quantity"], amount=ln["amount"], vat=vat_of(ln["amount"], vat_rate),
                               cost=cost)
                for ln, cost in zip(doc.lines, line_costs, strict=True)],
        settlements: [settlements.receipt(doc.date, organization_id=doc.organization_id, client_id=doc.client_id,
                                          amount=doc.amount_total)] if doc.amount_total else [],
        stock: expenses + released[stock],
        stock_reserves: released[stock_reserves],
        returnable_sales: returnable,
    }


def _refuse_shortfalls(warehouse_id: int, required: dict[int, Decimal], names: dict[int, str], warehouse: str | None,
                       balances: dict, freed: dict) -> None:
    """Name every item the warehouse lacks (goods lines and materials together), with what is
    available there (less the other Requests' reserves; the document's own Request's reserve, which it
    takes away, counts as available) and what the document takes. The engine's balance control stays
    the guard under concurrency."""
    short = []
    for item, need in required.items():
        key = (warehouse_id, item)
        have = (available(balances.get(key)) + freed.get(key, Decimal(0))).quantize(Decimal("0.001"))
        if need > have:
            short.append({"register": stock.name, "dimensions": {"warehouse_id": warehouse_id,
                                                                 "nomenclature_id": item},
                          "resource": "quantity", "item": names[item],
                          "available": str(have), "required": str(need)})
    if short:
        listed = "; ".join(f"«{s['item']}»: доступно {s['available']}, требуется {s['required']}" for s in short)
        raise GoodsShortage(f"Недостаточно товара на складе «{warehouse}» — {listed}",
                            details={"shortfalls": short})


def _request_needs(_base: Doc) -> dict:
    return {"organization": First("organizations"), "warehouse": First("warehouses"),
            "amocrm": Predefined("nomenclature", AMOCRM_SERVICE, ("price",))}


def _from_request(base: Doc, inputs) -> dict:
    lines = [{"nomenclature_id": ln["nomenclature_id"], "quantity": ln["quantity"], "price": ln["price"]}
             for ln in base.lines]
    amocrm = inputs["amocrm"] or {}
    if not lines:
        lines = [{"nomenclature_id": amocrm.get("id"), "quantity": Decimal("1.000"), "price": amocrm.get("price")}]
    warehouse = base.header.get("warehouse_id") or (inputs["warehouse"] or {}).get("id")  # where its goods are held
    return {"header": {"organization_id": (inputs["organization"] or {}).get("id"), "client_id": base.client_id,
                       "doctor_id": base.doctor_id, "warehouse_id": warehouse},
            "lines": lines}


def _invoice_needs(base: Doc) -> dict:
    out = {"warehouse": First("warehouses")}
    if base.based_on and base.based_on[0] in ("requests", "service-renderings"):
        out["base"] = Lookup(base.based_on[0], base.based_on[1], ("doctor_id",))
    return out


def _from_invoice(base: Doc, inputs) -> dict:
    """Ввод на основании счёта: what was invoiced is rendered; the doctor comes from the
    invoice's own base (a Request or a rendering) when there is one, else the user picks."""
    lines = [{"nomenclature_id": ln["nomenclature_id"], "quantity": ln["quantity"], "price": ln["price"],
              "discount_percent": ln.get("discount_percent"), "discount_amount": ln.get("discount_amount")}
             for ln in base.lines]
    return {"header": {"organization_id": base.organization_id, "client_id": base.client_id,
                       "doctor_id": (inputs.get("base") or {}).get("doctor_id"),
                       "warehouse_id": (inputs["warehouse"] or {}).get("id")},
            "lines": lines}


service_renderings = DocumentKind(
    "service-renderings", "Оказание услуг",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("client_id", "ref", "Клиент", ref="clients", required=True),
        Field("doctor_id", "ref", "Врач", ref="doctors", required=True),
        Field("warehouse_id", "ref", "Склад", ref="warehouses"),
        Field("amount_total", "money", "Сумма документа", read_only=True),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True,
              extra={"picker_stock": "warehouse_id"}),  # the picker shows what is available there
        Field("quantity", "quantity", "Количество", required=True),
        Field("price", "money", "Цена", required=True),
        Field("discount_percent", "percent", "Процент скидки"),
        Field("discount_amount", "money", "Сумма скидки"),
        Field("amount", "money", "Сумма"),
        Field("note", "str", "Сертификат/абонемент", max_length=200),
    ),
    registers=(sales, stock, settlements, returnable_sales, stock_reserves), movements=movements, prepare=prepare,
    needs=needs, rules=rules,
    based_on=(BasedOn("requests", _from_request, _request_needs), BasedOn("invoices", _from_invoice, _invoice_needs)),
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
    lines_title="Работы",
    # The list filtered by client pages by keyset (date, id) without scanning other clients' documents.
    indexes=(Index("doc_service_renderings_client_idx", ("client_id", "-date", "-id")),),
)
