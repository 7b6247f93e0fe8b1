"""Lists of documents (newest first, keyset-paged) and their movements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from . import keyset
from .dates import day_bounds
from .document import Doc, DocumentKind
from .document_store import load_many
from .errors import ValidationError
from .fields import FieldError, quote


async def list_documents(conn: asyncpg.Connection, kind: DocumentKind, tz: ZoneInfo, *, limit: int = 50,
                         after: str | None = None, start: dt.date | None = None, end: dt.date | None = None,
                         posted: bool | None = None, deletion_mark: bool | None = None,
                         filters: Mapping[str, Any] | None = None) -> tuple[list[Doc], str | None]:
    keyset.check_limit(limit)
    where: list[str] = []
    args: list[Any] = []
    lower, upper = day_bounds(start, end, tz)
    if lower is not None:
        args.append(lower)
        where.append(f"date >= ${len(args)}")
    if upper is not None:
        args.append(upper)
        where.append(f"date < ${len(args)}")
    for flag, value in (("posted", posted), ("deletion_mark", deletion_mark)):
        if value is not None:
            args.append(value)
            where.append(f"{flag} = ${len(args)}")
    for name, raw in (filters or {}).items():
        if name == "number":
            args.append(str(raw))
            where.append(f"number = ${len(args)}")
            continue
        try:
            field = kind.header_field(name)
            args.append(field.parse(raw))
        except KeyError:
            raise ValidationError.field(name, "неизвестный фильтр") from None
        except FieldError as exc:
            raise ValidationError.field(name, str(exc)) from None
        where.append(f"{quote(name)} = ${len(args)}")
    if after:
        last_date, last_id = keyset.decode(after, (dt.datetime, int))
        args += [last_date, last_id]
        where.append(f"(date, id) < (${len(args) - 1}, ${len(args)})")
    sql = f'SELECT id, date FROM "{kind.table}"'
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY date DESC, id DESC LIMIT {limit + 1}"
    rows = await conn.fetch(sql, *args)
    more = len(rows) > limit
    rows = rows[:limit]
    docs = await load_many(conn, kind, [r["id"] for r in rows])
    cursor = keyset.encode([rows[-1]["date"], rows[-1]["id"]]) if more and rows else None
    return docs, cursor


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
