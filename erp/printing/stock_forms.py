"""Складские формы: the unified forms ТОРГ-16 «Акт о списании товаров» (ОКУД 0330216) of a
write-off («Списание товаров») and ТОРГ-13 «Накладная на внутреннее перемещение, передачу товаров,
тары» (ОКУД 0330213) of a transfer («Перемещение товаров»).

A line prints the cost its posting took out of the (sending) warehouse: the stock register's expense
movement of that line, its sum and the unit price it gives, never the item's price or today's average
(a later receipt changes the average, not what was written off). An unposted document has written
off and moved nothing, so, as 1C prints these forms before the cost is known, its price and sum
columns stay empty and the form says why; the quantities are there for the commission to sign.

The units print with their ОКЕИ codes where the classifier has one. Any number of documents is read
in a fixed number of queries: the documents with their lines, and one query each for organizations,
warehouses, items and movements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from erp.catalogs.nomenclature import OKEI
from erp.platform.document import Doc
from erp.platform.document_store import load_many
from erp.platform.errors import NotFound
from erp.platform.register import EXPENSE
from erp.services.pricing import money

from .forms import ORG_COLUMNS, ORG_REQUISITES, Party, PrintData, _organization_dict, _require, print_number
from .words import amount_in_words


@dataclass(frozen=True)
class UnifiedForm:
    """What names a unified form: «ТОРГ-16», its ОКУД code, the resolution that approved it."""

    code: str
    okud: str
    approved: str = "Утверждена постановлением Госкомстата России от 25.12.98 № 132"


UNIFIED = {"stock-write-offs": UnifiedForm("ТОРГ-16", "0330216"),
           "stock-transfers": UnifiedForm("ТОРГ-13", "0330213")}


@dataclass(frozen=True)
class StockLine:
    no: int
    name: str
    code: str              # the item's article, else its code in the catalog
    unit: str
    okei: str              # the unit's ОКЕИ code, "" when the classifier has none
    quantity: Decimal
    price: Decimal | None  # None: not costed yet (an unposted document)
    amount: Decimal | None


@dataclass(frozen=True)
class StockForm:
    """ТОРГ-16 or ТОРГ-13 besides the organization, the number and the date."""

    unified: UnifiedForm
    warehouse: str         # the warehouse written off from; the sender of a transfer
    warehouse_to: str      # the receiver of a transfer
    reason: str            # «Причина списания»
    lines: tuple[StockLine, ...]

    @property
    def costed(self) -> bool:
        """Whether every line has the cost its posting took (a posted document)."""
        return all(line.amount is not None for line in self.lines)

    @property
    def total(self) -> Decimal | None:
        if not self.costed:
            return None
        return sum((line.amount for line in self.lines if line.amount is not None), Decimal("0.00"))

    @property
    def words(self) -> str:
        total = self.total
        return amount_in_words(total) if total is not None else ""


async def load(conn: asyncpg.Connection, registry, form, ids: Sequence[int], tz) -> list[PrintData]:
    """The print data of write-offs or transfers ``ids`` (in that order) for ТОРГ-16 or ТОРГ-13."""
    kind = registry.documents[form.kind]
    docs = {d.id: d for d in await load_many(conn, kind, ids)}
    missing = [i for i in ids if i not in docs]
    if missing:
        raise NotFound(f"Документ «{kind.title}» с id {missing[0]} не найден", code="document_not_found",
                       details={"kind": kind.name, "id": missing[0]})

    def wanted(*fields: str) -> list[int]:
        return sorted({d.header.get(f) for d in docs.values() for f in fields if d.header.get(f)})

    orgs = {r["id"]: r for r in await conn.fetch(
        f"SELECT {ORG_COLUMNS} FROM cat_organizations WHERE id = ANY($1::bigint[])", wanted("organization_id"))}
    warehouses = {r["id"]: r["name"] for r in await conn.fetch(
        f'SELECT id, name FROM "{registry.catalogs["warehouses"].table}" WHERE id = ANY($1::bigint[])',
        wanted("warehouse_id", "warehouse_to_id"))}
    items = {r["id"]: r for r in await conn.fetch(
        f'SELECT id, name, code, article, unit FROM "{registry.catalogs["nomenclature"].table}"'
        " WHERE id = ANY($1::bigint[])",
        sorted({ln["nomenclature_id"] for d in docs.values() for ln in d.lines if ln.get("nomenclature_id")}))}
    posted = sorted(d.id for d in docs.values() if d.posted)
    taken: dict[int, list] = {}
    if posted:
        stock = registry.registers["stock"]
        for row in await conn.fetch(
                f'SELECT recorder_id, nomenclature_id, quantity, cost FROM "{stock.movements_table}"'
                " WHERE recorder_kind = $1 AND recorder_id = ANY($2::bigint[]) AND record_type = $3"
                " ORDER BY recorder_id, line_no", kind.name, posted, EXPENSE):
            taken.setdefault(row["recorder_id"], []).append(row)
    out = []
    for doc_id in ids:
        doc: Doc = docs[doc_id]
        org = orgs[doc.header["organization_id"]]
        number = print_number(doc.number, org["number_prefix"] or "")
        _require(org, ORG_REQUISITES, f"{kind.title} № {number}: у организации «{org['name']}» не заполнены"
                 " реквизиты", "organization_requisites_missing", "organization_id")
        stock_form = StockForm(
            unified=UNIFIED[kind.name], warehouse=warehouses.get(doc.header.get("warehouse_id"), ""),
            warehouse_to=warehouses.get(doc.header.get("warehouse_to_id"), ""),
            reason=doc.header.get("reason") or "", lines=_lines(doc, items, taken.get(doc_id, [])))
        out.append(PrintData(
            form=form, kind=kind.name, doc_id=doc.id, number=doc.number, print_number=number,
            date=doc.date.astimezone(tz).date(), posted=doc.posted, organization_id=org["id"], client_id=None,
            amocrm_lead_id=None, client_email="",
            supplier=Party(org["full_name"] or org["name"], org["inn"] or "", org["kpp"] or "", org["address"] or ""),
            buyer=Party(""), bank=None, lines=(), total=stock_form.total or Decimal("0.00"), vat_rows=(),
            director=org["director"] or "", accountant=org["chief_accountant"] or "",
            organization=_organization_dict(org), reason=stock_form.reason, warehouse=stock_form.warehouse,
            stock=stock_form))
    return out


def _lines(doc: Doc, items: dict, movements: list) -> tuple[StockLine, ...]:
    """Each line with the expense movement its posting wrote: the movements follow the lines in
    order, one per line of goods, so each line takes the next one of its item and quantity."""
    left = list(movements)
    out = []
    for no, line in enumerate(doc.lines, start=1):
        item = items.get(line["nomenclature_id"]) or {}
        quantity = line["quantity"]
        amount = None
        if left and left[0]["nomenclature_id"] == line["nomenclature_id"] and left[0]["quantity"] == quantity:
            amount = left.pop(0)["cost"]
        unit = item.get("unit") or ""
        out.append(StockLine(
            no=no, name=item.get("name") or "", code=item.get("article") or item.get("code") or "", unit=unit,
            okei=OKEI.get(unit, ""), quantity=quantity,
            price=money(amount / quantity) if amount is not None and quantity else None, amount=amount))
    return tuple(out)
