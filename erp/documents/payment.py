"""Поступление оплаты: a client pays, in cash or by bank, optionally for an invoice.

The money comes into a cash desk (cash) or a bank account (bank) of the organization,
under a cash-flow item («Оплата от покупателей» unless the user names another): posting
lowers the client's debt and raises the money in that account.

Entered on the basis of an invoice it takes the invoice's client, organization, bank
account and the amount still due; an invoice paid in full has nothing left to pay."""

from erp.documents.invoice import STATUS, UNPAID
from erp.platform.document import BasedOn, Doc, DocumentKind, Index
from erp.platform.errors import Conflict, ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Lookup
from erp.registers.invoice_payments import invoice_payments
from erp.registers.money import money
from erp.registers.settlements import settlements

from . import money_accounts as accounts


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    if header.get("amount") is None or header["amount"] <= 0:
        raise ValidationError.field("amount", "сумма оплаты должна быть больше нуля")
    header, _account = accounts.by_method(header)
    return header, lines


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    if old is not None and old.posted and not new.posted:
        return {}  # unposting takes back what the movements wrote and asks nothing
    invoice_id = new.header.get("invoice_id")
    out = {"invoice": Lookup("invoices", invoice_id, ("organization_id", "client_id"))} if invoice_id else {}
    return {**out, **accounts.lookup("account", accounts.by_method(new.header)[1]),
            **accounts.item_need(accounts.FROM_CUSTOMERS)}


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    """The cash-flow item «Оплата от покупателей» when the user names none."""
    return accounts.default_item(header, inputs), lines


def rules(old: Doc | None, new: Doc, inputs) -> list:
    if old is not None and old.posted and not new.posted:
        return []
    errors: list = []
    invoice = inputs.get("invoice")
    if invoice and (invoice["client_id"], invoice["organization_id"]) != \
            (new.header.get("client_id"), new.header.get("organization_id")):
        errors.append(ValidationError.field("invoice_id", "счёт выставлен другому клиенту или другой организацией"))
    return errors + accounts.account_rules(new.header, inputs)


def movements(doc: Doc, _inputs) -> dict:
    out = {settlements: [settlements.expense(doc.date, organization_id=doc.organization_id,
                                             client_id=doc.client_id, amount=doc.amount)]}
    if doc.invoice_id:
        out[invoice_payments] = [invoice_payments.expense(doc.date, invoice_id=doc.invoice_id,
                                                          amount=doc.amount)]
    account = accounts.by_method(doc.header)[1]
    if account is not None:  # a payment posted before the money register may name none (see the migration)
        out[money] = [money.receipt(doc.date, **accounts.key(doc.organization_id, account), amount=doc.amount,
                                    cash_flow_item_id=doc.header.get("cash_flow_item_id"))]
    return out


def _from_invoice(base: Doc, inputs) -> dict:
    """Ввод на основании счёта: what is still due on it, by bank (an invoice names a bank account)."""
    due = STATUS.compute([base], inputs)[base.id]["amount_due"]
    if due <= 0:
        raise Conflict(f"Счёт № {base.number.lstrip('0') or base.number} оплачен полностью: оплачивать по нему"
                       " нечего", code="invoice_paid", details={"invoice_id": base.id})
    return {"header": {"organization_id": base.organization_id, "client_id": base.client_id,
                       "invoice_id": base.id, "amount": due, "method": "bank",
                       "bank_account_id": base.header.get("bank_account_id")}}


payments = DocumentKind(
    "payments", "Поступление оплаты",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("client_id", "ref", "Клиент", ref="clients", required=True),
        Field("amount", "money", "Сумма", required=True),
        Field("method", "enum", "Способ оплаты", choices=("cash", "bank"), default="bank", required=True),
        *accounts.account_fields(),
        Field("cash_flow_item_id", "ref", "Статья движения денежных средств", ref="cash-flow-items"),
        # The picker offers the chosen client's invoices that still have something due.
        Field("invoice_id", "ref", "Счёт", ref="invoices",
              extra={"picker_filters": ("client_id",), "picker_due": UNPAID}),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    registers=(settlements, invoice_payments, money), movements=movements, prepare=prepare, needs=needs, fill=fill,
    rules=rules,
    based_on=(BasedOn("invoices", _from_invoice, lambda base: STATUS.needs([base]),
                      offered=lambda doc, d: doc.posted and d.get("amount_due", 0) > 0),),
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
    indexes=(Index("doc_payments_client_idx", ("client_id", "-date", "-id")),),  # the client card
)
