"""Значения по умолчанию (Документы 2.0): what a new document starts with.

The organization, its bank account, a discount (a percent or an amount) and a
VAT rate, kept in the ``constants`` table and edited by an administrator.
When nothing is set and the clinic has exactly one organization, that one is
the default, with its main bank account (1C does the same for a single legal
entity); a clinic with one warehouse gets it in every document that names
one. A new document of any kind gets the organization and the bank account in
its header when it has such fields, and the discount and the VAT rate as the
defaults of its new lines.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from erp.platform import audit
from erp.platform.document import DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import FieldError, parse_decimal

KEY = "document_defaults"
VAT_RATES = ("20", "10", "0", "none")


@dataclass(frozen=True)
class DocumentDefaults:
    organization_id: int | None = None
    bank_account_id: int | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    vat_rate: str | None = None


async def get_defaults(conn: asyncpg.Connection) -> DocumentDefaults:
    """The stored defaults (what the administrator set; empty fields stay empty)."""
    value = await conn.fetchval("SELECT value FROM constants WHERE key = $1", KEY) or {}
    return DocumentDefaults(
        organization_id=value.get("organization_id"), bank_account_id=value.get("bank_account_id"),
        discount_percent=Decimal(value["discount_percent"]) if value.get("discount_percent") else None,
        discount_amount=Decimal(value["discount_amount"]) if value.get("discount_amount") else None,
        vat_rate=value.get("vat_rate"))


async def set_defaults(conn: asyncpg.Connection, values: DocumentDefaults) -> DocumentDefaults:
    """Check and store the defaults; nothing is written when a value is wrong."""
    problems: dict[str, str] = {}
    percent, amount = values.discount_percent, values.discount_amount
    if percent is not None and amount is not None:
        problems["discount_amount"] = "скидка задаётся либо в процентах, либо суммой"
    for name, value, digits, top in (("discount_percent", percent, (7, 4), Decimal(100)),
                                     ("discount_amount", amount, (15, 2), None)):
        if value is None:
            continue
        try:
            parse_decimal(value, digits)
        except FieldError as exc:
            problems[name] = str(exc)
            continue
        if value < 0 or (top is not None and value > top):
            problems[name] = "скидка в процентах — от 0 до 100" if top else "скидка не может быть отрицательной"
    if values.vat_rate is not None and values.vat_rate not in VAT_RATES:
        problems["vat_rate"] = f"допустимые значения: {', '.join(VAT_RATES)}"
    if values.organization_id is not None and not await conn.fetchval(
            "SELECT true FROM cat_organizations WHERE id = $1 AND NOT deletion_mark", values.organization_id):
        problems["organization_id"] = "организация не найдена"
    if values.bank_account_id is not None:
        owner = await conn.fetchval("SELECT organization_id FROM cat_bank_accounts WHERE id = $1 AND NOT deletion_mark",
                                    values.bank_account_id)
        if owner is None:
            problems["bank_account_id"] = "банковский счёт не найден"
        elif values.organization_id is None or owner != values.organization_id:
            problems["bank_account_id"] = "банковский счёт должен принадлежать организации по умолчанию"
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Неверные значения по умолчанию — {summary}", details={"fields": problems})
    stored = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(values).items() if v is not None}
    async with conn.transaction():
        before = await get_defaults(conn)
        await conn.execute("INSERT INTO constants (key, value, updated_at) VALUES ($1, $2, now())"
                           " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()", KEY, stored)
        await audit.record_setting(conn, KEY, asdict(before), asdict(values))
    return values


async def default_organization(conn: asyncpg.Connection) -> int | None:
    """The organization documents are made by when nothing else says: the default one, else the only one."""
    return await _organization(conn, await get_defaults(conn))


async def _organization(conn: asyncpg.Connection, defaults: DocumentDefaults) -> int | None:
    if defaults.organization_id:
        return defaults.organization_id
    return await _only(conn, "cat_organizations")


async def _only(conn: asyncpg.Connection, table: str) -> int | None:
    """The catalog's one unmarked item, when it has exactly one (1C fills the only warehouse too)."""
    only = await conn.fetch(f'SELECT id FROM "{table}" WHERE NOT deletion_mark AND NOT is_group LIMIT 2')
    return only[0]["id"] if len(only) == 1 else None


async def bank_account_for(conn: asyncpg.Connection, organization_id: int,
                           defaults: DocumentDefaults) -> int | None:
    """The default account when it belongs to ``organization_id``, else the
    organization's main (or only) account."""
    return await conn.fetchval(
        "SELECT id FROM cat_bank_accounts WHERE organization_id = $1 AND NOT deletion_mark"
        " ORDER BY (id = $2) DESC, is_default DESC, id LIMIT 1", organization_id, defaults.bank_account_id or 0)


async def money_accounts(conn: asyncpg.Connection, kind: DocumentKind, organization_id: int,
                         defaults: DocumentDefaults | None = None) -> dict[str, int]:
    """The organization's bank account (the default one, else its main one) and its first cash
    desk, for the fields ``kind`` has: what a payment or an invoice starts with."""
    header_fields = {f.name for f in kind.header if not f.read_only}
    out: dict[str, int] = {}
    if "bank_account_id" in header_fields:
        account = await bank_account_for(conn, organization_id, defaults or await get_defaults(conn))
        if account:
            out["bank_account_id"] = account
    if "cash_desk_id" in header_fields:
        desk = await conn.fetchval("SELECT id FROM cat_cash_desks WHERE organization_id = $1"
                                   " AND NOT deletion_mark AND NOT is_group ORDER BY id LIMIT 1", organization_id)
        if desk:
            out["cash_desk_id"] = desk
    return out


async def new_document(conn: asyncpg.Connection, kind: DocumentKind,
                       organization_id: int | None = None) -> dict[str, Any]:
    """A new, unsaved document of ``kind`` with the defaults applied:
    ``{"document": {header…, "lines": []}, "line_defaults": {…}}``. An ``organization_id``
    the caller chose (a link from the client card) replaces the default one, and the money
    accounts are that organization's."""
    defaults = await get_defaults(conn)
    header_fields = {f.name for f in kind.header if not f.read_only}
    line_fields = {f.name for f in kind.lines}
    document: dict[str, Any] = {}
    if "organization_id" in header_fields:
        org = organization_id or await _organization(conn, defaults)
        if org:
            document["organization_id"] = org
            document |= await money_accounts(conn, kind, org, defaults)
    for f in kind.header:
        if f.type == "ref" and f.ref == "warehouses" and not f.read_only:
            only = await _only(conn, "cat_warehouses")
            if only:
                document[f.name] = only
    if kind.lines:
        document["lines"] = []
    line_defaults = {name: value for name, value in (("discount_percent", defaults.discount_percent),
                                                     ("discount_amount", defaults.discount_amount),
                                                     ("vat_rate", defaults.vat_rate))
                     if value is not None and name in line_fields}
    return {"document": document, "line_defaults": line_defaults}

