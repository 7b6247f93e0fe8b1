"""The reserve of a Request's goods lines (резерв товаров по заявке).

While a Request is posted and not yet rendered, its goods lines hold their quantities in the
Request's warehouse: a receipt of the stock register's ``reserved`` and of «Товары в резерве»
(:mod:`erp.registers.stock_reserves`). What is reserved must be available (the quantity less what
the other Requests hold): a shortage is the platform's 409 ``balance_shortage``, every short item
listed, and the stock register's own control (the quantity covers the reserve) is the guard when
postings race. The «Оказание услуг» made on the Request takes its whole reserve away in its own
posting (:func:`release`), so:

* unposting the rendering gives the reserve back (if the goods are still there: else a 409);
* while a posted rendering is based on a Request, the Request's goods lines and warehouse hold exactly
  what the renderings took (re-posting it, with other comments or another status, keeps the reserve
  closed): a change of its goods is refused (409 ``request_rendered``), and so is unposting it once a
  rendering took its reserve (409 ``request_reserve_released``): the rendering is unposted first;
* a rendering not made on a Request reserves and releases nothing.

Pure functions: no I/O.
"""

from __future__ import annotations

from decimal import Decimal

from erp.platform.document import Doc
from erp.platform.errors import Conflict, ErpError, ValidationError
from erp.platform.posting.inputs import Balances, BalancesWhere, Documents, First, Later, Lookup
from erp.registers.stock import stock
from erp.registers.stock_reserves import stock_reserves

from .stock_lines import item_ids, refuse_shortfalls, required


def needs(old: Doc | None, new: Doc) -> dict:
    """The warehouse (its name), the current stock of the lines' items there and, for a saved
    Request, the renderings based on it and what they took of its reserve. A Request with lines and
    no warehouse reads the first warehouse, its default; the stock there is read after it (a second
    query) only when some line is goods."""
    out: dict = {}
    warehouse, ids = new.header.get("warehouse_id"), item_ids(new.lines)
    if warehouse and ids:
        out["reserve_warehouse"] = Lookup("warehouses", warehouse, ("name",))
        if new.posted:
            out["reserve_stock"] = Balances(stock.name, tuple((warehouse, i) for i in ids))
    elif ids:
        out["reserve_default"] = First("warehouses", ("name",))
        if new.posted:
            out["reserve_later"] = Later(lambda found: _default_stock(found, ids))
    if old is not None and old.id is not None:
        keys = {(old.id, w, i) for doc in (old, new) if (w := doc.header.get("warehouse_id"))
                for i in item_ids(doc.lines)}
        if keys:
            out["reserve_taken"] = Balances(stock_reserves.name, tuple(sorted(keys)))
            out["reserve_renderings"] = Documents("service-renderings",
                                                  {"based_on_kind": "requests", "based_on_id": old.id}, posted=True)
    return out


def _default_stock(found, ids: tuple[int, ...]) -> dict:
    warehouse = (found.get("reserve_default") or {}).get("id")
    goods = [i for i in ids if (found["durations"].get(i) or {}).get("kind") == "goods"]
    return {"stock": Balances(stock.name, tuple((warehouse, i) for i in goods))} if warehouse and goods else {}


def fill(header: dict, lines: list[dict], inputs, goods: dict[int, str]) -> None:
    """A Request with goods and no warehouse reserves them in the default one (the first warehouse)."""
    if not header.get("warehouse_id") and any(ln.get("nomenclature_id") in goods for ln in lines):
        header["warehouse_id"] = (inputs.get("reserve_default") or {}).get("id")


def _taken(inputs) -> dict[tuple, Decimal]:
    """What posted renderings took of the Request's reserve, by key (request, warehouse, item)."""
    return {key: -value["quantity"] for key, value in inputs.get("reserve_taken", {}).items()
            if value["quantity"] < 0}


def _numbers(inputs) -> str:
    return ", ".join(f"№ {r['number'].lstrip('0') or r['number']}" for r in inputs.get("reserve_renderings", []))


def rules(old: Doc | None, new: Doc, inputs) -> list[ErpError]:
    taken = _taken(inputs)
    if new.posted and inputs.get("reserve_renderings"):
        goods = {i for i, item in inputs["durations"].items() if item["kind"] == "goods"}
        warehouse = new.header.get("warehouse_id")
        held = {(new.id, warehouse, i): q for i, q in required(new.lines, goods).items()}
        if held != taken:
            return [Conflict(f"По заявке уже оказаны услуги ({_numbers(inputs)}): её товары и склад не меняются."
                             " Отмените проведение оказания услуг, чтобы изменить их.", code="request_rendered",
                             details={"renderings": [r["id"] for r in inputs["reserve_renderings"]],
                                      "fields": {"lines": "товары заявки уже переданы оказанием услуг"}})]
    if not (old is not None and old.posted and not new.posted) or not taken:
        return []
    numbers = _numbers(inputs)
    return [Conflict(f"Резерв товаров заявки уже снят оказанием услуг ({numbers}): отменить проведение заявки нельзя."
                     " Сначала отмените проведение оказания услуг.", code="request_reserve_released",
                     details={"renderings": [r["id"] for r in inputs.get("reserve_renderings", [])]})]


def movements(doc: Doc, inputs, goods: dict[int, str]) -> dict:
    """The reserve's receipts: the goods lines (each item's total) in the warehouse; once rendered, the rules
    keep them equal to what the renderings took, so the reserve stays closed."""
    warehouse = doc.header.get("warehouse_id")
    wanted = required(doc.lines, goods)
    if wanted and not warehouse:
        raise ValidationError.field("warehouse_id", "в заявке есть товары: укажите склад, где они резервируются")
    if not inputs.get("reserve_renderings"):
        place = inputs.get("reserve_warehouse") or inputs.get("reserve_default") or {}
        balances = inputs.get("reserve_stock") or (inputs.get("reserve_later") or {}).get("stock", {})
        refuse_shortfalls(warehouse, place.get("name"), wanted, goods, balances)
    held = [(warehouse, i, q) for i, q in wanted.items()]
    return {stock_reserves: [stock_reserves.receipt(doc.date, request_id=doc.id, warehouse_id=w, nomenclature_id=i,
                                                    quantity=q) for w, i, q in held],
            stock: [stock.receipt(doc.date, warehouse_id=w, nomenclature_id=i, reserved=q) for w, i, q in held]}


def release_needs(new: Doc) -> dict:
    """A rendering made on a Request reads that Request's reserve (its own release not counted)."""
    if new.posted and new.based_on and new.based_on[0] == "requests":
        return {"request_reserve": BalancesWhere(stock_reserves.name, {"request_id": new.based_on[1]})}
    return {}


def release(doc: Doc, inputs) -> tuple[dict, dict[tuple[int, int], Decimal]]:
    """The rendering's expenses that take its Request's whole reserve, and what they free by
    (warehouse, item): that much more is available to the rendering itself."""
    held = [(key, value["quantity"]) for key, value in inputs.get("request_reserve", {}).items()
            if value["quantity"] > 0]
    freed = {(w, i): q for (_r, w, i), q in held}
    return ({stock_reserves: [stock_reserves.expense(doc.date, request_id=r, warehouse_id=w, nomenclature_id=i,
                                                     quantity=q) for (r, w, i), q in held],
             stock: [stock.expense(doc.date, warehouse_id=w, nomenclature_id=i, reserved=q)
                     for (_r, w, i), q in held]}, freed)
