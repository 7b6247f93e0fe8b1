"""What an EnterpriseData export reads: an organization's posted documents of a period, the clients and
items they name, and the «Ссылка» (UUID) kept for each object (made once, on the first export)."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

# kind → (table, the header columns the file needs, the lines' columns or None)
DOCUMENTS = {
    "service-renderings": ("doc_service_renderings", "client_id, amount_total, comment, warehouse_id",
                           "nomenclature_id, quantity, price, amount"),
    "invoices": ("doc_invoices", "client_id, amount_total, comment, bank_account_id",
                 "nomenclature_id, quantity, price, amount, vat_rate, vat_amount"),
    "payments": ("doc_payments", "client_id, amount, method, comment, bank_account_id", None),
    "goods-receipts": ("doc_goods_receipts", "supplier_id AS client_id, comment, warehouse_id",
                       "nomenclature_id, quantity, price, amount"),
}


async def organization(conn: asyncpg.Connection, key: str) -> dict | None:
    """The organization named by its id, INN or exact name; None when there is none (or more than one)."""
    rows = await conn.fetch(
        "SELECT id, name, full_name, inn, kpp, vat_rate FROM cat_organizations"
        " WHERE NOT deletion_mark AND (id::text = $1 OR inn = $1 OR name = $1) ORDER BY id LIMIT 2", key)
    return dict(rows[0]) if len(rows) == 1 else None


async def documents(conn: asyncpg.Connection, kind: str, organization_id: int, lower: dt.datetime,
                    upper: dt.datetime | None) -> list[dict]:
    """The posted documents of ``kind`` of the organization dated in ``[lower, upper)``, with their lines."""
    table, header, lines = DOCUMENTS[kind]
    docs = [dict(r) for r in await conn.fetch(
        f"SELECT id, number, date, {header} FROM {table} WHERE posted AND organization_id = $1"
        " AND date >= $2 AND ($3::timestamptz IS NULL OR date < $3) ORDER BY date, id",
        organization_id, lower, upper)]
    if lines is None or not docs:
        return docs
    by_doc: dict[int, list[dict]] = {d["id"]: [] for d in docs}
    for row in await conn.fetch(f"SELECT document_id, {lines} FROM {table}_lines"
                                " WHERE document_id = ANY($1::bigint[]) ORDER BY document_id, line_no",
                                list(by_doc)):
        by_doc[row["document_id"]].append(dict(row))
    for doc in docs:
        doc["lines"] = by_doc[doc["id"]]
    return docs


async def clients(conn: asyncpg.Connection, ids: set[int]) -> dict[int, dict]:
    return {r["id"]: dict(r) for r in await conn.fetch(
        "SELECT id, code, name, kind, inn, kpp FROM cat_clients WHERE id = ANY($1::bigint[])", sorted(ids))}


async def items(conn: asyncpg.Connection, ids: set[int]) -> dict[int, dict]:
    return {r["id"]: dict(r) for r in await conn.fetch(
        "SELECT id, code, name, kind, unit, article, vat_rate FROM cat_nomenclature WHERE id = ANY($1::bigint[])",
        sorted(ids))}


async def warehouses(conn: asyncpg.Connection, ids: set[int]) -> dict[int, str]:
    """Warehouse names by id (a document's «Склад»)."""
    return {r["id"]: r["name"] for r in await conn.fetch(
        "SELECT id, name FROM cat_warehouses WHERE id = ANY($1::bigint[])", sorted(ids))}


async def bank_accounts(conn: asyncpg.Connection, ids: set[int]) -> dict[int, dict]:
    """The organization's bank accounts by id: number and bank (a document's «БанковскийСчетОрганизации»)."""
    return {r["id"]: dict(r) for r in await conn.fetch(
        "SELECT id, account_number, bank_name, bik, correspondent_account FROM cat_bank_accounts"
        " WHERE id = ANY($1::bigint[])", sorted(ids))}


async def refs(conn: asyncpg.Connection, wanted: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    """The kept UUID of every wanted object; an object exported for the first time gets a new uuid4,
    which stays its «Ссылка» from then on (a concurrent first export keeps whichever was stored first)."""
    kinds = [k for k, ids in wanted.items() for _ in ids]
    ids = [i for ids in wanted.values() for i in ids]
    if not ids:
        return {}
    await conn.execute(
        "INSERT INTO exchange_refs (kind, object_id, ref, made_at)"
        " SELECT k, i, r, now() FROM unnest($1::text[], $2::bigint[], $3::uuid[]) AS t(k, i, r)"
        " ON CONFLICT (kind, object_id) DO NOTHING",
        kinds, ids, [uuid.uuid4() for _ in ids])
    rows = await conn.fetch(
        "SELECT kind, object_id, ref FROM exchange_refs r JOIN unnest($1::text[], $2::bigint[]) AS t(k, i)"
        " ON r.kind = t.k AND r.object_id = t.i", kinds, ids)
    return {(r["kind"], r["object_id"]): str(r["ref"]) for r in rows}


async def last_sent(conn: asyncpg.Connection, organization_id: int) -> dict[tuple[str, int], str]:
    """The hash of each object as the organization's last export that sent it had it."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (kind, object_id) kind, object_id, content_hash FROM enterprise_data_sent"
        " WHERE organization_id = $1 ORDER BY kind, object_id, export_id DESC", organization_id)
    return {(r["kind"], r["object_id"]): r["content_hash"] for r in rows}
