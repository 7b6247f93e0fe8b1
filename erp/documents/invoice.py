"""Счёт на оплату: what the client is asked to pay. Posting puts the amount due
into invoice payments; the status (unpaid, partially paid, paid) is derived
from what is still due."""

from decimal import Decimal

from erp.catalogs.nomenclature import AMOCRM_SERVICE
from erp.platform.document import BasedOn, Derived, Doc, DocumentKind, Index
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Balances, First, Later, Lookup, Predefined
from erp.registers.invoice_payments import invoice_payments
from erp.services.pricing import compute_line, vat_of

VAT_RATES = ("20", "10", "0", "none")
# Which invoices still have something to pay: posted, with a balance due in this register, by this dimension.
UNPAID = ("invoice-payments", "invoice_id")


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    lines = [compute_line(line, i) for i, line in enumerate(lines)]
    return header, lines


def needs(_old: Doc | None, new: Doc, _settings) -> dict:
    return {"organization": Lookup("organizations", new.header.get("organization_id"), ("vat_rate",)),
            "client": Lookup("clients", new.header.get("client_id"), ("organization_id",)),
            "account": Lookup("bank-accounts", new.header.get("bank_account_id"), ("organization_id",))}


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    """VAT at the organization's rate unless a line says otherwise, and the totals."""
    organization = inputs["organization"]
    if organization is None:
        raise ValidationError.field("organization_id", "организация не найдена")
    for line in lines:
        line["vat_rate"] = line.get("vat_rate") or organization["vat_rate"] or "none"
        line["vat_amount"] = vat_of(line["amount"], line["vat_rate"])
    header["amount_total"] = sum((ln["amount"] for ln in lines), Decimal("0.00"))
    header["vat_total"] = sum((ln["vat_amount"] for ln in lines), Decimal("0.00"))
    return header, lines


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """On every path (a new invoice, a saved one, a draft posted later): the client and the bank
    account belong to the invoice's organization, and a posted invoice asks for something."""
    if old is not None and old.posted and not new.posted:
        return []  # unposting asks nothing of the invoice
    org = new.header.get("organization_id")
    client_org = (inputs["client"] or {}).get("organization_id")
    account_org = (inputs["account"] or {}).get("organization_id")
    errors: list = []
    if client_org and client_org != org:
        errors.append(ValidationError.field("client_id", "клиент обслуживается другой организацией"))
    if account_org is not None and account_org != org:
        errors.append(ValidationError.field("bank_account_id", "банковский счёт принадлежит другой организации"))
    if new.posted and (not new.lines or (new.header.get("amount_total") or 0) <= 0):
        errors.append(ValidationError("Счёт не проведён: в нём нет строк или его сумма равна нулю",
                                      code="empty_invoice",
                                      details={"fields": {"lines": "добавьте строки с ненулевой суммой"}}))
    return errors


def movements(doc: Doc, _inputs) -> dict:
    return {invoice_payments: [invoice_payments.receipt(doc.date, invoice_id=doc.id, amount=doc.amount_total)]}


def _due_needs(docs) -> dict:
    return {"due": Balances("invoice-payments", tuple((d.id,) for d in docs if d.posted))}


def _status(docs, inputs) -> dict[int, dict]:
    """Status and amount due, from the invoice payments register."""
    due = {key[0]: value["amount"] for key, value in inputs["due"].items()}
    out = {}
    for doc in docs:
        total = doc.amount_total or Decimal("0.00")
        left = due.get(doc.id, Decimal("0.00")) if doc.posted else total
        status = "paid" if left <= 0 and total > 0 else ("unpaid" if left >= total else "partially_paid")
        out[doc.id] = {"status": status, "amount_due": max(left, Decimal("0.00"))}
    return out


STATUS = Derived(
    fields=(Field("status", "enum", "Статус оплаты", choices=("unpaid", "partially_paid", "paid")),
            Field("amount_due", "money", "Осталось оплатить")),
    needs=_due_needs, compute=_status)


def _sales_doc_needs(base: Doc) -> dict:
    org = base.header.get("organization_id")

    def account(found) -> dict:
        organization = found.get("organization")
        if organization is None:
            return {}
        return {"account": First("bank-accounts", where={"organization_id": organization["id"]},
                                 order=("-is_default",))}

    out = {"organization": First("organizations", where={"id": org} if org else {}),
           "amocrm": Predefined("nomenclature", AMOCRM_SERVICE, ("price",)), "later": Later(account)}
    if base.based_on and base.based_on[0] == "requests":
        out["request"] = Lookup("requests", base.based_on[1], ("amocrm_lead_id",))
    return out


def _from_sales_doc(base: Doc, inputs) -> dict:
    """Ввод на основании заявки или оказания услуг: the client, the lines (an empty
    request gives "Номенклатура AmoCRM" at its price, as for a rendering) and the
    amoCRM lead (a rendering's comes from its request); the organization is the
    base's or the first one, the bank account its default one."""
    lines = [{"nomenclature_id": ln["nomenclature_id"], "quantity": ln["quantity"], "price": ln["price"],
              "discount_percent": ln.get("discount_percent"), "discount_amount": ln.get("discount_amount")}
             for ln in base.lines]
    amocrm = inputs["amocrm"] or {}
    if not lines and base.kind == "requests":
        lines = [{"nomenclature_id": amocrm.get("id"), "quantity": Decimal("1.000"), "price": amocrm.get("price")}]
    request = inputs.get("request") or {}
    return {"header": {"organization_id": (inputs["organization"] or {}).get("id"),
                       "bank_account_id": (inputs["later"].get("account") or {}).get("id"),
                       "client_id": base.client_id,
                       "amocrm_lead_id": base.header.get("amocrm_lead_id") or request.get("amocrm_lead_id")},
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
    registers=(invoice_payments,), movements=movements, prepare=prepare, needs=needs, fill=fill, rules=rules,
    derived=STATUS,
    based_on=(BasedOn("requests", _from_sales_doc, _sales_doc_needs),
              BasedOn("service-renderings", _from_sales_doc, _sales_doc_needs)),
    prefix_from=("organization_id", "organizations", "number_prefix"), organization_field="organization_id",
    indexes=(Index("doc_invoices_client_idx", ("client_id", "-date", "-id")),),  # the client card
)
