"""Queries the web UI needs that the API services do not have.

* :func:`browse_catalog` and :func:`browse_documents`: a list as a 1C user
  sees it — search as you type, filters, any sortable column in either
  direction, keyset paging both ways (the cursor is the last row's sort key,
  so page 100 costs what page 1 costs).
* :func:`ref_names`: the names behind reference ids, for every target at once.
* :func:`appointments`: the Requests of a period with what a calendar block shows.

Everything here only reads.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from erp.platform import keyset
from erp.platform.catalog import Catalog
from erp.platform.dates import day_bounds
from erp.platform.document import Doc, DocumentKind
from erp.platform.document_store import load_many
from erp.platform.errors import ValidationError
from erp.platform.fields import Field, FieldError, quote
from erp.platform.posting import derive
from erp.registers.doctor_schedule import doctor_schedule
from erp.registers.stock import stock
from erp.services import reports
from erp.services.scheduling import FAR_FUTURE

SORTABLE_TYPES = ("str", "enum", "int", "money", "quantity", "percent", "date", "datetime", "bool")
_EMPTY = {"str": "''", "enum": "''", "text": "''", "int": "0", "money": "0", "quantity": "0", "percent": "0",
          "date": "'-infinity'::date", "datetime": "'-infinity'::timestamptz", "time": "'00:00'::time",
          "bool": "false"}
# What a page cursor of each sort carries, so that a forged one is refused (422 invalid_cursor), not a 500.
_CURSOR_TYPES: dict[str, type] = {"str": str, "enum": str, "text": str, "int": int, "money": Decimal,
                                  "quantity": Decimal, "percent": Decimal, "date": dt.date,
                                  "datetime": dt.datetime, "bool": bool}


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, and cursors to the pages around it."""

    rows: list[Any]
    next: str | None
    prev: str | None


def catalog_sorts(catalog: Catalog) -> dict[str, tuple[str, str]]:
    """Sortable columns: ``{key: (SQL expression, type)}``."""
    out = {"name": ("name", "str"), "code": ("code", "str")}
    out |= {f.name: (quote(f.name), f.type) for f in catalog.fields if f.type in SORTABLE_TYPES}
    return out


def document_sorts(kind: DocumentKind) -> dict[str, tuple[str, str]]:
    out = {"date": ("date", "datetime"), "number": ("number", "str")}
    out |= {f.name: (quote(f.name), f.type) for f in kind.header if f.type in SORTABLE_TYPES}
    return out


def _escape_like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _parse_filter(field: Field, raw: Any) -> Any:
    if field.type == "bool" and isinstance(raw, str):
        raw = {"true": True, "1": True, "false": False, "0": False}.get(raw.lower(), raw)
    try:
        return field.parse(raw)
    except FieldError as exc:
        raise ValidationError.field(field.name, str(exc)) from None


async def _page(conn: asyncpg.Connection, table: str, where: list[str], args: list[Any], sort: tuple[str, str],
                descending: bool, limit: int, after: str | None, before: str | None) -> tuple[list[dict], Page]:
    """Keyset paging over ``table`` ordered by ``sort`` and then ``id``, both in one direction."""
    keyset.check_limit(limit)
    expr, ftype = sort
    key = f"COALESCE({expr}, {_EMPTY.get(ftype, 'NULL')})"
    cursor = after or before
    backwards = before is not None and after is None
    conditions = list(where)
    if cursor:
        value, last_id = keyset.decode(cursor, (_CURSOR_TYPES.get(ftype, object), int))
        args = [*args, value, last_id]
        forward_op = "<" if descending else ">"
        op = forward_op if not backwards else {"<": ">", ">": "<"}[forward_op]
        conditions.append(f"({key}, id) {op} (${len(args) - 1}, ${len(args)})")
    direction = "DESC" if descending != backwards else "ASC"
    sql = (f'SELECT *, {key} AS _sort FROM "{table}"' + (" WHERE " + " AND ".join(conditions) if conditions else "")
           + f" ORDER BY {key} {direction}, id {direction} LIMIT {limit + 1}")
    rows = [dict(r) for r in await conn.fetch(sql, *args)]
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return [], Page([], None, None)
    first, last = keyset.encode([rows[0]["_sort"], rows[0]["id"]]), keyset.encode([rows[-1]["_sort"], rows[-1]["id"]])
    has_next = more if not backwards else True
    has_prev = (more if backwards else cursor is not None)
    for r in rows:
        r.pop("_sort")
    return rows, Page([], last if has_next else None, first if has_prev else None)


async def browse_catalog(conn: asyncpg.Connection, catalog: Catalog, *, q: str = "",
                         filters: Mapping[str, Any] | None = None, deletion_mark: bool | None = None,
                         sort: str = "name", descending: bool = False, limit: int = 50,
                         after: str | None = None, before: str | None = None) -> Page:
    sorts = catalog_sorts(catalog)
    if sort not in sorts:
        raise ValidationError.field("sort", f"сортировка: {', '.join(sorts)}")
    where, args = [], []
    if q.strip():
        args.append(_escape_like(q.strip()))
        where.append("(" + " OR ".join(f"{quote(c)}::text ILIKE ${len(args)}" for c in catalog.searchable) + ")")
    if deletion_mark is not None:
        args.append(deletion_mark)
        where.append(f"deletion_mark = ${len(args)}")
    for name, raw in (filters or {}).items():
        try:
            field = catalog.field(name)
        except KeyError:
            raise ValidationError.field(name, "неизвестный фильтр") from None
        args.append(_parse_filter(field, raw))
        where.append(f"{quote(name)} = ${len(args)}")
    rows, page = await _page(conn, catalog.table, where, args, sorts[sort], descending, limit, after, before)
    return Page(rows, page.next, page.prev)


def _document_search(registry, kind: DocumentKind, args: list[Any]) -> str:
    """Number, comment, or the name of anything the header refers to."""
    parts = [f"number ILIKE ${len(args)}"]
    if any(f.name == "comment" for f in kind.header):
        parts.append(f"comment ILIKE ${len(args)}")
    for f in kind.header:
        target = registry.catalogs.get(f.ref) if f.type == "ref" else None
        if target is not None:
            parts.append(f'{quote(f.name)} IN (SELECT id FROM "{target.table}" WHERE name ILIKE ${len(args)})')
    return "(" + " OR ".join(parts) + ")"


async def browse_documents(conn: asyncpg.Connection, registry, kind: DocumentKind, tz: ZoneInfo, *,
                           q: str = "", start: dt.date | None = None, end: dt.date | None = None,
                           posted: bool | None = None, deletion_mark: bool | None = None,
                           filters: Mapping[str, Any] | None = None, sort: str = "date", descending: bool = True,
                           limit: int = 50, after: str | None = None, before: str | None = None) -> Page:
    """Documents with their derived values (e.g. an invoice's status): rows are
    ``(Doc, {derived})``."""
    sorts = document_sorts(kind)
    if sort not in sorts:
        raise ValidationError.field("sort", f"сортировка: {', '.join(sorts)}")
    where, args = [], []
    if q.strip():
        args.append(_escape_like(q.strip()))
        where.append(_document_search(registry, kind, args))
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
        try:
            field = kind.header_field(name)
        except KeyError:
            raise ValidationError.field(name, "неизвестный фильтр") from None
        args.append(_parse_filter(field, raw))
        where.append(f"{quote(name)} = ${len(args)}")
    rows, page = await _page(conn, kind.table, where, args, sorts[sort], descending, limit, after, before)
    docs = await load_many(conn, kind, [r["id"] for r in rows])
    derived = await derive(conn, registry, kind, docs)
    return Page([(d, derived.get(d.id, {})) for d in docs], page.next, page.prev)


def collect_refs(registry, fields: Iterable[Field], rows: Iterable[Mapping[str, Any]],
                 into: dict[str, set[int]] | None = None) -> dict[str, set[int]]:
    """``{target: {ids}}`` of the ref ``fields`` in ``rows``."""
    wanted = into if into is not None else defaultdict(set)
    refs = [f for f in fields if f.type == "ref"]
    for row in rows:
        for f in refs:
            if row.get(f.name) is not None:
                wanted.setdefault(f.ref, set()).add(row[f.name])
    return wanted


def _document_text(title: str, number: str, date: dt.datetime) -> str:
    return f"{title} № {number} от {date:%d.%m.%Y}"


async def ref_names(conn: asyncpg.Connection, registry, wanted: Mapping[str, Iterable[int]],
                    tz: ZoneInfo | None = None,
                    document_text: Callable[[str, str, dt.datetime], str] = _document_text,
                    ) -> dict[tuple[str, int], str]:
    """``{(target, id): text}`` in one query: a catalog item's name, a document's
    ``document_text(title, number, date)`` ("Заявка № 12 от 22.12.2021")."""
    parts, args = [], []
    for target, ids in sorted(wanted.items()):
        ids = sorted({i for i in ids if i is not None})
        obj = registry.target(target)
        if not ids or obj is None:
            continue
        args.append(ids)
        if target in registry.catalogs:
            parts.append(f"SELECT '{target}' AS t, id, name AS text, NULL::timestamptz AS date"
                         f' FROM "{obj.table}" WHERE id = ANY(${len(args)}::bigint[])')
        else:
            parts.append(f"SELECT '{target}' AS t, id, number AS text, date"
                         f' FROM "{obj.table}" WHERE id = ANY(${len(args)}::bigint[])')
    if not parts:
        return {}
    out = {}
    for r in await conn.fetch(" UNION ALL ".join(parts), *args):
        if r["date"] is None:
            out[(r["t"], r["id"])] = r["text"]
        else:
            day = r["date"].astimezone(tz) if tz else r["date"]
            out[(r["t"], r["id"])] = document_text(registry.documents[r["t"]].title, r["text"], day)
    return out


async def lookup(conn: asyncpg.Connection, registry, target: str, q: str, limit: int = 25,
                 filters: Mapping[str, Any] | None = None, where: str = "") -> list[dict[str, Any]]:
    """Items for a reference picker: unmarked, matching ``q``, best (prefix) matches first.
    ``filters`` are attribute values the items must have; ``where`` is a declared condition
    (a field's ``picker_where``, never request input)."""
    obj = registry.target(target)
    if obj is None:
        raise ValidationError.field("target", f"неизвестный справочник «{target}»")
    prefix = _escape_like(q.strip().lower())[1:]  # "text%": a % or _ typed in q stays literal
    args: list[Any] = [_escape_like(q.strip()), prefix]
    if target in registry.catalogs:
        search = " OR ".join(f"{quote(c)}::text ILIKE $1" for c in obj.searchable)
        extra = ""
        for name, raw in (filters or {}).items():
            args.append(_parse_filter(obj.field(name), raw))
            extra += f" AND {quote(name)} = ${len(args)}"
        price = ", price" if "price" in obj.field_names else ""  # a chosen item fills the line's price
        sql = (f'SELECT id, name AS text, code AS hint{price} FROM "{obj.table}" WHERE NOT deletion_mark'
               f" AND NOT is_group AND ({search}){extra} ORDER BY lower(name) LIKE $2 DESC, lower(name), id"
               f" LIMIT {int(limit)}")
    else:
        extra = f" AND ({where})" if where else ""
        for name, raw in (filters or {}).items():
            args.append(_parse_filter(obj.header_field(name), raw))
            extra += f" AND {quote(name)} = ${len(args)}"
        sql = (f"SELECT id, number AS text, to_char(date, 'DD.MM.YYYY') AS hint FROM \"{obj.table}\""
               f" WHERE NOT deletion_mark AND (number ILIKE $1 OR ltrim(number, '0') LIKE ltrim($2, '0')){extra}"
               f" ORDER BY date DESC, id DESC LIMIT {int(limit)}")
    return [dict(r) for r in await conn.fetch(sql, *args)]


@dataclass(frozen=True)
class Appointment:
    """A Request as a calendar block shows it."""

    id: int
    number: str
    doctor_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    posted: bool
    client: str
    service: str
    status_id: int | None
    status: str
    color: str


async def appointments(conn: asyncpg.Connection, start: dt.datetime, end: dt.datetime,
                       doctor_ids: list[int] | None = None) -> list[Appointment]:
    """Unmarked Requests that overlap ``[start, end)``: posted ones hold the time,
    drafts are shown too, so nobody forgets them."""
    rows = await conn.fetch(
        "SELECT r.id, r.number, r.doctor_id, r.starts_at, r.ends_at, r.posted, coalesce(c.name, '') AS client,"
        " coalesce((SELECT n.name FROM doc_requests_lines l JOIN cat_nomenclature n ON n.id = l.nomenclature_id"
        "   WHERE l.document_id = r.id ORDER BY l.line_no LIMIT 1), '') AS service,"
        " r.visit_status_id, coalesce(s.name, '') AS status, coalesce(s.color, '#4a90d9') AS color"
        " FROM doc_requests r LEFT JOIN cat_clients c ON c.id = r.client_id"
        " LEFT JOIN cat_visit_statuses s ON s.id = r.visit_status_id"
        " WHERE NOT r.deletion_mark AND r.starts_at < $2 AND r.ends_at > $1"
        " AND ($3::bigint[] IS NULL OR r.doctor_id = ANY($3::bigint[])) ORDER BY r.starts_at, r.id",
        start, end, doctor_ids)
    return [Appointment(r["id"], r["number"], r["doctor_id"], r["starts_at"], r["ends_at"], r["posted"],
                        r["client"], r["service"], r["visit_status_id"], r["status"], r["color"]) for r in rows]


async def visit_statuses(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        "SELECT id, name, color, predefined FROM cat_visit_statuses WHERE NOT deletion_mark"
        " ORDER BY sort_order, name, id")]


async def doctors(conn: asyncpg.Connection, ids: Iterable[int] = ()) -> list[dict[str, Any]]:
    """Active doctors, and any others named in ``ids`` (e.g. in an old schedule), by name."""
    return [dict(r) for r in await conn.fetch(
        "SELECT id, name, active FROM cat_doctors WHERE (active AND NOT deletion_mark) OR id = ANY($1::bigint[])"
        " ORDER BY name, id", list(ids))]


def docs_refs(registry, kind: DocumentKind, docs: Iterable[Doc]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = defaultdict(set)
    docs = list(docs)
    collect_refs(registry, kind.header, [d.header for d in docs], wanted)
    collect_refs(registry, kind.lines, [ln for d in docs for ln in d.lines], wanted)
    for d in docs:
        if d.based_on:
            wanted[d.based_on[0]].add(d.based_on[1])
    return wanted


@dataclass(frozen=True)
class Dashboard:
    """What the home page shows: each list is cut to ``limit``, with its full count."""

    appointments: list[Appointment]
    unpaid: list[dict[str, Any]]
    unpaid_count: int
    low_stock: list[dict[str, Any]]
    low_stock_count: int
    names: dict[tuple[str, int], str]


async def dashboard(conn: asyncpg.Connection, registry, day_start: dt.datetime, low_stock_threshold,
                    limit: int = 15) -> Dashboard:
    """Today's posted appointments, invoices not fully paid, and stock at or
    below the threshold."""
    today = [a for a in await appointments(conn, day_start, day_start + dt.timedelta(days=1)) if a.posted]
    unpaid = [i for i in await reports.invoices(conn) if i["status"] != "paid"]
    low = [r for r in await stock.balance(conn) if r["quantity"] <= low_stock_threshold]
    names = await ref_names(conn, registry, {
        "doctors": {a.doctor_id for a in today}, "warehouses": {r["warehouse_id"] for r in low[:limit]},
        "nomenclature": {r["nomenclature_id"] for r in low[:limit]}})
    return Dashboard(today, unpaid[:limit], len(unpaid), low[:limit], len(low), names)


async def working_intervals_on(conn: asyncpg.Connection, days: Iterable[dt.date],
                               doctor_ids: Iterable[int] | None = None) -> dict[tuple[int, dt.date], list]:
    """Each doctor's working intervals on each of ``days`` (the schedule in force:
    the latest posted WorkSchedule per doctor and day), in one query."""
    filters: dict[str, Any] = {"day": sorted(set(days))}
    if doctor_ids is not None:
        filters["doctor_id"] = sorted(set(doctor_ids))
        if not filters["doctor_id"]:
            return {}
    if not filters["day"]:
        return {}
    out: dict[tuple[int, dt.date], list] = {}
    for r in await doctor_schedule.slice_last(conn, FAR_FUTURE, **filters):
        out.setdefault((r["doctor_id"], r["day"]), []).append((r["start_time"], r["end_time"]))
    for intervals in out.values():
        intervals.sort()
    return out
