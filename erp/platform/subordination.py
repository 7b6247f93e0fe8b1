"""Структура подчинённости: what a document was based on, and what was
based on it, transitively, across every document kind."""

from __future__ import annotations

from typing import Any

import asyncpg

from .document_store import load


async def _children(conn: asyncpg.Connection, registry, parents: list[tuple[str, int]]) -> list[dict]:
    if not parents:
        return []
    kinds = [k for k, _ in parents]
    ids = [i for _, i in parents]
    parts = [
        f"SELECT '{kind.name}' AS kind, d.id, d.number, d.date, d.posted, d.deletion_mark,"
        f" d.based_on_kind, d.based_on_id FROM \"{kind.table}\" d"
        " JOIN unnest($1::text[], $2::bigint[]) AS p(k, i) ON d.based_on_kind = p.k AND d.based_on_id = p.i"
        for kind in registry.documents.values()
    ]
    return [dict(r) for r in await conn.fetch(" UNION ALL ".join(parts) + " ORDER BY date, id", kinds, ids)]


def _node(kind_name: str, registry, row: dict) -> dict:
    return {"kind": kind_name, "title": registry.documents[kind_name].title, "id": row["id"],
            "number": row["number"], "date": row["date"], "posted": row["posted"],
            "deletion_mark": row["deletion_mark"], "children": []}


async def structure(conn: asyncpg.Connection, registry, kind_name: str, doc_id: int) -> dict:
    """``{"ancestors": [root … parent], "tree": node with nested children}``."""
    kind = registry.documents[kind_name]
    doc, _ = await load(conn, kind, doc_id)
    ancestors: list[dict[str, Any]] = []
    seen = {(kind_name, doc_id)}
    base = doc.based_on
    while base and base not in seen and base[0] in registry.documents:
        seen.add(base)
        parent, _ = await load(conn, registry.documents[base[0]], base[1])
        ancestors.insert(0, {"kind": parent.kind, "title": registry.documents[parent.kind].title,
                             "id": parent.id, "number": parent.number, "date": parent.date,
                             "posted": parent.posted, "deletion_mark": parent.deletion_mark})
        base = parent.based_on
    root = {"kind": kind_name, "title": kind.title, "id": doc.id, "number": doc.number, "date": doc.date,
            "posted": doc.posted, "deletion_mark": doc.deletion_mark, "children": []}
    level = {(kind_name, doc_id): root}
    while level:
        rows = await _children(conn, registry, list(level))
        next_level = {}
        for row in rows:
            key = (row["kind"], row["id"])
            if key in seen:
                continue
            seen.add(key)
            node = _node(row["kind"], registry, row)
            level[(row["based_on_kind"], row["based_on_id"])]["children"].append(node)
            next_level[key] = node
        level = next_level
    return {"ancestors": ancestors, "tree": root}
