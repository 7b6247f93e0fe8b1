"""Reading documents: header and lines, one query whatever their number.

Writing is the posting engine's (:mod:`erp.platform.posting`): one statement per operation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from .document import Doc, DocumentKind
from .errors import NotFound

LOCK_KEYS_SQL = (
    "(SELECT array_agg(value->>'date') FROM constants WHERE key = 'period_lock'{org}) AS lock_dates"
)


def _lock_clause(kind: DocumentKind, alias: str = "d") -> str:
    if kind.organization_field:
        org = f" OR key = 'period_lock:organization:' || {alias}.{kind.organization_field}"
    else:
        org = ""
    return LOCK_KEYS_SQL.format(org=org)


def lock_date(row: Mapping[str, Any]) -> dt.date | None:
    dates = [dt.date.fromisoformat(d) for d in (row["lock_dates"] or []) if d]
    return max(dates) if dates else None


def to_doc(kind: DocumentKind, row: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> Doc:
    header = {f.name: row[f.name] for f in kind.header}
    based = (row["based_on_kind"], row["based_on_id"]) if row["based_on_id"] else None
    return Doc(kind=kind.name, id=row["id"], number=row["number"], date=row["date"],
               posted=row["posted"], deletion_mark=row["deletion_mark"], header=header,
               lines=tuple({f.name: ln[f.name] for f in kind.lines} for ln in lines),
               based_on=based, number_prefix=row["number_prefix"], number_year=row["number_year"])


async def load(conn: asyncpg.Connection, kind: DocumentKind, doc_id: int, *,
               for_update: bool = False) -> tuple[Doc, dt.date | None]:
    """The document and the lock date in force for it, in one round trip."""
    lines_sql = (f', ARRAY(SELECT l FROM "{kind.lines_table}" l WHERE l.document_id = d.id'
                 " ORDER BY l.line_no) AS lines") if kind.lines else ""
    sql = (f'SELECT d.*, {_lock_clause(kind)}{lines_sql} FROM "{kind.table}" d WHERE d.id = $1'
           + (" FOR UPDATE OF d" if for_update else ""))
    row = await conn.fetchrow(sql, doc_id)
    if row is None:
        raise NotFound(f"Документ «{kind.title}» с id {doc_id} не найден", code="document_not_found")
    return to_doc(kind, row, row["lines"] if kind.lines else ()), lock_date(row)


async def load_locked(conn: asyncpg.Connection, kind: DocumentKind, ids: Sequence[int]
                      ) -> list[tuple[Doc, dt.date | None]]:
    """Several documents locked (``FOR UPDATE``, in id order) with the lock date in force for each, in one
    round trip, in the order of ``ids``; a missing one is :class:`NotFound`."""
    lines_sql = (f', ARRAY(SELECT l FROM "{kind.lines_table}" l WHERE l.document_id = d.id'
                 " ORDER BY l.line_no) AS lines") if kind.lines else ""
    rows = await conn.fetch(f'SELECT d.*, {_lock_clause(kind)}{lines_sql} FROM "{kind.table}" d'
                            " WHERE d.id = ANY($1::bigint[]) ORDER BY d.id FOR UPDATE OF d", list(ids))
    by_id = {r["id"]: (to_doc(kind, r, r["lines"] if kind.lines else ()), lock_date(r)) for r in rows}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFound(f"Документ «{kind.title}» с id {missing[0]} не найден", code="document_not_found")
    return [by_id[i] for i in ids]


async def load_many(conn: asyncpg.Connection, kind: DocumentKind, ids: Sequence[int]) -> list[Doc]:
    lines_sql = (f', ARRAY(SELECT l FROM "{kind.lines_table}" l WHERE l.document_id = d.id'
                 " ORDER BY l.line_no) AS lines") if kind.lines else ""
    rows = await conn.fetch(f'SELECT d.*{lines_sql} FROM "{kind.table}" d WHERE d.id = ANY($1::bigint[])',
                            list(ids))
    by_id = {r["id"]: to_doc(kind, r, r["lines"] if kind.lines else ()) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


