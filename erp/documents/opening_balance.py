"""Ввод начальных остатков: what an organization had when it started keeping its books here.

As in 1C, one document per section of the books («Раздел учёта»), each with its own columns of
the one table «Остатки»:

* «Товары на складах» — warehouse, item (goods only), quantity (> 0) and its total cost (≥ 0):
  a receipt into «Товары на складах» at that cost, so the moving average starts from it;
* «Расчёты с клиентами» — client and debt: positive, the client owes us; negative, an advance
  the client paid («Взаиморасчёты с клиентами» of the organization);
* «Расчёты с поставщиками» — supplier and debt: positive, we owe the supplier; negative, an
  advance we paid («Расчёты с поставщиками»);
* «Денежные средства» — a cash desk or a bank account of the document's organization and the
  money in it (≥ 0).

A zero debt or zero money moves nothing. The columns of the other sections are cleared, so a
line never carries what its section does not show. Posted at the document's date like any
document: the period lock, numbering, audit, unposting and re-posting are the engine's; the
balance control refuses to unpost opening stock or money already spent (the structured 409).
The table is typed by hand or filled from Excel (:mod:`erp.services.opening_excel`).
Pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from erp.platform.document import Doc, DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Many
from erp.registers.money import BANK_ACCOUNTS, CASH_DESKS, money
from erp.registers.settlements import settlements
from erp.registers.stock import stock
from erp.registers.supplier_settlements import supplier_settlements

from . import money_accounts as accounts
from .stock_lines import item_ids, items_need, service_lines

STOCK, CLIENTS, SUPPLIERS, MONEY = "stock", "clients", "suppliers", "money"
SECTIONS = (STOCK, CLIENTS, SUPPLIERS, MONEY)

# The columns each section fills; every line also has its «Сумма» (``amount``).
COLUMNS: dict[str, tuple[str, ...]] = {
    STOCK: ("warehouse_id", "nomenclature_id", "quantity", "balance"),
    CLIENTS: ("client_id", "balance"),
    SUPPLIERS: ("supplier_id", "balance"),
    MONEY: ("cash_desk_id", "bank_account_id", "balance"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    STOCK: ("warehouse_id", "nomenclature_id", "quantity", "balance"),
    CLIENTS: ("client_id", "balance"),
    SUPPLIERS: ("supplier_id", "balance"),
    MONEY: ("balance",),
}
EMPTY = "обязательное поле не заполнено"
FIELDS_OF_LINE = ("warehouse_id", "nomenclature_id", "quantity", "client_id", "supplier_id", "cash_desk_id",
                  "bank_account_id", "balance")


def _shown(*sections: str) -> dict[str, Any]:
    """The form shows the column only while «Раздел учёта» is one of ``sections``."""
    return {"shown_with": ("section", sections)}


def line_problems(section: str, i: int, ln: Mapping[str, Any]) -> dict[str, str]:
    out = {f"lines[{i}].{name}": EMPTY for name in REQUIRED[section] if ln.get(name) is None}
    quantity, amount = ln.get("quantity"), ln.get("balance")
    if section == STOCK:
        if quantity is not None and quantity <= 0:
            out[f"lines[{i}].quantity"] = "количество должно быть больше нуля"
        if amount is not None and amount < 0:
            out[f"lines[{i}].balance"] = "сумма (себестоимость остатка) не может быть отрицательной"
    if section == MONEY:
        if amount is not None and amount < 0:
            out[f"lines[{i}].balance"] = "остаток денежных средств не может быть отрицательным"
        if ln.get("cash_desk_id") is None and ln.get("bank_account_id") is None:
            out[f"lines[{i}].cash_desk_id"] = "укажите кассу или банковский счёт"
        elif ln.get("cash_desk_id") is not None and ln.get("bank_account_id") is not None:
            out[f"lines[{i}].bank_account_id"] = "укажите что-то одно: кассу или банковский счёт"
    return out


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    """Each line keeps only its section's columns and has them right; every bad line at once."""
    section = header.get("section") or STOCK
    header["section"] = section
    kept = set(COLUMNS[section])
    lines = [{name: (value if name in kept else None) for name, value in ln.items()} for ln in lines]
    problems: dict[str, str] = {}
    for i, ln in enumerate(lines):
        problems |= line_problems(section, i, ln)
    if problems:
        raise ValidationError.fields(problems)
    return header, lines


def _accounts(lines, field: str) -> tuple[int, ...]:
    return tuple(sorted({ln[field] for ln in lines if ln.get(field) is not None}))


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """The stock lines' items (goods or services) and the money lines' accounts (whose they are);
    unposting needs nothing."""
    if old is not None and old.posted and not new.posted:
        return {}
    section = new.header.get("section")
    if section == STOCK and item_ids(new.lines):
        return {"items": items_need(new.lines)}
    if section == MONEY:
        return {kind: Many(kind, ids, ("organization_id", "name"))
                for kind in (CASH_DESKS, BANK_ACCOUNTS) if (ids := _accounts(new.lines, accounts.FIELDS[kind]))}
    return {}


def account_of(ln: Mapping[str, Any]) -> tuple[str, int] | None:
    for kind, field in accounts.FIELDS.items():
        if ln.get(field) is not None:
            return kind, ln[field]
    return None


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """Only goods are stock; a money account is the document's organization's; a posted document
    has lines. Every problem at once."""
    if old is not None and old.posted and not new.posted:
        return []
    section = new.header.get("section")
    errors: list = []
    if section == STOCK:
        errors += service_lines(new.lines, inputs.get("items") or {}, "ввести остатком")
    if section == MONEY:
        organization = new.header.get("organization_id")
        problems = {}
        for i, ln in enumerate(new.lines):
            account = account_of(ln)
            found = (inputs.get(account[0]) or {}).get(account[1]) if account else None
            if found and found.get("organization_id") != organization:
                what = accounts.WHAT[account[0]][0]
                problems[f"lines[{i}].{accounts.FIELDS[account[0]]}"] = (
                    f"{what} «{found.get('name')}» принадлежит другой организации")
        if problems:
            errors.append(ValidationError("Касса или банковский счёт принадлежит другой организации",
                                          code="money_account_of_another_organization",
                                          details={"fields": problems}))
    if new.posted and not new.lines:
        errors.append(ValidationError("Ввод остатков не проведён: в нём нет строк", code="empty_opening_balances",
                                      details={"fields": {"lines": "добавьте остатки или заполните их из Excel"}}))
    return errors


def _debt(register, doc: Doc, amount: Decimal, **key: Any):
    """A debt as a receipt (owed) or, negative, an expense (an advance)."""
    if amount > 0:
        return register.receipt(doc.date, organization_id=doc.organization_id, amount=amount, **key)
    return register.expense(doc.date, organization_id=doc.organization_id, amount=-amount, **key)


def movements(doc: Doc, _inputs) -> dict:
    section = doc.header.get("section")
    if section == STOCK:
        return {stock: [stock.receipt(doc.date, warehouse_id=ln["warehouse_id"], nomenclature_id=ln["nomenclature_id"],
                                      quantity=ln["quantity"], cost=ln["balance"]) for ln in doc.lines]}
    if section == CLIENTS:
        return {settlements: [_debt(settlements, doc, ln["balance"], client_id=ln["client_id"])
                              for ln in doc.lines if ln["balance"]]}
    if section == SUPPLIERS:
        return {supplier_settlements: [
            _debt(supplier_settlements, doc, ln["balance"], counterparty_id=ln["supplier_id"])
            for ln in doc.lines if ln["balance"]]}
    return {money: [money.receipt(doc.date, **accounts.key(doc.organization_id, account), amount=ln["balance"],
                                  cash_flow_item_id=None)
                    for ln in doc.lines if ln["balance"] and (account := account_of(ln)) is not None]}


opening_balances = DocumentKind(
    "opening-balances", "Ввод начальных остатков",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("section", "enum", "Раздел учёта", choices=SECTIONS, default=STOCK, required=True, max_length=20),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("warehouse_id", "ref", "Склад", ref="warehouses", extra=_shown(STOCK)),
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature",
              extra={**_shown(STOCK), "picker_fixed": {"kind": "goods"}}),
        Field("quantity", "quantity", "Количество", extra=_shown(STOCK)),
        Field("client_id", "ref", "Клиент", ref="clients", extra=_shown(CLIENTS)),
        Field("supplier_id", "ref", "Поставщик", ref="clients", extra=_shown(SUPPLIERS)),
        Field("cash_desk_id", "ref", "Касса", ref=CASH_DESKS,
              extra={**_shown(MONEY), "picker_filters": ("organization_id",)}),
        Field("bank_account_id", "ref", "Банковский счёт", ref=BANK_ACCOUNTS,
              extra={**_shown(MONEY), "picker_filters": ("organization_id",)}),
        Field("balance", "money", "Сумма", required=True),
    ),
    registers=(stock, settlements, supplier_settlements, money), movements=movements, prepare=prepare,
    needs=needs, rules=rules,
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
    lines_title="Остатки",
)
