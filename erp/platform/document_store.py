"""Reading and storing documents: header and lines, set-based.

A whole tabular section is written with one statement (``unnest`` of typed
arrays) whatever its length.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from .document import Doc, DocumentKind
from .errors import NotFound
from .fields import quote
from .hook_sql import HookStatement, spliced
from .numbering import next_number_cte, number_sql
from .refs import raise_bad_refs, refs_lookup
from .register import AccumulationRegister, Movement
from .register_balances import balances_from, balances_lookup
from .register_write import (
    SHORTAGE,
    checked_write_parts,
    raise_if_short,
    shortfalls_of,
    write_arguments,
    write_parts,
)

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
               based_on=based)


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


async def lock_for_new(conn: asyncpg.Connection, kind: DocumentKind,
                       header: Mapping[str, Any]) -> dt.date | None:
    org = header.get(kind.organization_field) if kind.organization_field else None
    keys = ["period_lock"] + ([f"period_lock:organization:{org}"] if org else [])
    dates = await conn.fetchval(
        "SELECT array_agg(value->>'date') FROM constants WHERE key = ANY($1::text[])", keys)
    return lock_date({"lock_dates": dates})


@dataclass(frozen=True)
class NewDocument:
    """What a new document's first read found (see :func:`prepare_new`)."""

    lock: dt.date | None
    prefix: str
    id: int
    balances: Mapping[str, Mapping[tuple[Any, ...], Mapping[str, Any]]]
    context: Mapping[str, Any] | None


async def prepare_new(conn: asyncpg.Connection, registry, kind: DocumentKind, header: Mapping[str, Any],
                      prefix_from: tuple[str, str, int] | None, refs: Sequence[tuple[str, str, int]],
                      balances: Mapping[AccumulationRegister, Sequence[Mapping[str, Any]]] | None = None,
                      context: Callable[[int], tuple[Mapping[str, str], Sequence[Any]]] | None = None
                      ) -> NewDocument:
    """For a new document, in one round trip: its references checked (see
    :func:`~erp.platform.refs.check_refs`), the lock date in force, the number
    prefix (``prefix_from`` is (catalog table, attribute, item id)), its id,
    the current ``balances`` of the keys its posting rule may ask for
    (``{register: [key dicts]}``), by register name, and the posting rule's
    ``context`` (``context(first_arg) -> ({name: SQL expression}, arguments)``),
    its values by name."""
    org = header.get(kind.organization_field) if kind.organization_field else None
    args: list[Any] = [["period_lock"] + ([f"period_lock:organization:{org}"] if org else [])]
    prefix = "NULL::text"
    if prefix_from:
        args.append(prefix_from[2])
        prefix = f'(SELECT {quote(prefix_from[1])} FROM "{prefix_from[0]}" WHERE id = $2)'
    lookup = refs_lookup(registry, refs, first_arg=len(args) + 1)
    found = "NULL::text"
    if lookup is not None:
        found = f"(SELECT json_agg(json_build_array(t, id, deletion_mark)) FROM ({lookup[0]}) AS r)::text"
        args += lookup[1]
    reads = []
    for register, keys in (balances or {}).items():
        read = balances_lookup(register, keys, len(args) + 1)
        if read is not None:
            reads.append((register, read[0], read[2]))
            args += read[1]
    columns = "".join(f", {sql} AS b{i}" for i, (_, sql, _) in enumerate(reads))
    names: list[str] = []
    if context is not None:
        expressions, context_args = context(len(args) + 1)
        names = list(expressions)
        columns += "".join(f", {sql} AS c{i}" for i, sql in enumerate(expressions.values()))
        args += context_args
    row = await conn.fetchrow(
        "SELECT (SELECT array_agg(value->>'date') FROM constants WHERE key = ANY($1::text[])) AS lock_dates,"
        f" {prefix} AS prefix, nextval(pg_get_serial_sequence('\"{kind.table}\"', 'id')) AS id, {found} AS refs"
        + columns, *args)
    if lookup is not None:
        raise_bad_refs(registry, lookup[2], msgspec.json.decode(row["refs"] or "[]"))
    return NewDocument(lock_date(row), row["prefix"] or "", row["id"],
                       {reg.name: balances_from(reg, unique, row[f"b{i}"]) for i, (reg, _, unique) in enumerate(reads)},
                       {name: row[f"c{i}"] for i, name in enumerate(names)} if context is not None else None)


_SQL: weakref.WeakKeyDictionary[DocumentKind, dict[tuple, Any]] = weakref.WeakKeyDictionary()


def _cached(kind: DocumentKind, key: tuple, build: Callable[[], Any]) -> Any:
    """A statement's text built once per kind and shape (asyncpg then finds its prepared statement)."""
    known = _SQL.setdefault(kind, {})
    if key not in known:
        known[key] = build()
    return known[key]


def _insert_arguments(kind: DocumentKind, *, doc_id: int, prefix: str, year: int, date: dt.datetime,
                      header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]],
                      based_on: tuple[str, int] | None, author_id: int | None, posted: bool) -> list[Any]:
    """``$1`` kind, ``$2`` prefix, ``$3`` year, ``$4`` id, the header's values, then the lines' arrays."""
    args = [kind.name, prefix, year, doc_id, date, based_on[0] if based_on else None,
            based_on[1] if based_on else None, author_id, posted, *header.values()]
    if kind.lines and lines:
        args.append(list(range(1, len(lines) + 1)))
        args += [[ln.get(f.name) for ln in lines] for f in kind.lines]
    return args


def _insert_ctes(kind: DocumentKind, header: Sequence[str], with_lines: bool) -> str:
    """``doc`` (the header numbered from ``num.last``) and ``lines``, over :func:`_insert_arguments`."""
    cols = ["id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id",
            "author_id", "posted", *header]
    values = ["$4", number_sql("$2", kind.number_width), "$2", "$3", *(f"${i}" for i in range(5, len(cols) + 1))]
    sql = (f'doc AS (INSERT INTO "{kind.table}" ({", ".join(map(quote, cols))}) SELECT {", ".join(values)}'
           " FROM num RETURNING id, number)")
    if with_lines:
        types = ["int"] + [f.sql_type for f in kind.lines]
        unnest = ", ".join(f"${len(cols) + 1 + i}::{t}[]" for i, t in enumerate(types))
        names = ", ".join(quote(f.name) for f in kind.lines)
        sql += (f', lines AS (INSERT INTO "{kind.lines_table}" (document_id, line_no, {names})'
                f" SELECT doc.id, u.* FROM doc, unnest({unnest}) AS u)")
    return sql


def _arguments_end(kind: DocumentKind, header: Sequence[str], with_lines: bool) -> int:
    return 9 + len(header) + (1 + len(kind.lines) if with_lines else 0)


async def insert_new(conn: asyncpg.Connection, kind: DocumentKind, *, doc_id: int, prefix: str, year: int,
                     date: dt.datetime, header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]],
                     based_on: tuple[str, int] | None, author_id: int | None, posted: bool,
                     movements: Sequence[tuple[AccumulationRegister, Sequence[Movement]]] = ()) -> str:
    """Number the document and insert it with its lines and, when it is posted,
    its ``movements`` (with the registers' totals, see
    :func:`~erp.platform.register_write.write_registers`): one statement whatever
    the number of lines. The counter's row stays locked to the end of the
    transaction (gapless numbers), so this comes as late in it as the posting allows."""
    names, with_lines = tuple(header), bool(kind.lines and lines)
    registers = tuple(register for register, _ in movements)

    def build() -> str:
        sql = f"WITH {next_number_cte('$1', '$2', '$3')}, {_insert_ctes(kind, names, with_lines)}"
        remembers: list[str] = []
        if registers:
            ctes, remembers = write_parts(registers, _arguments_end(kind, names, with_lines) + 1, ("$1", "$4"))
            sql += f", {ctes}"
        return sql + " SELECT (SELECT number FROM doc)" + "".join(f", {r}" for r in remembers)

    sql = _cached(kind, ("new", names, with_lines, tuple(r.name for r in registers)), build)
    args = _insert_arguments(kind, doc_id=doc_id, prefix=prefix, year=year, date=date, header=header, lines=lines,
                             based_on=based_on, author_id=author_id, posted=posted)
    return await conn.fetchval(sql, *args, *write_arguments(movements))


async def insert_posted(conn: asyncpg.Connection, kind: DocumentKind, *, doc_id: int, prefix: str, year: int,
                        date: dt.datetime, header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]],
                        based_on: tuple[str, int] | None, author_id: int | None,
                        movements: Sequence[tuple[AccumulationRegister, Sequence[Movement]]],
                        hooks: Sequence[HookStatement] = ()) -> str:
    """Post a new document in one statement: its ``movements`` with the registers'
    totals, balance control over them ("write, then check", see
    :func:`~erp.platform.register_write.checked_write_parts`), the number, the
    posted header and the lines, then the ``hooks``' rows (see :mod:`~erp.platform.hook_sql`).
    The counter's row is locked after every write of the registers and stays
    locked to the end of the transaction (gapless numbers): on its own (no
    transaction open) the statement is the transaction. Something short makes
    the server refuse the whole statement (``erp_balance_shortage()``), raised
    here as :class:`~erp.platform.register_write.BalanceShortage`."""
    names, with_lines = tuple(header), bool(kind.lines and lines)
    registers = tuple(register for register, _ in movements)
    end = _arguments_end(kind, names, with_lines)

    def build() -> tuple[str, dict[str, str]]:
        ctes, written, short, titles = checked_write_parts(registers, end + 1, ("$1", "$4"))
        gate = f"({written}) >= 0"
        if short is not None:
            ctes += f", short AS ({short})"
            gate = f"CASE WHEN {gate} THEN NOT EXISTS (SELECT FROM short) ELSE false END"
        sql = (f"WITH {ctes}, num AS (INSERT INTO document_counters (kind, prefix, year, last)"
               f" SELECT $1, $2, $3, 1 WHERE {gate}"
               " ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),"
               f" {_insert_ctes(kind, names, with_lines)}")
        hook_ctes, evaluate, _ = spliced(hooks, end + len(write_arguments(movements)) + 1)
        if hook_ctes:
            sql += f", {hook_ctes}"
        # The number first, the shortfalls after it, both in the select list: a main query that
        # scanned the shortfalls would run the controlled registers' upserts ahead of the others,
        # and then a new document and a re-posted one lock shared totals in opposite orders.
        sql += " SELECT (SELECT number FROM doc) AS number"
        if short is not None:
            sql += (", erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource,"
                    " s.balance::text, s.required::text, s.zero_with) ORDER BY s.register, s.dims, s.resource)"
                    " FROM short AS s)) AS short")
        return sql + "".join(f", {e}" for e in evaluate), titles

    shape = tuple(h.shape() for h in hooks)
    sql, titles = _cached(kind, ("posted", names, with_lines, tuple(r.name for r in registers), shape), build)
    args = [*_insert_arguments(kind, doc_id=doc_id, prefix=prefix, year=year, date=date, header=header, lines=lines,
                               based_on=based_on, author_id=author_id, posted=True), *write_arguments(movements),
            *(a for h in hooks for a in h.args)]
    try:
        return await conn.fetchval(sql, *args)
    except asyncpg.PostgresError as exc:
        if exc.sqlstate != SHORTAGE:
            raise
        fields = ("register", "dims", "resource", "balance", "required", "zero_with")
        rows = [dict(zip(fields, s, strict=True)) for s in msgspec.json.decode(exc.detail)]
        for row in rows:
            row["balance"], row["required"] = Decimal(row["balance"]), Decimal(row["required"])
        raise_if_short(shortfalls_of(rows, titles))
        raise


async def load_many(conn: asyncpg.Connection, kind: DocumentKind, ids: Sequence[int]) -> list[Doc]:
    lines_sql = (f', ARRAY(SELECT l FROM "{kind.lines_table}" l WHERE l.document_id = d.id'
                 " ORDER BY l.line_no) AS lines") if kind.lines else ""
    rows = await conn.fetch(f'SELECT d.*{lines_sql} FROM "{kind.table}" d WHERE d.id = ANY($1::bigint[])',
                            list(ids))
    by_id = {r["id"]: to_doc(kind, r, r["lines"] if kind.lines else ()) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


async def update_header(conn: asyncpg.Connection, kind: DocumentKind, doc_id: int, date: dt.datetime,
                        header: Mapping[str, Any]) -> None:
    sets = ", ".join(f"{quote(c)} = ${i}" for i, c in enumerate(header, start=3))
    extra = f", {sets}" if sets else ""
    sql = f'UPDATE "{kind.table}" SET date = $2, updated_at = now(){extra} WHERE id = $1'
    await conn.execute(sql, doc_id, date, *header.values())


async def replace_lines(conn: asyncpg.Connection, kind: DocumentKind, doc_id: int,
                        lines: Sequence[Mapping[str, Any]], *, had_lines: bool = True) -> None:
    """Replace the tabular section: at most two statements, whatever its length."""
    if not kind.lines:
        return
    if had_lines:
        await conn.execute(f'DELETE FROM "{kind.lines_table}" WHERE document_id = $1', doc_id)
    if not lines:
        return
    cols = [f.name for f in kind.lines]
    arrays = [list(range(1, len(lines) + 1))] + [[ln.get(c) for ln in lines] for c in cols]
    types = ["int"] + [f.sql_type for f in kind.lines]
    unnest = ", ".join(f"${i + 2}::{t}[]" for i, t in enumerate(types))
    await conn.execute(
        f'INSERT INTO "{kind.lines_table}" (document_id, line_no, {", ".join(map(quote, cols))})'
        f" SELECT $1, * FROM unnest({unnest})", doc_id, *arrays)


async def set_flags(conn: asyncpg.Connection, kind: DocumentKind, doc_id: int, **flags: bool) -> None:
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(flags, start=2))
    await conn.execute(f'UPDATE "{kind.table}" SET {sets}, updated_at = now() WHERE id = $1',
                       doc_id, *flags.values())
