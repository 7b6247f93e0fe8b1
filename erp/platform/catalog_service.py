"""Working with catalog items: create, change, read, mark, purge (lists: :mod:`.catalog_list`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from . import audit, catalog_parts
from .catalog import Catalog
from .catalog_usage import ensure_unused
from .errors import Conflict, NotFound, ValidationError
from .fields import Field, FieldError, quote
from .numbering import next_value
from .refs import check_refs

PARENT = Field("parent_id", "ref", "Группа", ref="(parent)")


def parse_item(catalog: Catalog, data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate ``data`` against the declaration; raise one ValidationError naming
    every bad field."""
    known = {"name", "parent_id", "is_group", *catalog.field_names, *(p.name for p in catalog.parts)}
    problems: dict[str, str] = {}
    for key in data:
        if key not in known and key not in ("id", "code", "deletion_mark", "predefined"):
            problems[key] = "неизвестное поле"
    out: dict[str, Any] = {}
    # the name is derived from the other fields when the catalog can and the input gives none
    derive = None if partial or str(data.get("name") or "").strip() else catalog.derive_name
    derived_name = derive is not None
    if ("name" in data or not partial) and not derived_name:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            problems["name"] = "наименование не заполнено"
        elif len(name.strip()) > catalog.name_max_length:
            problems["name"] = f"не длиннее {catalog.name_max_length} символов"
        else:
            out["name"] = name.strip()
    if catalog.hierarchical:
        if "parent_id" in data:
            try:
                out["parent_id"] = PARENT.parse(data["parent_id"])
            except FieldError as exc:
                problems["parent_id"] = str(exc)
        if "is_group" in data:
            if isinstance(data["is_group"], bool):
                out["is_group"] = data["is_group"]
            else:
                problems["is_group"] = "ожидается true или false"
    elif data.get("parent_id") is not None or data.get("is_group"):
        problems["parent_id"] = "справочник не иерархический"
    for f in catalog.fields:
        if f.name not in data:
            if not partial and f.required and f.default is None:
                problems[f.name] = "обязательное поле не заполнено"
            elif not partial:
                out[f.name] = f.default if f.default is not None else f.parse(None)
            continue
        try:
            out[f.name] = f.parse(data[f.name])
        except FieldError as exc:
            problems[f.name] = str(exc)
    for part in catalog.parts:
        if part.name in data:
            out[part.name] = catalog_parts.parse_rows(part, data[part.name], problems)
    if derive is not None and not problems:
        out["name"] = derive(out)[:catalog.name_max_length]
    if catalog.check and not partial:
        # the cross-field rules too, over what parsed: one answer names every bad field
        for key, message in catalog.check(out).items():
            problems.setdefault(key, message)
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Неверные данные — {summary}", details={"fields": problems})
    return out


def _refs(catalog: Catalog, values: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    refs: list[tuple[str, str, int]] = catalog_parts.refs(catalog, values)
    for f in catalog.fields:
        value = values.get(f.name)
        if f.type == "ref" and f.ref is not None and value is not None:  # a ref always names its target
            refs.append((f.name, f.ref, value))
    if catalog.hierarchical and values.get("parent_id") is not None:
        refs.append(("parent_id", catalog.name, values["parent_id"]))
    return refs


def _row(record: asyncpg.Record | None) -> dict[str, Any]:
    if record is None:
        raise NotFound("Элемент справочника не найден")
    return dict(record)


async def create(conn: asyncpg.Connection, registry, catalog: Catalog, data: Mapping[str, Any]) -> dict:
    values = parse_item(catalog, data, partial=False)
    async with conn.transaction():
        await check_refs(conn, registry, _refs(catalog, values))
        await check_hierarchy(conn, catalog, None, values)
        await _check_parts(conn, registry, catalog, None, values, values)
        parts = {p.name: values.pop(p.name) for p in catalog.parts if p.name in values}
        cols = list(values)
        code = str(await next_value(conn, catalog.counter_kind)).zfill(catalog.code_width)
        placeholders = ", ".join(f"${i}" for i in range(2, len(cols) + 2))
        sql = (f'INSERT INTO "{catalog.table}" (code, {", ".join(map(quote, cols))}) VALUES ($1, {placeholders})'
               " RETURNING *")
        row = _row(await conn.fetchrow(sql, code, *values.values()))
        if parts:
            await catalog_parts.write(conn, catalog, row["id"], parts)
            row |= await catalog_parts.read(conn, catalog, row["id"])
        await _audit(conn, "create", catalog, None, row)
        return row


async def get(conn: asyncpg.Connection, catalog: Catalog, item_id: int) -> dict:
    """The item with the rows of its tabular parts."""
    row = _row(await conn.fetchrow(f'SELECT * FROM "{catalog.table}" WHERE id = $1', item_id))
    if catalog.parts:
        row |= await catalog_parts.read(conn, catalog, item_id)
    return row


async def _check_parts(conn: asyncpg.Connection, registry, catalog: Catalog, item_id: int | None,
                       merged: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """The tabular parts' rules (:mod:`.catalog_parts`) on the item as it will be: one error naming every row."""
    problems: dict[str, str] = {}
    await catalog_parts.check_rows(conn, registry, catalog, item_id, values, problems)
    for part in catalog.parts:
        if part.check is not None:
            for key, message in part.check(merged, merged.get(part.name) or ()).items():
                problems.setdefault(key, message)
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Неверные данные — {summary}", details={"fields": problems})


async def get_predefined(conn: asyncpg.Connection, catalog: Catalog, key: str) -> dict:
    return _row(await conn.fetchrow(f'SELECT * FROM "{catalog.table}" WHERE predefined = $1', key))


async def update(conn: asyncpg.Connection, registry, catalog: Catalog, item_id: int,
                 data: Mapping[str, Any], tz=None) -> dict:
    values = parse_item(catalog, data, partial=True)
    async with conn.transaction():
        current = _row(await conn.fetchrow(
            f'SELECT * FROM "{catalog.table}" WHERE id = $1 FOR UPDATE', item_id))
        if catalog.parts:
            current |= await catalog_parts.read(conn, catalog, item_id)
            await _check_parts(conn, registry, catalog, item_id, {**current, **values}, values)
        if catalog.check:
            merged = {**current, **values}
            problems = dict(catalog.check(merged))
            if problems:
                summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
                raise ValidationError(f"Неверные данные — {summary}", details={"fields": problems})
        await check_refs(conn, registry, _refs(catalog, values))
        await check_hierarchy(conn, catalog, current, values)
        fixed = [f for f in catalog.fields if f.fixed_once_used and f.name in values
                 and values[f.name] != current[f.name]]
        if fixed:
            await ensure_unused(conn, registry, catalog, current,
                                "изменить " + ", ".join(f"«{f.label}»" for f in fixed), tz=tz)
        parts = {p.name: values.pop(p.name) for p in catalog.parts if p.name in values}
        if not values and not parts:
            return current
        sets = "".join(f"{quote(c)} = ${i}, " for i, c in enumerate(values, start=2))
        sql = f'UPDATE "{catalog.table}" SET {sets}updated_at = now() WHERE id = $1 RETURNING *'
        row = _row(await conn.fetchrow(sql, item_id, *values.values()))
        if catalog.parts:
            await catalog_parts.write(conn, catalog, item_id, parts)
            row |= await catalog_parts.read(conn, catalog, item_id)
        await _audit(conn, "update", catalog, current, row)
        return row


def _hierarchy_error(field: str, message: str) -> ValidationError:
    return ValidationError.field(field, message, code="invalid_hierarchy")


async def check_hierarchy(conn: asyncpg.Connection, catalog: Catalog, current: Mapping[str, Any] | None,
                          values: Mapping[str, Any]) -> None:
    """The tree stays a tree: a parent is a group, never the item itself or one of its
    descendants, and a group with children stays a group (ValidationError ``invalid_hierarchy``)."""
    if not catalog.hierarchical:
        return
    item_id = current["id"] if current else None
    parent_id = values.get("parent_id")
    if parent_id is not None and (current is None or parent_id != current.get("parent_id")):
        if parent_id == item_id:
            raise _hierarchy_error("parent_id", "элемент не может быть родителем самого себя")
        parent = await conn.fetchrow(f'SELECT is_group FROM "{catalog.table}" WHERE id = $1', parent_id)
        if parent is not None and not parent["is_group"]:
            raise _hierarchy_error("parent_id", "родителем может быть только группа, а не элемент")
        if item_id is not None:
            cycle = await conn.fetchval(
                f'WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM "{catalog.table}" WHERE id = $1'
                f' UNION SELECT c.id, c.parent_id FROM "{catalog.table}" c JOIN up ON c.id = up.parent_id)'
                " SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)", parent_id, item_id)
            if cycle:
                raise _hierarchy_error("parent_id", "группа не может входить в собственную подгруппу")
    if current is not None and current.get("is_group") and values.get("is_group") is False:
        children = await conn.fetchval(
            f'SELECT EXISTS (SELECT 1 FROM "{catalog.table}" WHERE parent_id = $1)', item_id)
        if children:
            raise _hierarchy_error("is_group", "в группе есть элементы: сначала перенесите их")


async def set_deletion_mark(conn: asyncpg.Connection, catalog: Catalog, item_id: int, mark: bool) -> dict:
    async with conn.transaction():
        row = _row(await conn.fetchrow(f'SELECT * FROM "{catalog.table}" WHERE id = $1 FOR UPDATE', item_id))
        if row["predefined"] and mark:
            raise Conflict("Предопределённый элемент нельзя пометить на удаление",
                           code="predefined_item", details={"predefined": row["predefined"]})
        changed = _row(await conn.fetchrow(
            f'UPDATE "{catalog.table}" SET deletion_mark = $2, updated_at = now() WHERE id = $1 RETURNING *',
            item_id, mark))
        await _audit(conn, "mark" if mark else "unmark", catalog, row, changed)
        return changed


async def delete(conn: asyncpg.Connection, registry, catalog: Catalog, item_id: int, tz=None) -> None:
    """Удалить непосредственно: only an item nothing uses. One used by documents is 409
    ``item_in_use`` naming them (mark it for deletion instead); one other items refer to, too."""
    async with conn.transaction():
        row = _row(await conn.fetchrow(f'SELECT * FROM "{catalog.table}" WHERE id = $1 FOR UPDATE', item_id))
        if row["predefined"]:
            raise Conflict("Предопределённый элемент нельзя удалить", code="predefined_item",
                           details={"predefined": row["predefined"]})
        await ensure_unused(conn, registry, catalog, row, "удалить (пометьте на удаление)", tz=tz)
        others = (await references_to(conn, registry, catalog, [item_id])).get(item_id)
        if others:
            raise Conflict(f"На «{row['name']}» ссылаются другие элементы, удалить нельзя (пометьте на удаление)",
                           code="item_in_use", details={"item_id": item_id, "documents": [],
                                                        "referenced_by": others})
        await conn.execute(f'DELETE FROM "{catalog.table}" WHERE id = $1', item_id)
        await audit.record_many(conn, "purge", f"catalog:{catalog.name}",
                                [(item_id, row["name"], {"name": [row["name"], None]})])


async def _audit(conn: asyncpg.Connection, action: str, catalog: Catalog, before: dict | None,
                 after: dict) -> None:
    await audit.record(conn, action, f"catalog:{catalog.name}", object_id=after["id"],
                       presentation=str(after.get("name") or ""), changes=audit.item_changes(before, after))


async def ensure_predefined(conn: asyncpg.Connection, catalog: Catalog) -> None:
    """Create missing predefined items; existing ones keep their edited values."""
    for item in catalog.predefined:
        exists = await conn.fetchval(f'SELECT id FROM "{catalog.table}" WHERE predefined = $1', item.key)
        if exists:
            continue
        values = parse_item(catalog, {"name": item.name, **item.values}, partial=False)
        for part in catalog.parts:
            values.pop(part.name, None)
        code = str(await next_value(conn, catalog.counter_kind)).zfill(catalog.code_width)
        cols = ["code", "predefined", *values]
        placeholders = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
        await conn.execute(
            f'INSERT INTO "{catalog.table}" ({", ".join(map(quote, cols))}) VALUES ({placeholders})',
            code, item.key, *values.values())


async def references_to(conn: asyncpg.Connection, registry, catalog: Catalog,
                        ids: list[int]) -> dict[int, list[dict]]:
    """Who refers to each of ``ids``: ``{id: [{"table", "field", "id"}]}``."""
    refs = registry.referrers(catalog.name)
    if not refs or not ids:
        return {}
    parts = [f"SELECT DISTINCT {quote(col)} AS target, '{table}' AS tbl, '{col}' AS fld, {owner} AS owner"
             f' FROM "{table}" WHERE {quote(col)} = ANY($1::bigint[])' for table, col, owner in refs]
    rows = await conn.fetch(" UNION ALL ".join(parts), ids)
    out: dict[int, list[dict]] = {}
    for r in rows:
        if r["tbl"] == catalog.table and r["owner"] == r["target"]:
            continue
        out.setdefault(r["target"], []).append({"table": r["tbl"], "field": r["fld"], "id": r["owner"]})
    return out


async def purge(conn: asyncpg.Connection, registry, catalog: Catalog) -> dict[str, Any]:
    """Удаление помеченных объектов: delete marked items nothing refers to; report the rest."""
    async with conn.transaction():
        names = {r["id"]: r["name"] for r in await conn.fetch(
            f'SELECT id, name FROM "{catalog.table}" WHERE deletion_mark AND predefined IS NULL'
            " ORDER BY id FOR UPDATE")}
        marked = list(names)
        blocked = await references_to(conn, registry, catalog, marked)
        removable = [i for i in marked if i not in blocked]
        if removable:
            await conn.execute(f'DELETE FROM "{catalog.table}" WHERE id = ANY($1::bigint[])', removable)
            await audit.record_many(conn, "purge", f"catalog:{catalog.name}",
                                    [(i, names[i], {"name": [names[i], None]}) for i in removable])
    return {"deleted": removable,
            "kept": [{"id": i, "referenced_by": refs} for i, refs in sorted(blocked.items())]}
