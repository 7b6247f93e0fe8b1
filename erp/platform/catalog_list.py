"""Списки справочников: a catalog's items as a list, and the choices of a reference picker.

The REST API (``GET /api/catalogs/{catalog}``) and the UI's list form read the same
function with the same filters: the search text (name, code and the catalog's
searchable attributes, each letter as typed), the deletion mark, the group
(``parent_id``; ``null`` for the top level) and any declared attribute, in any
sortable column's order, a keyset page at a time (:mod:`.listing`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from .catalog import Catalog
from .catalog_service import PARENT
from .errors import ValidationError
from .fields import Field, quote
from .listing import SORTABLE_TYPES, Key, Page, Where, choose_sort, field_key, field_value, page

ID = Key("id", int)
TOP_LEVEL = ("", "null", "none")


def sorts(catalog: Catalog) -> dict[str, Key]:
    """The columns a catalog's list can be ordered by."""
    return {"name": Key("name", str), "code": Key("code", str),
            **{f.name: field_key(f) for f in catalog.fields if f.type in SORTABLE_TYPES}}


def _field(catalog: Catalog, name: str) -> Field:
    try:
        return catalog.field(name)
    except KeyError:
        raise ValidationError.field(name, "неизвестный фильтр") from None


def _search(where: Where, catalog: Catalog, q: str) -> None:
    like = where.like(q)
    where.any_of(like.contains(f"{quote(c)}::text") for c in catalog.searchable)


async def list_items(conn: asyncpg.Connection, catalog: Catalog, *, q: str = "", deletion_mark: bool | None = None,
                     filters: Mapping[str, Any] | None = None, sort: str = "name", descending: bool = False,
                     limit: int = 50, after: str | None = None, before: str | None = None) -> Page[dict[str, Any]]:
    """One page of the catalog's items; ``filters`` are attribute values as typed (``parent_id``
    of a hierarchical catalog: the group, ``null`` for the top level)."""
    order = choose_sort(sorts(catalog), sort, descending, ID)
    where = Where()
    if q.strip():
        _search(where, catalog, q.strip())
    if deletion_mark is not None:
        where.equals("deletion_mark", deletion_mark)
    for name, raw in (filters or {}).items():
        if name == "parent_id" and catalog.hierarchical:
            if raw is None or str(raw).strip().lower() in TOP_LEVEL:
                where.conditions.append("parent_id IS NULL")
            else:
                where.equals("parent_id", field_value(PARENT, raw))
            continue
        where.equals(quote(name), field_value(_field(catalog, name), raw))
    return await page(conn, f'"{catalog.table}"', "*", where, order, limit=limit, after=after, before=before)


async def choices(conn: asyncpg.Connection, catalog: Catalog, q: str, *, filters: Mapping[str, Any] | None = None,
                  limit: int = 25) -> list[dict[str, Any]]:
    """A picker's options: unmarked items (not groups) matching ``q`` as the list searches it,
    those whose name starts with it first; ``filters`` are attribute values they must have."""
    where = Where(["NOT deletion_mark", "NOT is_group"])
    text = q.strip()
    _search(where, catalog, text)
    for name, raw in (filters or {}).items():
        where.equals(quote(name), field_value(_field(catalog, name), raw))
    price = ", price" if "price" in catalog.field_names else ""  # a chosen item fills the line's price
    first = where.like(text).starts("name")
    sql = (f'SELECT id, name AS text, code AS hint{price} FROM "{catalog.table}"{where.sql}'
           f" ORDER BY {first} DESC, lower(name), id LIMIT {int(limit)}")
    return [dict(r) for r in await conn.fetch(sql, *where.args)]
