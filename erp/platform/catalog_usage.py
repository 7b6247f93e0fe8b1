"""Where a catalog item is used: the documents that name it in their header or lines, and the
documents whose register movements carry it. The registry knows every such column, so no
catalog lists its users by hand.

:func:`ensure_unused` is the rule "catalog changes cannot rewrite history": an attribute
declared ``Field(fixed_once_used=True)`` (e.g. whether an item is goods or a service) may not
change, and an item may not be deleted, once documents use it: 409 ``item_in_use`` naming them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from .errors import Conflict
from .fields import quote

SHOWN = 10  # documents named in a refusal


async def catalog_usage(conn: asyncpg.Connection, registry, catalog_name: str, item_id: int,
                        limit: int = SHOWN) -> list[dict[str, Any]]:
    """Up to ``limit`` documents using item ``item_id`` of ``catalog_name``, newest first:
    ``[{"kind", "title", "id", "number", "date", "posted"}]``."""
    tables = {kind.table: kind.name for kind in registry.documents.values()}
    tables |= {kind.lines_table: kind.name for kind in registry.documents.values() if kind.lines}
    movements = {reg.movements_table for reg in [*registry.registers.values(), *registry.info_registers.values()]}
    parts = []
    for table, column, owner in registry.referrers(catalog_name):
        if table in tables:
            parts.append(f"SELECT '{tables[table]}'::text AS kind, {quote(owner)} AS id"
                         f' FROM "{table}" WHERE {quote(column)} = $1')
        elif table in movements:
            parts.append(f'SELECT recorder_kind::text, recorder_id FROM "{table}"'
                         f" WHERE {quote(column)} = $1 AND recorder_id IS NOT NULL")
    if not parts:
        return []
    users: dict[str, set[int]] = {}
    for row in await conn.fetch(" UNION ".join(parts), item_id):
        if row["kind"] in registry.documents:
            users.setdefault(row["kind"], set()).add(row["id"])
    if not users:
        return []
    heads = " UNION ALL ".join(
        f"SELECT '{name}'::text AS kind, id, number, date, posted FROM \"{registry.documents[name].table}\""
        f" WHERE id = ANY(${i}::bigint[])" for i, name in enumerate(users, start=1))
    rows = await conn.fetch(f"SELECT * FROM ({heads}) u ORDER BY date DESC, id DESC LIMIT {int(limit)}",
                            *[sorted(ids) for ids in users.values()])
    return [{"kind": r["kind"], "title": registry.documents[r["kind"]].title, "id": r["id"],
             "number": r["number"], "date": r["date"], "posted": r["posted"]} for r in rows]


def presentation(doc: dict[str, Any], tz: dt.tzinfo | None = None) -> str:
    """«Оказание услуг № 12 от 05.12.2026», as 1C names a document."""
    number = doc["number"].lstrip("0") or doc["number"]
    date = doc["date"].astimezone(tz) if tz else doc["date"]
    return f"{doc['title']} № {number} от {date:%d.%m.%Y}"


async def ensure_unused(conn: asyncpg.Connection, registry, catalog, item: dict[str, Any], what: str,
                        tz: dt.tzinfo | None = None) -> None:
    """Refuse ``what`` (e.g. "изменить вид") on ``item`` when documents use it: 409 ``item_in_use``."""
    users = await catalog_usage(conn, registry, catalog.name, item["id"], limit=SHOWN + 1)
    if not users:
        return
    named = "; ".join(presentation(u, tz) for u in users[:SHOWN]) + ("; …" if len(users) > SHOWN else "")
    raise Conflict(f"«{item['name']}» уже используется в документах, нельзя {what}: {named}",
                   code="item_in_use",
                   details={"item_id": item["id"],
                            "documents": [{**u, "date": u["date"].isoformat()} for u in users[:SHOWN]]})
