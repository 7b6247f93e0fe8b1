"""Поступление товаров: goods arrive at a warehouse; stock grows in quantity and cost, and the
organization owes the supplier the receipt's total (Расчёты с поставщиками).

A receipt names its organization. One written without it (the API before the organization
existed, an import) takes the default one of «Значения по умолчанию», else the first
organization, as it is written; the organization's own period lock applies to it then too."""

import datetime as dt
from decimal import Decimal

from erp.platform.document import Doc, DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.period_lock import PeriodClosed, ensure_open
from erp.platform.posting.inputs import Constants, First, Later
from erp.printing.defaults import KEY as DEFAULTS_KEY
from erp.registers.stock import stock
from erp.registers.supplier_settlements import supplier_settlements
from erp.services.pricing import compute_line

ORGANIZATION_LOCKS = "period_lock:organization:"


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    lines = [compute_line(line, i, discounts=False) for i, line in enumerate(lines)]
    return header, lines


def _default_organization(found) -> dict:
    chosen = ((found.get("defaults") or {}).get(DEFAULTS_KEY) or {}).get("organization_id")
    return {"organization": First("organizations", where={"id": chosen})} if chosen else {}


def needs(old: Doc | None, new: Doc, _settings) -> dict:
    """Only a receipt without an organization reads anything: the default organization (checked
    to exist and not be marked), the first one, and the organizations' period locks."""
    if new.header.get("organization_id") is not None or (old is not None and old.posted and not new.posted):
        return {}
    return {"defaults": Constants(DEFAULTS_KEY), "first_organization": First("organizations"),
            "organization_locks": Constants(ORGANIZATION_LOCKS), "default": Later(_default_organization)}


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    if header.get("organization_id") is None:
        chosen = (inputs.get("default") or {}).get("organization") or inputs.get("first_organization")
        if chosen:
            header["organization_id"] = chosen["id"]
    return header, lines


def rules(old: Doc | None, new: Doc, inputs) -> list:
    """A posted receipt owes its supplier on behalf of an organization; the organization it took
    by default may have a period lock of its own."""
    if old is not None and old.posted and not new.posted:
        return []
    org = new.header.get("organization_id")
    if org is None:
        if new.posted:
            return [ValidationError.field("organization_id", "укажите организацию, которая должна поставщику")]
        return []
    locks = inputs.get("organization_locks")
    if locks is not None:  # the organization was chosen by default: its lock was not read before
        lock = (locks.get(f"{ORGANIZATION_LOCKS}{org}") or {}).get("date")
        if lock:
            try:
                ensure_open(dt.date.fromisoformat(lock), new.date.astimezone(inputs.settings.tz).date(),
                            "провести" if new.posted else "записать")
            except PeriodClosed as exc:
                return [exc]
    return []


def total(doc: Doc) -> Decimal:
    return sum((line["amount"] or Decimal(0) for line in doc.lines), Decimal("0.00"))


def movements(doc: Doc, _inputs) -> dict:
    out: dict = {stock: [stock.receipt(doc.date, warehouse_id=doc.warehouse_id,
                                       nomenclature_id=line["nomenclature_id"],
                                       quantity=line["quantity"], cost=line["amount"])
                         for line in doc.lines]}
    amount = total(doc)
    out[supplier_settlements] = [supplier_settlements.receipt(
        doc.date, organization_id=doc.organization_id, counterparty_id=doc.supplier_id, amount=amount)] \
        if amount else []
    return out


goods_receipts = DocumentKind(
    "goods-receipts", "Поступление товаров",
    header=(
        Field("organization_id", "ref", "Организация", ref="organizations"),
        Field("supplier_id", "ref", "Поставщик", ref="clients", required=True),
        Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
        Field("quantity", "quantity", "Количество", required=True),
        Field("price", "money", "Цена", required=True),
        Field("amount", "money", "Сумма"),
    ),
    registers=(stock, supplier_settlements), movements=movements, prepare=prepare, needs=needs, fill=fill,
    rules=rules, organization_field="organization_id",
)
