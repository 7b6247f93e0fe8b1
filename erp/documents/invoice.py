"""Счёт на оплату: what the client is asked to pay. Posting puts the amount due
into invoice payments; the status (unpaid, partially paid, paid) is derived
from what is still due."""

from decimal import Decimal

from erp.catalogs.nomenclature import AMOCRM_SERVICE
from erp.platform.document import BasedOn, Doc, DocumentKind, PostingContext
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.registers.invoice_payments import invoice_payments
from erp.services.pricing import compute_line, vat_of

VAT_RATES = ("20", "10", "0", "none")
# Which invoices still have something to pay (posted, with an amount due), as a condition on doc_invoices.
UNPAID = "posted AND id IN (SELECT invoice_id FROM reg_invoice_payments_balance WHERE amount > 0)"


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    lines = [compute_line(line, i) for i, line in enumerate(lines)]
    return header, lines


async def complete(conn, header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    """VAT at the organization's rate unless a line says otherwise, and the totals."""
    row = await conn.fetchrow("SELECT vat_rate FROM cat_organizations WHERE id = $1", header["organization_id"])
    if row is None:
        raise ValidationError.field("organization_id", "организация не найдена")
    for line in lines:
        line["vat_rate"] = line.get("vat_rate") or row["vat_rate"] or "none"
        line["vat_amount"] = vat_of(line["amount"], line["vat_rate"])
    header["amount_total"] = sum((ln["amount"] for ln in lines), Decimal("0.00"))
    header["vat_total"] = sum((ln["vat_amount"] for ln in lines), Decimal("0.00"))
    return header, lines


async def check(conn, old: Doc | None, new: Doc, _settings) -> None:
    """On every path (a new invoice, a saved one, a draft posted later): the client and the bank
    account belong to the invoice's organization, and a posted invoice asks for something."""
    if old is not None and old.posted and not new.posted:
        return  # unposting asks nothing of the invoice
    org = new.header.get("organization_id")
    row = await conn.fetchrow(
        "SELECT (SELECT organization_id FROM cat_clients WHERE id = $1) AS client_org,"
        " (SELECT organization_id FROM cat_bank_accounts WHERE id = $2) AS account_org",
        new.header.get("client_id"), new.header.get("bank_account_id"))
    if row["client_org"] and row["client_org"] != org:
        raise ValidationError.field("client_id", "клиент обслуживается другой организацией")
    if row["account_org"] is not None and row["account_org"] != org:
        raise ValidationError.field("bank_account_id", "банковский счёт принадлежит другой организации")
    if new.posted and (not new.lines or (new.header.get("amount_total") or 0) <= 0):
        raise ValidationError("Счёт не проведён: в нём нет строк или его сумма равна нулю", code="empty_invoice",
                              details={"fields": {"lines": "добавьте строки с ненулевой суммой"}})


def movements(doc: Doc, _ctx: PostingContext) -> dict:
    return {invoice_payments: [invoice_payments.receipt(doc.date, invoice_id=doc.id, amount=doc.amount_total)]}


async def derived(conn, docs: list[Doc]) -> dict[int, dict]:
    """Status and amount due, from the invoice payments register."""
    ids = [d.id for d in docs]
    rows = await conn.fetch("SELECT invoice_id, amount FROM reg_invoice_payments_balance"
                            " WHERE invoice_id = ANY($1::bigint[])", ids)
    due = {r["invoice_id"]: r["amount"] for r in rows}
    out = {}
    for doc in docs:
        total = doc.amount_total or Decimal("0.00")
        left = due.get(doc.id, Decimal("0.00")) if doc.posted else total
        status = "paid" if left <= 0 and total > 0 else ("unpaid" if left >= total else "partially_paid")
        out[doc.id] = {"status": status, "amount_due": max(left, Decimal("0.00"))}
    return out


async def _from_sales_doc(conn, base: Doc) -> dict:
    """Ввод на основании заявки или оказания услуг: the client, the lines (an empty
    request gives "Номенклатура AmoCRM" at its price, as for a rendering) and the
    amoCRM lead (a rendering's comes from its request); the organization is the
    base's or the first one, the bank account its default one."""
    row = await conn.fetchrow(
        "WITH o AS (SELECT id FROM cat_organizations WHERE NOT deletion_mark AND ($1::bigint IS NULL OR id = $1)"
        "           ORDER BY id LIMIT 1)"
        " SELECT (SELECT id FROM o) AS organization_id,"
        " (SELECT b.id FROM cat_bank_accounts b JOIN o ON o.id = b.organization_id WHERE NOT b.deletion_mark"
        "   ORDER BY b.is_default DESC, b.id LIMIT 1) AS bank_account_id,"
        " (SELECT amocrm_lead_id FROM doc_requests WHERE id = $2) AS lead,"
        " (SELECT id FROM cat_nomenclature WHERE predefined = $3) AS amocrm_id,"
        " (SELECT price FROM cat_nomenclature WHERE predefined = $3) AS amocrm_price",
        base.header.get("organization_id"),
        base.based_on[1] if base.based_on and base.based_on[0] == "requests" else None, AMOCRM_SERVICE)
    lines = [{"nomenclature_id": ln["nomenclature_id"], "quantity": ln["quantity"], "price": ln["price"],
              "discount_percent": ln.get("discount_percent"), "discount_amount": ln.get("discount_amount")}
             for ln in base.lines]
    if not lines and base.kind == "requests":
        lines = [{"nomenclature_id": row["amocrm_id"], "quantity": Decimal("1.000"), "price": row["amocrm_price"]}]
    return {"header": {"organization_id": row["organization_id"], "bank_account_id": row["bank_account_id"],
                       "client_id": base.client_id,
                       "amocrm_lead_id": base.header.get("amocrm_lead_id") or row["lead"]},
            "lines": lines}


invoices = DocumentKind(
    "invoices", "Счёт на оплату",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True),
        Field("bank_account_id", "ref", "Банковский счёт", ref="bank-accounts"),
        Field("client_id", "ref", "Клиент", ref="clients", required=True),
        Field("due_date", "date", "Оплатить до"),
        Field("amocrm_lead_id", "int", "Сделка amoCRM", big=True,
              check=lambda v: None if v > 0 else "номер сделки — положительное число"),
        Field("amount_total", "money", "Сумма", read_only=True),
        Field("vat_total", "money", "НДС", read_only=True),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
        Field("quantity", "quantity", "Количество", required=True),
        Field("price", "money", "Цена", required=True),
        Field("discount_percent", "percent", "Скидка, %"),
        Field("discount_amount", "money", "Скидка"),
        Field("vat_rate", "enum", "Ставка НДС", choices=VAT_RATES),
        Field("vat_amount", "money", "НДС"),
        Field("amount", "money", "Сумма"),
    ),
    registers=(invoice_payments,), movements=movements, prepare=prepare, complete=complete, check=check,
    derived=derived,
    derived_fields=(Field("status", "enum", "Статус оплаты", choices=("unpaid", "partially_paid", "paid")),
                    Field("amount_due", "money", "Осталось оплатить")),
    based_on=(BasedOn("requests", _from_sales_doc), BasedOn("service-renderings", _from_sales_doc)),
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
)
