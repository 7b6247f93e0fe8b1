"""Кассовые ордера: the unified forms КО-1 (приходный кассовый ордер, ОКУД 0310001) for a
payment taken in cash into a cash desk, and КО-2 (расходный кассовый ордер, ОКУД 0310002) for
money paid out of one.

A cash order prints only a cash document: a payment by bank has no cash order, and asking for
one is a 422 that says so. The accounts follow the operation as 1C's standard chart has them:
cash is 50.01; a client's payment (or a refund to a client) goes against 62.01, a supplier's
payment against 60.01, another expense against 91.02. The basis is the invoice the payment is
for, the payment's purpose, or else the cash-flow item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from erp.platform.document import Doc
from erp.platform.document_store import load_many
from erp.platform.errors import NotFound, ValidationError
from erp.services.pricing import vat_of

from .formatting import money, short_date
from .forms import ORG_COLUMNS, ORG_REQUISITES, Party, PrintData, VatRow, _organization_dict, _require, print_number
from .words import amount_in_words

CASH = "50.01"
# The correspondent account of each operation: payments from clients, to suppliers, to clients, other.
CORRESPONDENT = {"payments": "62.01", "to_supplier": "60.01", "to_client": "62.01", "other_expense": "91.02"}
OKUD = {"payments": "0310001", "outgoing-payments": "0310002"}
WHAT = {"payments": "приходный кассовый ордер (КО-1)", "outgoing-payments": "расходный кассовый ордер (КО-2)"}


@dataclass(frozen=True)
class CashOrder:
    """What a cash order prints besides the organization, the number and the date."""

    okud: str
    debit: str            # the account debited: 50.01 for КО-1, the correspondent one for КО-2
    credit: str
    person: str           # «Принято от» / «Выдать»
    identity_document: str
    basis: str
    desk: str
    cashier: str
    amount: Decimal
    vat_text: str         # «В том числе»

    @property
    def rubles(self) -> str:
        return f"{int(self.amount):,}".replace(",", " ")

    @property
    def kopecks(self) -> str:
        return f"{int((self.amount * 100) % 100):02d}"

    @property
    def words(self) -> str:
        return amount_in_words(self.amount)


def _refuse(kind_title: str, number: str, what: str, reason: str) -> ValidationError:
    return ValidationError(f"{kind_title} № {number}: {reason} — {what} печатается только для наличных денег"
                           " в кассе", code="not_a_cash_document",
                           details={"fields": {"method": "кассовый ордер — только для оплаты наличными"}})


async def load(conn: asyncpg.Connection, registry, form, ids: Sequence[int], tz) -> list[PrintData]:
    """The print data of cash documents ``ids`` (payments or outgoing payments) for КО-1 or КО-2."""
    kind = registry.documents[form.kind]
    docs = {d.id: d for d in await load_many(conn, kind, ids)}
    missing = [i for i in ids if i not in docs]
    if missing:
        raise NotFound(f"Документ «{kind.title}» с id {missing[0]} не найден", code="document_not_found",
                       details={"kind": kind.name, "id": missing[0]})
    person_field = "client_id" if kind.name == "payments" else "recipient_id"

    async def rows(table: str, columns: str, field: str) -> dict:
        wanted = sorted({d.header.get(field) for d in docs.values() if d.header.get(field)})
        found = await conn.fetch(f'SELECT id, {columns} FROM "{table}" WHERE id = ANY($1::bigint[])', wanted)
        return {r["id"]: r for r in found}

    orgs = await rows("cat_organizations", ORG_COLUMNS.removeprefix("id, "), "organization_id")
    desks = await rows(registry.catalogs["cash-desks"].table, "name, responsible", "cash_desk_id")
    people = await rows(registry.catalogs["clients"].table, "name, inn, kpp, email, identity_document",
                        person_field)
    items = await rows(registry.catalogs["cash-flow-items"].table, "name", "cash_flow_item_id")
    invoices = await rows(registry.documents["invoices"].table, "number, date", "invoice_id") \
        if kind.name == "payments" else {}
    out = []
    for doc_id in ids:
        doc: Doc = docs[doc_id]
        org = orgs[doc.header["organization_id"]]
        number = print_number(doc.number, org["number_prefix"] or "")
        if doc.header.get("method") != "cash":
            raise _refuse(kind.title, number, WHAT[kind.name], "оплата безналичная, через банковский счёт")
        if not doc.header.get("cash_desk_id"):
            raise _refuse(kind.title, number, WHAT[kind.name], "не указана касса")
        _require(org, ORG_REQUISITES, f"{kind.title} № {number}: у организации «{org['name']}» не заполнены"
                 " реквизиты", "organization_requisites_missing", "organization_id")
        person = people.get(doc.header.get(person_field))
        desk = desks[doc.header["cash_desk_id"]]
        amount = doc.header["amount"]
        rate = org["vat_rate"]
        vat = _vat(amount, rate)
        correspondent = CORRESPONDENT["payments" if kind.name == "payments" else doc.header.get("operation", "")]
        cash = CashOrder(
            okud=OKUD[kind.name], debit=CASH if kind.name == "payments" else correspondent,
            credit=correspondent if kind.name == "payments" else CASH,
            person=person["name"] if person else "",
            identity_document=(person["identity_document"] or "") if person else "",
            basis=_basis(doc, invoices, items, org["number_prefix"] or "", tz), desk=desk["name"],
            cashier=desk["responsible"] or "", amount=amount, vat_text=vat.label + (
                f" {money(vat.amount)} руб." if vat.amount is not None else ""))
        out.append(PrintData(
            form=form, kind=kind.name, doc_id=doc.id, number=doc.number, print_number=number,
            date=doc.date.astimezone(tz).date(), posted=doc.posted, organization_id=org["id"],
            client_id=person["id"] if person else None, amocrm_lead_id=None,
            client_email=(person["email"] or "") if person else "",
            supplier=Party(org["full_name"] or org["name"], org["inn"], org["kpp"], org["address"]),
            buyer=Party(person["name"], person["inn"] or "", person["kpp"] or "") if person else Party(""),
            bank=None, lines=(), total=amount, vat_rows=(VatRow(vat.label, vat.amount),),
            director=org["director"] or "", accountant=org["chief_accountant"] or "",
            organization=_organization_dict(org), cash_order=cash))
    return out


@dataclass(frozen=True)
class _Vat:
    label: str
    amount: Decimal | None


def _vat(amount: Decimal, rate: str | None) -> _Vat:
    if rate in (None, "", "none"):
        return _Vat("Без налога (НДС)", None)
    return _Vat(f"НДС ({rate}%)", vat_of(amount, rate))


def _basis(doc: Doc, invoices: dict, items: dict, prefix: str, tz) -> str:
    invoice = invoices.get(doc.header.get("invoice_id"))
    if invoice is not None:
        number = invoice["number"].removeprefix(prefix).lstrip("0") or invoice["number"]
        return f"Оплата по счёту № {number} от {short_date(invoice['date'].astimezone(tz))}"
    purpose = (doc.header.get("purpose") or "").strip()
    if purpose:
        return purpose
    item = items.get(doc.header.get("cash_flow_item_id"))
    return item["name"] if item else ""
