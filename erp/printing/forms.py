"""Печатные формы: which forms exist, and what data each one prints.

A :class:`Form` names a template and the document kind it prints. Its data
are a :class:`PrintData`: plain, immutable values that the template lays out
and nothing else (the supplier's and the buyer's requisites, the recipient's
bank, the lines with nomenclature names and units, totals, VAT, the amount in
words, who signs). :func:`load` builds them for many documents at once with a
fixed number of queries, and refuses, with a message naming the field, what
would print as a broken form: a missing bank account, an organization without
requisites.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from erp.platform.document import Doc, DocumentKind
from erp.platform.document_store import load_many
from erp.platform.errors import NotFound, ValidationError
from erp.services.pricing import vat_of

from . import defaults
from .formatting import long_date, money, short_date
from .words import amount_in_words


@dataclass(frozen=True)
class Form:
    """One print form of one document kind."""

    name: str            # in URLs: /print/{name}
    title: str           # "Счёт на оплату"
    kind: str            # the document kind it prints
    template: str        # templates/{template}
    document_type: str   # the registry's "document type" (Документы 2.0 "Типы документов")
    needs_bank_account: bool = False
    count_label: str = "Всего наименований"
    source: str = "document"  # what is loaded: "document" (a document with lines), "request", "client",
    #                           "cash" (a cash order of a money document, :mod:`erp.printing.cash_orders`),
    #                           "stock" (ТОРГ-16 / ТОРГ-13 of a write-off or a transfer, :mod:`.stock_forms`)
    body: str | None = None   # the administrator's text (a template of theirs, or a changed standard one)
    layout: str = "sales"     # "sales": lines with price and amount; "inventory": the counted and book sides (ИНВ-3)


CONTRACT_TITLE = "Договор на оказание платных медицинских услуг"

FORMS: dict[str, Form] = {f.name: f for f in (
    Form("invoice", "Счёт на оплату", "invoices", "invoice.html", "Счёт", needs_bank_account=True),
    Form("act", "Акт об оказании услуг", "service-renderings", "act.html", "Акт",
         count_label="Всего оказано услуг"),
    Form("contract", CONTRACT_TITLE, "requests", "contract.html", "Договор", count_label="Всего услуг",
         source="request"),
    Form("client-contract", CONTRACT_TITLE, "clients", "contract.html", "Договор", count_label="Всего услуг",
         source="client"),
    Form("supplier-order", "Заказ поставщику", "supplier-orders", "supplier_order.html", "Заказ поставщику"),
    Form("client-return", "Возврат от клиента", "client-returns", "client_return.html", "Возврат",
         count_label="Всего возвращено"),
    Form("inv3", "Инвентаризационная опись", "inventory-counts", "inv3.html", "Инвентаризационная опись",
         count_label="Количество порядковых номеров", layout="inventory"),
    Form("torg16", "Акт о списании товаров", "stock-write-offs", "torg16.html", "Акт о списании товаров",
         source="stock"),
    Form("torg13", "Накладная на внутреннее перемещение", "stock-transfers", "torg13.html",
         "Накладная на внутреннее перемещение", source="stock"),
    Form("ko1", "Приходный кассовый ордер", "payments", "ko1.html", "Приходный кассовый ордер", source="cash"),
    Form("ko2", "Расходный кассовый ордер", "outgoing-payments", "ko2.html", "Расходный кассовый ордер",
         source="cash"),
)}

# The kinds a print template can be written for, and what each one loads.
SOURCES = {"invoices": "document", "service-renderings": "document", "requests": "request", "clients": "client"}


def forms_for(kind: str) -> list[Form]:
    """The forms that print documents of ``kind`` (the "Печать ▾" menu)."""
    return [f for f in FORMS.values() if f.kind == kind]


def offered(form_name: str, header) -> bool:
    """Whether the «Печать ▾» menu of a document with ``header`` offers the form: a cash
    order only for money taken into or paid out of a cash desk."""
    form = FORMS.get(form_name)
    if form is None or form.source != "cash":
        return True
    return header.get("method") == "cash" and bool(header.get("cash_desk_id"))


def find_form(kind: str, name: str | None) -> Form:
    """The form ``name`` of ``kind``, or its first form when ``name`` is empty."""
    available = forms_for(kind)
    if not available:
        raise NotFound(f"У документов вида «{kind}» нет печатных форм", code="no_print_forms")
    if not name:
        return available[0]
    for form in available:
        if form.name == name:
            return form
    names = ", ".join(f.name for f in available)
    raise ValidationError(f"form: у документа нет печатной формы «{name}» (есть: {names})",
                          code="unknown_print_form", details={"fields": {"form": f"допустимые: {names}"}})


@dataclass(frozen=True)
class Party:
    """Поставщик, покупатель, исполнитель, заказчик: a name and its requisites."""

    name: str
    inn: str = ""
    kpp: str = ""
    address: str = ""

    @property
    def requisites(self) -> str:
        """``"ООО «Клиника», ИНН 7707083893, КПП 773601001, Москва, …"`` as 1C prints it."""
        parts = [self.name, self.inn and f"ИНН {self.inn}", self.kpp and f"КПП {self.kpp}", self.address]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class BankDetails:
    bank_name: str
    bik: str
    correspondent_account: str
    account_number: str


@dataclass(frozen=True)
class Line:
    no: int
    name: str
    quantity: Decimal
    unit: str
    price: Decimal
    discount: Decimal
    amount: Decimal


@dataclass(frozen=True)
class CountLine:
    """A line of «Инвентаризационная опись» (ИНВ-3): what was found and what the books say."""

    no: int
    name: str
    article: str
    unit: str
    price: Decimal
    fact_quantity: Decimal
    fact_amount: Decimal
    book_quantity: Decimal
    book_amount: Decimal


@dataclass(frozen=True)
class VatRow:
    label: str                # "В том числе НДС (20%)" or "Без налога (НДС)"
    amount: Decimal | None    # None prints as "-"


@dataclass(frozen=True)
class PrintData:
    form: Form
    kind: str
    doc_id: int
    number: str               # as stored: "К0000000012"
    print_number: str         # as printed: "12"
    date: dt.date
    posted: bool
    organization_id: int
    client_id: int | None
    amocrm_lead_id: int | None
    client_email: str
    supplier: Party
    buyer: Party
    bank: BankDetails | None
    lines: tuple[Line, ...]
    total: Decimal
    vat_rows: tuple[VatRow, ...]
    director: str
    accountant: str
    organization: dict[str, str] | None = None   # the organization's own requisites, the licence among them
    client: dict[str, Any] | None = None         # the client (the patient): phone, birth date, address, document
    doctor: dict[str, str] | None = None
    starts_at: dt.datetime | None = None          # a Request's visit time
    reason: str = ""                              # a return's «Причина возврата»
    warehouse: str = ""                           # ИНВ-3: the warehouse counted
    responsible: str = ""                         # ИНВ-3: «Материально ответственное лицо»
    count_lines: tuple[CountLine, ...] = ()       # ИНВ-3's lines
    cash_order: Any = None                        # КО-1/КО-2: a :class:`erp.printing.cash_orders.CashOrder`
    stock: Any = None                             # ТОРГ-16/ТОРГ-13: a :class:`erp.printing.stock_forms.StockForm`

    @property
    def heading(self) -> str:
        """``"Счёт на оплату № 12 от 22 декабря 2021 г."``."""
        return f"{self.form.title} № {self.print_number} от {long_date(self.date)}"

    @property
    def file_name(self) -> str:
        return f"{self.form.title} № {self.print_number} от {short_date(self.date)}.pdf"

    @property
    def has_discount(self) -> bool:
        return any(line.discount for line in self.lines)

    @property
    def amount_in_words(self) -> str:
        return amount_in_words(self.total)

    @property
    def count_text(self) -> str:
        """``"Всего наименований 2, на сумму 1 650,00 руб."``."""
        return f"{self.form.count_label} {len(self.lines or self.count_lines)}, на сумму {money(self.total)} руб."


def print_number(number: str, prefix: str) -> str:
    """The number without the organization prefix and leading zeros, as 1C prints it."""
    rest = number[len(prefix):] if prefix and number.startswith(prefix) else number
    return rest.lstrip("0") or rest or number


ORG_REQUISITES = (("inn", "ИНН"), ("address", "адрес"))
BANK_REQUISITES = (("bank_name", "банк"), ("bik", "БИК"), ("correspondent_account", "корр. счёт"),
                   ("account_number", "номер счёта"))


async def load(conn: asyncpg.Connection, registry, form: Form, ids: Sequence[int], tz) -> list[PrintData]:
    """The print data of documents ``ids`` (in that order) for ``form``."""
    if form.source == "client":
        return await _load_clients(conn, form, ids, tz)
    if form.source == "cash":
        from . import cash_orders

        return await cash_orders.load(conn, registry, form, ids, tz)
    if form.source == "stock":
        from . import stock_forms

        return await stock_forms.load(conn, registry, form, ids, tz)
    kind: DocumentKind = registry.documents[form.kind]
    docs = await load_many(conn, kind, ids)
    missing = sorted(set(ids) - {d.id for d in docs})
    if missing:
        raise NotFound(f"Документ «{kind.title}» с id {missing[0]} не найден", code="document_not_found",
                       details={"kind": kind.name, "id": missing[0]})
    refs = await _references(conn, kind, docs)
    return [_print_data(form, kind, doc, refs, tz) for doc in docs]


ORG_COLUMNS = ("id, name, full_name, inn, kpp, address, director, chief_accountant, vat_rate, number_prefix,"
               " license_number")
CLIENT_COLUMNS = "id, name, kind, inn, kpp, email, phone, birth_date, address, identity_document, organization_id"


async def _references(conn: asyncpg.Connection, kind: DocumentKind, docs: list[Doc]) -> dict[str, Any]:
    """Everything the documents point at, one query per catalog, whatever their number."""

    def ids(field: str, in_lines: bool = False) -> list[int]:
        rows = [line for d in docs for line in d.lines] if in_lines else [d.header for d in docs]
        return sorted({row.get(field) for row in rows if row.get(field)})

    clients = await conn.fetch(f"SELECT {CLIENT_COLUMNS} FROM cat_clients WHERE id = ANY($1::bigint[])",
                               sorted({*ids("client_id"), *ids("supplier_id")}))
    org_ids = ids("organization_id")
    fallback = None
    if kind.name == "requests":  # a Request has no organization: the client's, else the default one
        fallback = await defaults.default_organization(conn)
        org_ids = sorted({*(c["organization_id"] for c in clients if c["organization_id"]),
                          *([fallback] if fallback else [])})
    orgs = await conn.fetch(f"SELECT {ORG_COLUMNS} FROM cat_organizations WHERE id = ANY($1::bigint[])", org_ids)
    accounts = await conn.fetch("SELECT id, organization_id, bank_name, bik, correspondent_account, account_number"
                                " FROM cat_bank_accounts WHERE id = ANY($1::bigint[])", ids("bank_account_id"))
    goods = await conn.fetch("SELECT id, name, unit, article FROM cat_nomenclature WHERE id = ANY($1::bigint[])",
                             ids("nomenclature_id", in_lines=True))
    warehouses = await conn.fetch("SELECT id, name FROM cat_warehouses WHERE id = ANY($1::bigint[])",
                                  ids("warehouse_id")) if any("warehouse_id" in d.header for d in docs) else []
    doctors = await conn.fetch("SELECT id, name, full_name, specialty FROM cat_doctors WHERE id = ANY($1::bigint[])",
                               ids("doctor_id"))
    bases = sorted({d.based_on[1] for d in docs if d.based_on and d.based_on[0] == "requests"})
    leads = await conn.fetch("SELECT id, amocrm_lead_id FROM doc_requests WHERE id = ANY($1::bigint[])",
                             bases) if bases else []
    return {"orgs": {r["id"]: r for r in orgs}, "accounts": {r["id"]: r for r in accounts},
            "clients": {r["id"]: r for r in clients}, "goods": {r["id"]: r for r in goods},
            "doctors": {r["id"]: r for r in doctors}, "fallback_org": fallback,
            "leads": {r["id"]: r["amocrm_lead_id"] for r in leads},
            "warehouses": {r["id"]: r["name"] for r in warehouses}}


def _organization_of(kind: DocumentKind, doc: Doc, refs: dict[str, Any]):
    if "organization_id" in doc.header:
        return refs["orgs"][doc.header["organization_id"]]
    client = refs["clients"].get(doc.header.get("client_id"))
    org = refs["orgs"].get(client["organization_id"] if client else None) or refs["orgs"].get(refs["fallback_org"])
    if org is None:
        raise ValidationError(f"{kind.title}: не выбрана организация, от имени которой печатается документ — "
                              "укажите её у клиента или в «Значениях по умолчанию»", code="organization_missing",
                              details={"fields": {"organization_id": "не выбрана организация"}})
    return org


def _organization_dict(org) -> dict[str, str]:
    names = ("name", "full_name", "inn", "kpp", "address", "director", "chief_accountant", "license_number")
    return {name: org[name] or "" for name in names}


def _client_dict(client) -> dict[str, Any]:
    return {"name": client["name"], "inn": client["inn"] or "", "kpp": client["kpp"] or "",
            "email": client["email"] or "", "phone": client["phone"] or "", "birth_date": client["birth_date"],
            "address": client["address"] or "", "identity_document": client["identity_document"] or ""}


def _print_data(form: Form, kind: DocumentKind, doc: Doc, refs: dict[str, Any], tz) -> PrintData:
    org = _organization_of(kind, doc, refs)
    number = print_number(doc.number, org["number_prefix"] or "")
    if form.layout == "inventory":
        return _inventory_data(form, kind, doc, refs, org, number, tz)
    where = f"{kind.title} № {number}"
    _require(org, ORG_REQUISITES, f"{where}: у организации «{org['name']}» не заполнены реквизиты",
             "organization_requisites_missing", "organization_id")
    bank = None
    account = refs["accounts"].get(doc.header.get("bank_account_id"))
    if form.needs_bank_account:
        if account is None:
            raise ValidationError(
                f"{where}: не указан банковский счёт организации — выберите его в поле «Банковский счёт»",
                code="bank_account_missing", details={"fields": {"bank_account_id": "не указан банковский счёт"}})
        _require(account, BANK_REQUISITES, f"{where}: в банковском счёте не заполнены реквизиты",
                 "bank_requisites_missing", "bank_account_id")
    if account is not None:
        bank = BankDetails(account["bank_name"] or "", account["bik"] or "", account["correspondent_account"] or "",
                           account["account_number"] or "")
    # a supplier order is the organization's own order to its supplier: the supplier supplies, the organization buys
    ordering = "supplier_id" in doc.header
    client = refs["clients"].get(doc.header.get("supplier_id" if ordering else "client_id"))
    doctor = refs["doctors"].get(doc.header.get("doctor_id"))
    ours = Party(org["full_name"] or org["name"], org["inn"], org["kpp"], org["address"])
    theirs = Party(client["name"], client["inn"] or "", client["kpp"] or "") if client else Party("")
    lines = tuple(_line(i, ln, refs["goods"]) for i, ln in enumerate(doc.lines, start=1))
    total = sum((ln.amount for ln in lines), Decimal("0.00"))
    lead = doc.header.get("amocrm_lead_id") or (
        refs["leads"].get(doc.based_on[1]) if doc.based_on and doc.based_on[0] == "requests" else None)
    starts_at = doc.header.get("starts_at")
    return PrintData(
        form=form, kind=kind.name, doc_id=doc.id, number=doc.number, print_number=number,
        date=doc.date.astimezone(tz).date(), posted=doc.posted, organization_id=org["id"],
        client_id=client["id"] if client else None, amocrm_lead_id=lead,
        client_email=(client["email"] or "") if client else "",
        supplier=theirs if ordering else ours, buyer=ours if ordering else theirs, bank=bank, lines=lines,
        total=total, vat_rows=_vat_rows(doc, lines, org["vat_rate"]),
        director=org["director"] or "", accountant=org["chief_accountant"] or "",
        organization=_organization_dict(org), client=_client_dict(client) if client else None,
        doctor={"name": doctor["full_name"] or doctor["name"], "short_name": doctor["name"],
                "specialty": doctor["specialty"] or ""} if doctor else None,
        starts_at=starts_at.astimezone(tz) if starts_at else None, reason=doc.header.get("reason") or "")


def _inventory_data(form: Form, kind: DocumentKind, doc: Doc, refs: dict[str, Any], org, number: str,
                    tz) -> PrintData:
    """ИНВ-3: the organization and the warehouse, each line's counted and book quantities and sums
    (the counted sum is the book sum with the difference's cost), at the unit price they give."""
    lines = []
    for no, ln in enumerate(doc.lines, start=1):
        item = refs["goods"].get(ln["nomenclature_id"]) or {}
        book_quantity, book_amount = ln.get("book_quantity") or Decimal(0), ln.get("book_cost") or Decimal("0.00")
        fact_amount = book_amount + (ln.get("cost") or Decimal("0.00"))
        quantity = ln["quantity"]
        price = (fact_amount / quantity if quantity else
                 book_amount / book_quantity if book_quantity else Decimal(0)).quantize(Decimal("0.01"))
        lines.append(CountLine(no=no, name=item.get("name") or "", article=item.get("article") or "",
                               unit=item.get("unit") or "", price=price, fact_quantity=quantity,
                               fact_amount=fact_amount, book_quantity=book_quantity, book_amount=book_amount))
    ours = Party(org["full_name"] or org["name"], org["inn"] or "", org["kpp"] or "", org["address"] or "")
    return PrintData(
        form=form, kind=kind.name, doc_id=doc.id, number=doc.number, print_number=number,
        date=doc.date.astimezone(tz).date(), posted=doc.posted, organization_id=org["id"], client_id=None,
        amocrm_lead_id=None, client_email="", supplier=ours, buyer=Party(""), bank=None, lines=(),
        total=sum((ln.fact_amount for ln in lines), Decimal("0.00")), vat_rows=(),
        director=org["director"] or "", accountant=org["chief_accountant"] or "",
        organization=_organization_dict(org), warehouse=refs["warehouses"].get(doc.header.get("warehouse_id"), ""),
        responsible=doc.header.get("responsible") or "", count_lines=tuple(lines))


async def _load_clients(conn: asyncpg.Connection, form: Form, ids: Sequence[int], tz) -> list[PrintData]:
    """A client's own papers (the contract signed at the first visit): the client, the
    organization that serves them (else the default one), today's date."""
    rows = {r["id"]: r for r in await conn.fetch(
        f"SELECT {CLIENT_COLUMNS}, code FROM cat_clients WHERE id = ANY($1::bigint[])", list(ids))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound(f"Клиент с id {missing[0]} не найден", code="client_not_found",
                       details={"kind": "clients", "id": missing[0]})
    fallback = await defaults.default_organization(conn)
    org_ids = sorted({*(r["organization_id"] for r in rows.values() if r["organization_id"]),
                      *([fallback] if fallback else [])})
    orgs = {r["id"]: r for r in await conn.fetch(
        f"SELECT {ORG_COLUMNS} FROM cat_organizations WHERE id = ANY($1::bigint[])", org_ids)}
    today = dt.datetime.now(tz).date()
    out = []
    for client_id in ids:
        client = rows[client_id]
        org = orgs.get(client["organization_id"]) or orgs.get(fallback)
        if org is None:
            raise ValidationError("Не выбрана организация, от имени которой печатается договор — укажите её у клиента "
                                  "или в «Значениях по умолчанию»", code="organization_missing",
                                  details={"fields": {"organization_id": "не выбрана организация"}})
        _require(org, ORG_REQUISITES, f"У организации «{org['name']}» не заполнены реквизиты",
                 "organization_requisites_missing", "organization_id")
        number = client["code"] or str(client_id)
        out.append(PrintData(
            form=form, kind="clients", doc_id=client_id, number=number, print_number=number.lstrip("0") or number,
            date=today, posted=True, organization_id=org["id"], client_id=client_id, amocrm_lead_id=None,
            client_email=client["email"] or "",
            supplier=Party(org["full_name"] or org["name"], org["inn"], org["kpp"], org["address"]),
            buyer=Party(client["name"], client["inn"] or "", client["kpp"] or ""), bank=None, lines=(),
            total=Decimal("0.00"), vat_rows=(), director=org["director"] or "",
            accountant=org["chief_accountant"] or "", organization=_organization_dict(org),
            client=_client_dict(client)))
    return out


def _require(row, fields: tuple[tuple[str, str], ...], message: str, code: str, field: str) -> None:
    empty = [title for name, title in fields if not (row[name] or "").strip()]
    if empty:
        raise ValidationError(f"{message}: {', '.join(empty)}", code=code,
                              details={"fields": {field: f"не заполнено: {', '.join(empty)}"}})


def _line(no: int, line: dict, goods: dict) -> Line:
    item = goods.get(line["nomenclature_id"])
    price = line.get("price")
    if price is None and line.get("amount") is not None and line["quantity"]:
        price = (line["amount"] / line["quantity"]).quantize(Decimal("0.01"))  # a return's lines keep only the amount
    price = price or Decimal("0.00")
    amount = line["amount"] if line.get("amount") is not None else (line["quantity"] * price).quantize(Decimal("0.01"))
    return Line(no=no, name=item["name"] if item else "", quantity=line["quantity"],
                unit=(item["unit"] or "") if item else "", price=price,
                discount=line.get("discount_amount") or Decimal("0.00"), amount=amount)


def _vat_rows(doc: Doc, lines: tuple[Line, ...], org_rate: str | None) -> tuple[VatRow, ...]:
    """One row per VAT rate of the lines: the invoice's own rates and amounts, or,
    for documents without VAT in their lines, the organization's rate (as posting does)."""
    by_rate: dict[str, Decimal] = {}
    for source, line in zip(doc.lines, lines, strict=True):
        rate = source.get("vat_rate", org_rate) or "none"
        amount = source["vat_amount"] if source.get("vat_amount") is not None else vat_of(line.amount, rate)
        by_rate[rate] = by_rate.get(rate, Decimal("0.00")) + amount
    if not by_rate:
        by_rate[org_rate or "none"] = Decimal("0.00")
    return tuple(VatRow("Без налога (НДС)", None) if rate == "none" else
                 VatRow(f"В том числе НДС ({rate}%)", amount) for rate, amount in by_rate.items())
