"""Поступление оплаты: a client pays, in cash or by bank, optionally for an invoice."""

from erp.platform.document import Doc, DocumentKind, PostingContext
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.registers.invoice_payments import invoice_payments
from erp.registers.settlements import settlements


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    if header.get("amount") is None or header["amount"] <= 0:
        raise ValidationError.field("amount", "сумма оплаты должна быть больше нуля")
    return header, lines


async def complete(conn, header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    if header.get("invoice_id"):
        row = await conn.fetchrow("SELECT organization_id, client_id FROM doc_invoices WHERE id = $1",
                                  header["invoice_id"])
        if row and (row["client_id"], row["organization_id"]) != (header["client_id"], header["organization_id"]):
            raise ValidationError.field("invoice_id", "счёт выставлен другому клиенту или другой организацией")
    return header, lines


def movements(doc: Doc, _ctx: PostingContext) -> dict:
    out = {settlements: [settlements.expense(doc.date, organization_id=doc.organization_id,
                                             client_id=doc.client_id, amount=doc.amount)]}
    if doc.invoice_id:
        out[invoice_payments] = [invoice_payments.expense(doc.date, invoice_id=doc.invoice_id,
                                                          amount=doc.amount)]
    return out


payments = DocumentKind(
    "payments", "Поступление оплаты",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("client_id", "ref", "Клиент", ref="clients", required=True),
        Field("amount", "money", "Сумма", required=True),
        Field("method", "enum", "Способ оплаты", choices=("cash", "bank"), default="bank"),
        Field("invoice_id", "ref", "Счёт", ref="invoices"),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    registers=(settlements, invoice_payments), movements=movements, prepare=prepare, complete=complete,
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
)
