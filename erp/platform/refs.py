"""Checking references: every ``ref`` value must name an existing item that
is not marked for deletion. All references of one write are checked in one
query, whatever their number; a new document's check rides along with its
other reads (:func:`refs_lookup`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import asyncpg

from .errors import ValidationError


def refs_lookup(registry, refs: Iterable[tuple[str, str, int]], first_arg: int = 1
                ) -> tuple[str, list[Any], list[tuple[str, str, int]]] | None:
    """The query finding the referenced items, ``(t, id, deletion_mark)`` rows, with its
    arguments (numbered from ``first_arg``) and the refs to judge; None when nothing is referenced."""
    wanted: dict[str, set[int]] = defaultdict(set)
    paths: list[tuple[str, str, int]] = []
    for path, target, value in refs:
        if value is None:
            continue
        wanted[target].add(value)
        paths.append((path, target, value))
    if not wanted:
        return None
    parts, args = [], []
    for i, (target, ids) in enumerate(sorted(wanted.items()), start=first_arg):
        obj = registry.target(target)
        if obj is None:
            raise LookupError(f"unknown reference target {target}")
        parts.append(f"SELECT '{target}' AS t, id, deletion_mark FROM \"{obj.table}\""
                     f" WHERE id = ANY(${i}::bigint[])")
        args.append(sorted(ids))
    return " UNION ALL ".join(parts), args, paths


def raise_bad_refs(registry, paths: Iterable[tuple[str, str, int]], found: Iterable[tuple[str, int, bool]]) -> None:
    """ValidationError naming every ref of ``paths`` that ``found`` (the lookup's rows) lacks or has marked."""
    marks = {(t, i): mark for t, i, mark in found}
    problems: dict[str, str] = {}
    for path, target, value in paths:
        title = registry.target(target).title
        if (target, value) not in marks:
            problems[path] = f"«{title}»: элемент с id {value} не найден"
        elif marks[(target, value)]:
            problems[path] = f"«{title}»: элемент с id {value} помечен на удаление"
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Неверные ссылки — {summary}", code="bad_reference",
                              details={"fields": problems})


async def check_refs(conn: asyncpg.Connection, registry, refs: Iterable[tuple[str, str, int]]) -> None:
    """``refs`` are ``(field path, target name, id)``; raise ValidationError naming
    every bad one."""
    lookup = refs_lookup(registry, refs)
    if lookup is not None:
        sql, args, paths = lookup
        raise_bad_refs(registry, paths, [(r["t"], r["id"], r["deletion_mark"]) for r in await conn.fetch(sql, *args)])
