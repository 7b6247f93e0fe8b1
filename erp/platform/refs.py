"""Checking references: every ``ref`` value must name an existing item that
is not marked for deletion. All references of one write are checked in one
query, whatever their number; a document's check rides along with its
posting's read (:func:`found_sql`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg
import msgspec

from .errors import ValidationError
from .posting.sqlnames import Params, by_ids, ident, literal

Ref = tuple[str, Any, Any]  # (field path, target name, id)


class Refs(msgspec.Struct, frozen=True):
    """The references of one write: the ids wanted per target and the paths to judge."""

    wanted: dict[str, list[int]]
    paths: list[tuple[str, str, int]]


def refs_of(refs: Iterable[Ref]) -> Refs | None:
    """``refs`` without the empty ones; None when nothing is referenced."""
    wanted: dict[str, set[int]] = {}
    paths: list[tuple[str, str, int]] = []
    for path, target, value in refs:
        if value is None or target is None:
            continue
        wanted.setdefault(target, set()).add(value)
        paths.append((path, target, value))
    if not wanted:
        return None
    return Refs({t: sorted(ids) for t, ids in sorted(wanted.items())}, paths)


def found_sql(registry, refs: Refs, p: Params) -> str:
    """An expression giving the referenced items found, as JSON text of ``[target, id, deletion_mark]``;
    its parameters are named ``refs.<n>`` (see :func:`found_values`)."""
    parts = []
    for i, target in enumerate(refs.wanted):
        obj = registry.target(target)
        if obj is None:
            raise LookupError(f"unknown reference target {target}")
        # each id by the primary key (see erp.platform.posting.sqlnames.by_ids)
        parts.append(f"SELECT {literal(target)} AS t, x.id, x.deletion_mark FROM {by_ids(p(f'refs.{i}', 'bigint[]'))}"
                     f" CROSS JOIN LATERAL (SELECT id, deletion_mark FROM {ident(obj.table)} WHERE id = u.id LIMIT 1)"
                     " AS x")
    return f"(SELECT json_agg(json_build_array(t, id, deletion_mark)) FROM ({' UNION ALL '.join(parts)}) AS r)::text"


def found_values(refs: Refs) -> dict[str, list[int]]:
    return {f"refs.{i}": ids for i, ids in enumerate(refs.wanted.values())}


def raise_bad_refs(registry, refs: Refs, found: str | None) -> None:
    """ValidationError naming every ref that ``found`` (:func:`found_sql`'s JSON) lacks or has marked."""
    marks = {(t, i): mark for t, i, mark in msgspec.json.decode(found or "[]")}
    problems: dict[str, str] = {}
    for path, target, value in refs.paths:
        title = registry.target(target).title
        if (target, value) not in marks:
            problems[path] = f"«{title}»: элемент с id {value} не найден"
        elif marks[(target, value)]:
            problems[path] = f"«{title}»: элемент с id {value} помечен на удаление"
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Неверные ссылки — {summary}", code="bad_reference",
                              details={"fields": problems})


async def check_refs(conn: asyncpg.Connection, registry, refs: Iterable[Ref]) -> None:
    """``refs`` are ``(field path, target name, id)``; raise ValidationError naming every bad one."""
    wanted = refs_of(refs)
    if wanted is not None:
        p = Params()
        sql = "SELECT " + found_sql(registry, wanted, p)
        values = found_values(wanted)
        raise_bad_refs(registry, wanted, await conn.fetchval(sql, *[values[n] for n in p.names]))
