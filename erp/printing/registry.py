"""Сформированные документы: the registry of every PDF that was generated.

Each row keeps the file and what it was made from (document kind, id, number
and date, the amoCRM lead, the form and its document type, the organization
and the client), who made it and when, and, once emailed, to whom it went.
The list filters by each of those and pages by 25/50/100/200, newest first,
with a keyset cursor (Документы 2.0, the "Документы" tab).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from erp.auth.service import Principal
from erp.platform.errors import Forbidden, NotFound
from erp.platform.listing import Key, Sort, Where, page

from .forms import PrintData

COLUMNS = ("g.id, g.document_kind, g.document_id, g.document_number, g.document_date, g.amocrm_lead_id,"
           " g.form, g.document_type, g.user_id, u.username AS user_name, g.organization_id,"
           " o.name AS organization, g.client_id, g.posted, g.facsimile, g.file_name, g.size_bytes,"
           " g.sent_to, g.sent_at, g.generated_at, g.scan IS NOT NULL AS has_scan, g.scan_file_name,"
           " g.signed_at, s.username AS signed_by_name")
SOURCE = ("generated_documents g LEFT JOIN users u ON u.id = g.user_id"
          " LEFT JOIN cat_organizations o ON o.id = g.organization_id LEFT JOIN users s ON s.id = g.signed_by")
NEWEST_FIRST = Sort((Key("g.generated_at", dt.datetime), Key("g.id", int)), descending=True)

# Filter name → (column, SQL type): each stored attribute of the registry.
FILTERS = {
    "document_kind": ("g.document_kind", "text"),
    "document_id": ("g.document_id", "bigint"),
    "amocrm_lead_id": ("g.amocrm_lead_id", "bigint"),
    "form": ("g.form", "text"),
    "document_type": ("g.document_type", "text"),
    "user_id": ("g.user_id", "bigint"),
    "organization_id": ("g.organization_id", "bigint"),
    "client_id": ("g.client_id", "bigint"),
}


async def store(conn: asyncpg.Connection, items: Sequence[tuple[PrintData, bytes]], *, user_id: int | None,
                facsimile: bool, sent_to: str | None = None) -> list[int]:
    """Keep the PDFs of ``items``, one row each, in one statement; their ids in order."""
    if not items:
        return []
    cols = {
        "document_kind": [d.kind for d, _ in items], "document_id": [d.doc_id for d, _ in items],
        "document_number": [d.number for d, _ in items],
        "document_date": [d.date for d, _ in items], "amocrm_lead_id": [d.amocrm_lead_id for d, _ in items],
        "form": [d.form.name for d, _ in items], "document_type": [d.form.document_type for d, _ in items],
        "organization_id": [d.organization_id for d, _ in items], "client_id": [d.client_id for d, _ in items],
        "posted": [d.posted for d, _ in items], "file_name": [d.file_name for d, _ in items],
        "content": [pdf for _, pdf in items], "size_bytes": [len(pdf) for _, pdf in items],
    }
    types = ["text", "bigint", "text", "date", "bigint", "text", "text", "bigint", "bigint", "boolean", "text",
             "bytea", "integer"]
    unnest = ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, start=4))
    names = ", ".join(cols)
    rows = await conn.fetch(
        f"INSERT INTO generated_documents ({names}, user_id, facsimile, sent_to, sent_at)"
        f" SELECT {names}, $1::bigint, $2::boolean, $3::text, CASE WHEN $3::text IS NULL THEN NULL ELSE now() END"
        f" FROM unnest({unnest}) WITH ORDINALITY AS u({names}, ord) ORDER BY ord RETURNING id",
        user_id, facsimile, sent_to, *cols.values())
    return [r["id"] for r in rows]


async def list_generated(conn: asyncpg.Connection, *, filters: Mapping[str, Any], limit: int = 25,
                         after: str | None = None, generated_from: dt.date | None = None,
                         generated_to: dt.date | None = None, tz=None, signed: bool | None = None,
                         sent_from: dt.date | None = None,
                         sent_to: dt.date | None = None) -> tuple[list[dict], str | None]:
    """One page of the registry, newest first, and the cursor of the next page; ``signed``
    keeps the documents the client signed (True) or not (False); ``sent_from``/``sent_to``
    the ones emailed in those days."""
    where = Where()
    if signed is not None:
        where.add("(g.signed_at IS NOT NULL) = {}", signed)
    where.period("g.sent_at", sent_from, sent_to, tz, ("sent_from", "sent_to"))
    for name, value in filters.items():
        if value is None:
            continue
        column, sql_type = FILTERS[name]
        where.add(f"{column} = {{}}::{sql_type}", value)
    where.period("g.generated_at", generated_from, generated_to, tz, ("generated_from", "generated_to"))
    found = await page(conn, SOURCE, COLUMNS, where, NEWEST_FIRST, limit=limit, after=after)
    return found.rows, found.next


async def generated(conn: asyncpg.Connection, generated_id: int) -> dict:
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM {SOURCE} WHERE g.id = $1", generated_id)
    if row is None:
        raise NotFound(f"Сформированный документ с id {generated_id} не найден", code="generated_not_found")
    return dict(row)


async def file_of(conn: asyncpg.Connection, generated_id: int, principal: Principal) -> tuple[str, bytes]:
    """The file name and the PDF, to download again. A PDF printed with facsimiles carries the
    signatures, so only the one who printed it and administrators may fetch it: anyone else
    would get the images the facsimiles' owners did not share with them."""
    row = await conn.fetchrow("SELECT file_name, content, facsimile, user_id FROM generated_documents WHERE id = $1",
                              generated_id)
    if row is None:
        raise NotFound(f"Сформированный документ с id {generated_id} не найден", code="generated_not_found")
    if row["facsimile"] and principal.role != "admin" and row["user_id"] != principal.user_id:
        raise Forbidden("Этот PDF напечатан с факсимиле подписей: скачать его может только тот, кто его напечатал, "
                        "или администратор", code="facsimile_not_allowed")
    return row["file_name"], row["content"]
