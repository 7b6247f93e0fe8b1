"""Money accounts of the money documents: a cash desk (``cash-desks``) or a bank account
(``bank-accounts``) of the document's organization, the key of the register «Денежные средства».

A document names the account by two references, ``cash_desk_id`` and ``bank_account_id``
(a pair with a suffix for the receiving side of a transfer): a picker points at one catalog.
Documents with a payment method (наличные / безналичные) take the account that goes with it;
a transfer takes whichever one of the pair is filled. Everything here is pure: the needs are
data, the checks and the shortage are values computed from what the engine read.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from erp.catalogs.cash_flow_items import FROM_CUSTOMERS, OTHER_EXPENSES, TO_SUPPLIERS
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Balances, Lookup, Predefined
from erp.platform.shortfalls import BalanceShortage, Shortfall
from erp.registers.money import BANK_ACCOUNTS, CASH_DESKS, money

__all__ = ("BANK_ACCOUNTS", "CASH_DESKS", "FROM_CUSTOMERS", "OTHER_EXPENSES", "TO_SUPPLIERS")

# The field of each kind of account and the method of payment that goes with it.
FIELDS = {CASH_DESKS: "cash_desk_id", BANK_ACCOUNTS: "bank_account_id"}
METHOD_KIND = {"cash": CASH_DESKS, "bank": BANK_ACCOUNTS}
WHAT = {CASH_DESKS: ("касса", "кассу"), BANK_ACCOUNTS: ("банковский счёт", "банковский счёт")}

Account = tuple[str, int]  # (kind, id)


def account_fields(suffix: str = "", title: str = "") -> tuple[Field, Field]:
    """The pair of references naming a money account (filtered by the document's organization in the picker)."""
    picker = {"picker_filters": ("organization_id",)}
    return (Field(field_of(CASH_DESKS, suffix), "ref", f"Касса{title}", ref=CASH_DESKS, extra=picker),
            Field(field_of(BANK_ACCOUNTS, suffix), "ref", f"Банковский счёт{title}", ref=BANK_ACCOUNTS,
                  extra=picker))


def field_of(kind: str, suffix: str = "") -> str:
    """``cash_desk_id``, or with a suffix ``cash_desk_to_id``."""
    return FIELDS[kind].replace("_id", f"{suffix}_id")


def by_method(header: Mapping[str, Any], suffix: str = "") -> tuple[dict, Account | None]:
    """The account a document's method (``method`` + ``suffix``) names: the cash desk for cash, the
    bank account for bank. Returns the header without the other reference (a bank payment names no desk)."""
    kind = METHOD_KIND.get(header.get(f"method{suffix}") or "")
    out = dict(header)
    for other_kind in FIELDS:
        if kind is not None and other_kind != kind:
            out[field_of(other_kind, suffix)] = None
    account_id = out.get(field_of(kind, suffix)) if kind else None
    return out, ((kind, account_id) if kind and account_id is not None else None)


def lookup(name: str, account: Account | None) -> dict[str, Any]:
    """The need reading the account's organization and name (nothing when there is no account)."""
    return {name: Lookup(account[0], account[1], ("organization_id", "name"))} if account else {}


def balance_need(organization: int | None, account: Account | None) -> dict[str, Any]:
    """The need reading the account's money now, without this document's own movements."""
    if organization is None or account is None:
        return {}
    return {"money": Balances(money.name, ((organization, *account),))}


def item_need(default: str) -> dict[str, Any]:
    """The predefined cash-flow item a document takes when the user names none."""
    return {"default_item": Predefined("cash-flow-items", default)}


def default_item(header: dict, inputs) -> dict:
    """``header`` with its cash-flow item, the predefined one when none is named."""
    if header.get("cash_flow_item_id") is None and (inputs.get("default_item") or {}).get("id") is not None:
        header = {**header, "cash_flow_item_id": inputs["default_item"]["id"]}
    return header


def required(account: Account | None, method: str | None, suffix: str = "") -> list[ValidationError]:
    """An account must be named: «выберите кассу» under the field that goes with the method."""
    if account is not None or method not in METHOD_KIND:
        return []  # no method: the field's own check names it
    kind = METHOD_KIND[method]
    return [ValidationError("Не указан банковский счёт" if kind == BANK_ACCOUNTS else "Не указана касса",
                            code="money_account_required",
                            details={"fields": {field_of(kind, suffix): f"выберите {WHAT[kind][1]}"}})]


def same_organization(found: Mapping[str, Any] | None, account: Account | None, organization: int | None,
                      suffix: str = "") -> list[ValidationError]:
    """The account belongs to the document's organization."""
    if not found or account is None or organization is None or found.get("organization_id") == organization:
        return []
    what = WHAT[account[0]][0]
    message = f"{what} «{found.get('name')}» принадлежит другой организации"
    return [ValidationError(message[0].upper() + message[1:], code="money_account_of_another_organization",
                            details={"fields": {field_of(account[0], suffix): message}})]


def account_rules(header: Mapping[str, Any], inputs, suffix: str = "", need: str = "account") -> list:
    """Both rules for one side: named, and the organization's."""
    _header, account = by_method(header, suffix)
    return [*required(account, header.get(f"method{suffix}"), suffix),
            *same_organization(inputs.get(need), account, header.get("organization_id"), suffix)]


def positive(amount: Decimal) -> str | None:
    """The check of an amount field: a 422 naming it."""
    return None if amount > 0 else "сумма должна быть больше нуля"


def key(organization: int, account: Account) -> dict[str, Any]:
    return {"organization_id": organization, "account_kind": account[0], "account_id": account[1]}


def refuse_shortage(organization: int, account: Account, found: Mapping[str, Any] | None, need: Decimal,
                    inputs) -> None:
    """The platform's shortage (409 ``balance_shortage``, the same details as its balance control) when
    the account holds less than ``need``: «Денежные средства (… «Основная касса»), Сумма: доступно 100.00,
    требуется 150.00». The engine's check in the write statement stays the guard when two postings race."""
    have = ((inputs.get("money") or {}).get((organization, *account)) or {}).get("amount") or Decimal("0.00")
    if need <= have:
        return
    labels = {f.name: f.title for f in (*money.dimensions, *money.resources)}
    names = {"account_kind": WHAT[account[0]][0]}
    if found and found.get("name"):
        names["account_id"] = found["name"]
    raise BalanceShortage([Shortfall(register=money.name, title=money.title, resource="amount",
                                     dimensions=key(organization, account), available=have, required=need,
                                     names=names, labels=labels)])
