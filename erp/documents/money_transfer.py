"""Перемещение денежных средств: money moves between two accounts of one organization — cash handed
in to the bank, cash drawn from it, from one desk or bank account to another.

Each side is a cash desk or a bank account, as its method says («Списать из»: наличные — a desk,
безналичные — a bank account; «Зачислить на» likewise). Posting takes the amount from the source and
puts it into the target, under the cash-flow item the user names (none by default: the organization's
money does not change). The two accounts differ and both are the organization's; the source never
goes negative (409 ``balance_shortage`` naming it, read without this transfer's own movements).
Unposting takes the money back from the target, under the engine's balance control.
"""

from erp.platform.document import Doc, DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.registers.money import money

from . import money_accounts as accounts

TO = "_to"  # the receiving side's suffix: method_to, cash_desk_to_id, bank_account_to_id


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    header, _source = accounts.by_method(header)
    header, _target = accounts.by_method(header, TO)
    return header, lines


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    if old is not None and old.posted and not new.posted:
        return {}
    header = new.header
    source, target = accounts.by_method(header)[1], accounts.by_method(header, TO)[1]
    out = {**accounts.lookup("account", source), **accounts.lookup("account_to", target)}
    if new.posted:
        out.update(accounts.balance_need(header.get("organization_id"), source))
    return out


def rules(old: Doc | None, new: Doc, inputs) -> list:
    if old is not None and old.posted and not new.posted:
        return []
    header = new.header
    errors = [*accounts.account_rules(header, inputs), *accounts.account_rules(header, inputs, TO, "account_to")]
    source, target = accounts.by_method(header)[1], accounts.by_method(header, TO)[1]
    if source is not None and source == target:
        errors.append(ValidationError(
            "Счёт получателя совпадает со счётом отправителя", code="same_money_account",
            details={"fields": {accounts.field_of(target[0], TO): "деньги перемещают на другой счёт: выберите другую"
                                                                   " кассу или банковский счёт"}}))
    return errors


def movements(doc: Doc, inputs) -> dict:
    header = doc.header
    source, target = accounts.by_method(header)[1], accounts.by_method(header, TO)[1]
    if source is None or target is None:  # the rules refuse it first
        raise (accounts.required(source, header.get("method")) or
               accounts.required(target, header.get(f"method{TO}"), TO))[0]
    accounts.refuse_shortage(doc.organization_id, source, inputs.get("account"), doc.amount, inputs)
    item = header.get("cash_flow_item_id")
    return {money: [money.expense(doc.date, **accounts.key(doc.organization_id, source), amount=doc.amount,
                                  cash_flow_item_id=item),
                    money.receipt(doc.date, **accounts.key(doc.organization_id, target), amount=doc.amount,
                                  cash_flow_item_id=item)]}


money_transfers = DocumentKind(
    "money-transfers", "Перемещение денежных средств",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("amount", "money", "Сумма", required=True, check=accounts.positive),
        Field("method", "enum", "Списать из", choices=("cash", "bank"), default="cash", required=True),
        *accounts.account_fields(),
        Field("method_to", "enum", "Зачислить на", choices=("cash", "bank"), default="bank", required=True),
        *accounts.account_fields(TO, " получателя"),
        Field("cash_flow_item_id", "ref", "Статья движения денежных средств", ref="cash-flow-items"),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    registers=(money,), movements=movements, prepare=prepare, needs=needs, rules=rules,
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
)
