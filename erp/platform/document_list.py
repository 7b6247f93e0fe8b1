"""Списки документов: documents as a list, and the choices of a reference picker.

The REST API (``GET /api/documents/{kind}``) and the UI's list form read the same
function with the same filters: the search text (the number, the comment, or the
name of anything the header refers to, each letter as typed), the period of days
in the clinic's time zone, posted, the deletion mark, the exact ``number`` and any
header attribute (the organization, the client…), newest first or in any sortable
column's order, a keyset page at a time (:mod:`.listing`). Also: a document's movements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from .document import Doc, DocumentKind
from .document_store import load_many
from .errors import ValidationError
from .fields import Field, quote
from .listing import SORTABLE_TYPES, Key, Page, Where, choose_sort, field_key, field_value, page

ID = Key("id", int)


def sorts(kind: DocumentKind) -> dict[str, Key]:
    """The columns a list of ``kind`` can be ordered by."""
    return {"date": Key("date", dt.datetime), "number": Key("number", str),
            **{f.name: field_key(f) for f in kind.header if f.type in SORTABLE_TYPES}}


def _field(kind: DocumentKind, name: str) -> Field:
    try:
        return kind.header_field(name)
    except KeyError:
        raise ValidationError.field(name, "неизвестный фильтр") from None


def _search(where: Where, registry, kind: DocumentKind, q: str) -> None:
    """The number, the comment, or the name of anything the header refers to."""
    like = where.like(q)
    found = [like.contains("number")]
    if any(f.name == "comment" for f in kind.header):
        found.append(like.contains("comment"))
    for f in kind.header:
        target = registry.catalogs.get(f.ref) if f.type == "ref" else None
        if target is not None:
            found.append(f'{quote(f.name)} IN (SELECT id FROM "{target.table}" WHERE {like.contains("name")})')
    where.any_of(found)


async def list_documents(conn: asyncpg.Connection, registry, kind: DocumentKind, tz: ZoneInfo, *, q: str = "",
                         start: dt.date | None = None, end: dt.date | None = None, posted: bool | None = None,
                         deletion_mark: bool | None = None, filters: Mapping[str, Any] | None = None,
                         sort: str = "date", descending: bool = True, limit: int = 50, after: str | None = None,
                         before: str | None = None) -> Page[Doc]:
    """One page of documents of ``kind``; ``filters`` are header values as typed, and ``number``."""
    order = choose_sort(sorts(kind), sort, descending, ID)
    where = Where()
    if q.strip():
        _search(where, registry, kind, q.strip())
    where.period("date", start, end, tz)
    for column, value in (("posted", posted), ("deletion_mark", deletion_mark)):
        if value is not None:
            where.equals(column, value)
    for name, raw in (filters or {}).items():
        if name == "number":
            where.equals("number", str(raw).strip())
        else:
            where.equals(quote(name), field_value(_field(kind, name), raw))
    found = await page(conn, f'"{kind.table}"', "id", where, order, limit=limit, after=after, before=before)
    docs = await load_many(conn, kind, [r["id"] for r in found.rows])
    return Page(docs, found.next, found.prev)


async def choices(conn: asyncpg.Connection, kind: DocumentKind, q: str, *, filters: Mapping[str, Any] | None = None,
                  condition: str = "", limit: int = 25) -> list[dict[str, Any]]:
    """A picker's options: unmarked documents, newest first, whose number holds ``q`` or starts
    with it once leading zeros are dropped ("12" finds "000012"). ``condition`` is a declared
    one (a field's ``picker_due``, never request input)."""
    where = Where(["NOT deletion_mark"])
    text = q.strip()
    where.any_of([where.like(text).contains("number"),
                  where.like(text.lstrip("0") or text).starts("ltrim(number, '0')")])
    if condition:
        where.conditions.append(f"({condition})")
    for name, raw in (filters or {}).items():
        where.equals(quote(name), field_value(_field(kind, name), raw))
    sql = (f"SELECT id, number AS text, to_char(date, 'DD.MM.YYYY') AS hint FROM \"{kind.table}\"{where.sql}"
           f" ORDER BY date DESC, id DESC LIMIT {int(limit)}")
    return [dict(r) for r in await conn.fetch(sql, *where.args)]


async def movements_of(conn: asyncpg.Connection, kind: DocumentKind, doc_id: int) -> dict[str, list[dict]]:
    """Движения документа: each register's records of this recorder."""
    out: dict[str, list[dict]] = {}
    for register in kind.registers:
        table = register.tables()[0]._meta.tablename
        rows = await conn.fetch(
            f'SELECT * FROM "{table}" WHERE recorder_kind = $1 AND recorder_id = $2 ORDER BY line_no',
            kind.name, doc_id)
        out[register.name] = [{k: v for k, v in dict(r).items()
                               if k not in ("id", "recorder_kind", "recorder_id")} for r in rows]
    return out
