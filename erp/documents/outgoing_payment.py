"""Списание денежных средств / Расходный кассовый ордер: money leaves a cash desk (cash) or a bank
account (bank) of the organization for a recipient — a supplier (suppliers are counterparties of the
clients catalog, as the GoodsReceipt's supplier is) or a client.

The operation says what the money is for, as 1C's «Вид операции»: paying a supplier (optionally for a
GoodsReceipt, which must be the recipient's), returning money to a client (the client's debt grows back
by it) or another expense. The cash-flow item follows the operation unless the user names one
(«Оплата поставщикам», «Оплата от покупателей» for a return, «Прочие расходы»).

Posting lowers the money of the account and, paying a supplier, the debt to the supplier
(«Расчёты с поставщиками»; paid before the goods, an advance). When the money would go negative the
posting is refused with the platform's shortage (409 ``balance_shortage``, naming the desk or
account), read without this document's own movements, so an edit from 100 to 150 needs only 50 more.
"""

from erp.platform.document import Doc, DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Lookup
from erp.registers.money import money
from erp.registers.settlements import settlements
from erp.registers.supplier_settlements import supplier_settlements

from . import money_accounts as accounts

TO_SUPPLIER, TO_CLIENT, OTHER = "to_supplier", "to_client", "other_expense"
DEFAULT_ITEM = {TO_SUPPLIER: accounts.TO_SUPPLIERS, TO_CLIENT: accounts.FROM_CUSTOMERS,
                OTHER: accounts.OTHER_EXPENSES}


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    header, _account = accounts.by_method(header)
    return header, lines


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """The account (its organization and name), its money now without this document's own movements,
    the default cash-flow item of the operation and the GoodsReceipt's supplier. Unposting needs nothing:
    it only gives money back."""
    if old is not None and old.posted and not new.posted:
        return {}
    header = new.header
    account = accounts.by_method(header)[1]
    out = {**accounts.lookup("account", account),
           **accounts.item_need(DEFAULT_ITEM.get(header.get("operation") or "", accounts.OTHER_EXPENSES))}
    if new.posted:
        out.update(accounts.balance_need(header.get("organization_id"), account))
    if header.get("goods_receipt_id"):
        out["receipt"] = Lookup("goods-receipts", header["goods_receipt_id"],
                                ("supplier_id", "organization_id", "number"))
    return out


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    """The operation's cash-flow item when the user names none."""
    return accounts.default_item(header, inputs), lines


def rules(old: Doc | None, new: Doc, inputs) -> list:
    if old is not None and old.posted and not new.posted:
        return []
    header = new.header
    errors = accounts.account_rules(header, inputs)
    receipt = inputs.get("receipt")
    if receipt and receipt.get("supplier_id") != header.get("recipient_id"):
        number = (receipt.get("number") or "").lstrip("0")
        errors.append(ValidationError(
            f"Поступление товаров № {number} получено от другого поставщика", code="receipt_of_another_supplier",
            details={"fields": {"goods_receipt_id": "поступление товаров получено от другого поставщика:"
                                                    " выберите поступление получателя"}}))
    if receipt and receipt.get("organization_id") not in (None, header.get("organization_id")):
        errors.append(ValidationError.fields({"goods_receipt_id": "поступление товаров получено другой организацией"}))
    if receipt and header.get("operation") != TO_SUPPLIER:
        errors.append(ValidationError.fields({"goods_receipt_id": "поступление товаров указывают только при оплате"
                                                                  " поставщику"}))
    return errors


def movements(doc: Doc, inputs) -> dict:
    account = accounts.by_method(doc.header)[1]
    if account is None:  # the rules refuse it first
        raise accounts.required(account, doc.header.get("method"))[0]
    accounts.refuse_shortage(doc.organization_id, account, inputs.get("account"), doc.amount, inputs)
    out = {money: [money.expense(doc.date, **accounts.key(doc.organization_id, account), amount=doc.amount,
                                 cash_flow_item_id=doc.header.get("cash_flow_item_id"))]}
    if doc.header.get("operation") == TO_SUPPLIER:  # the organization owes the supplier that much less
        out[supplier_settlements] = [supplier_settlements.expense(
            doc.date, organization_id=doc.organization_id, counterparty_id=doc.recipient_id, amount=doc.amount)]
    if doc.header.get("operation") == TO_CLIENT:  # money returned: the client owes it back (or has it no more)
        out[settlements] = [settlements.receipt(doc.date, organization_id=doc.organization_id,
                                                client_id=doc.recipient_id, amount=doc.amount)]
    return out


outgoing_payments = DocumentKind(
    "outgoing-payments", "Списание денежных средств",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("recipient_id", "ref", "Получатель", ref="clients", required=True),
        Field("amount", "money", "Сумма", required=True, check=accounts.positive),
        Field("operation", "enum", "Вид операции", choices=(TO_SUPPLIER, TO_CLIENT, OTHER), default=TO_SUPPLIER,
              required=True, max_length=20),
        Field("method", "enum", "Способ оплаты", choices=("cash", "bank"), default="bank", required=True),
        *accounts.account_fields(),
        Field("cash_flow_item_id", "ref", "Статья движения денежных средств", ref="cash-flow-items"),
        Field("purpose", "str", "Назначение платежа", max_length=500),
        Field("goods_receipt_id", "ref", "Поступление товаров", ref="goods-receipts"),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    registers=(money, supplier_settlements, settlements), movements=movements, prepare=prepare, needs=needs,
    fill=fill, rules=rules,
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
)
