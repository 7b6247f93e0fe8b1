"""Checking references: every ``ref`` value must name an existing item that
is not marked for deletion. All references of one write are checked in one
query, whatever their number."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import asyncpg

from .errors import ValidationError


async def check_refs(conn: asyncpg.Connection, registry, refs: Iterable[tuple[str, str, int]]) -> None:
    """``refs`` are ``(field path, target name, id)``; raise ValidationError naming
    every bad one."""
    wanted: dict[str, set[int]] = defaultdict(set)
    paths: list[tuple[str, str, int]] = []
    for path, target, value in refs:
        if value is None:
            continue
        wanted[target].add(value)
        paths.append((path, target, value))
    if not wanted:
        return
    parts, args = [], []
    for i, (target, ids) in enumerate(sorted(wanted.items()), start=1):
        obj = registry.target(target)
        if obj is None:
            raise LookupError(f"unknown reference target {target}")
        parts.append(f"SELECT '{target}' AS t, id, deletion_mark FROM \"{obj.table}\""
                     f" WHERE id = ANY(${i}::bigint[])")
        args.append(sorted(ids))
    rows = await conn.fetch(" UNION ALL ".join(parts), *args)
    found = {(r["t"], r["id"]): r["deletion_mark"] for r in rows}
    problems: dict[str, str] = {}
    for path, target, value in paths:
        title = registry.target(target).title
        if (target, value) not in found:
            problems[path] = f"«{title}»: элемент с id {value} не найден"
        elif found[(target, value)]:
            problems[path] = f"«{title}»: элемент с id {value} помечен на удаление"
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Неверные ссылки — {summary}", code="bad_reference",
                              details={"fields": problems})
