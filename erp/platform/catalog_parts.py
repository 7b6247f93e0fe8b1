"""Табличная часть справочника: rows that belong to one catalog item (a service's materials).

A catalog declares its tabular parts (:class:`TabularPart`); each is a table
``cat_<catalog>_<part>`` of ``owner_id``, ``line_no`` and the part's fields. An item's
parts travel with it: the API reads and writes them as lists of rows, a PATCH without
a part leaves its rows alone, and a PATCH with it replaces them all (as 1C writes a
tabular part: as a whole). Rows are checked like attributes (every bad cell named,
``materials[1].quantity``), then by the part's declared rules:

* ``unique``: no two rows with the same values of these fields;
* a ref field's ``extra["ref_where"]`` (``{"kind": "goods"}``): the referenced item must have
  these values, else ``extra["ref_refusal"]`` (``{name}`` is the item's name);
* a ref field's ``extra["not_self"]``: the message when a row names the item itself;
* ``check(item, rows)``: cross-field rules on the whole item, ``{key: message}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from piccolo.columns import BigSerial, ForeignKey, Integer
from piccolo.columns.base import OnDelete
from piccolo.constraints import Unique
from piccolo.table import Table, create_table_class

from .fields import Field, FieldError, quote


@dataclass(frozen=True, eq=False)
class TabularPart:
    name: str
    title: str
    fields: tuple[Field, ...]
    unique: tuple[str, ...] = ()
    unique_message: str = "строка повторяется"
    check: Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]]], Mapping[str, str]] | None = None

    def table(self, catalog_table: str) -> str:
        return f"{catalog_table}_{self.name}"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def part_table(catalog, part: TabularPart) -> type[Table]:
    return _tables(catalog)[part.name]


_TABLES: dict[int, dict[str, type[Table]]] = {}


def _tables(catalog) -> dict[str, type[Table]]:
    found = _TABLES.get(id(catalog))
    if found is None:
        found = _TABLES[id(catalog)] = {}
        for part in catalog.parts:
            members: dict[str, Any] = {
                "id": BigSerial(primary_key=True),
                "owner_id": ForeignKey(references=catalog._table, on_delete=OnDelete.cascade, null=False,
                                       index=True),
                "line_no": Integer(null=False, default=0),
                f"{part.table(catalog.table)}_line_key": Unique(["owner_id", "line_no"]),
            }
            for f in part.fields:
                members[f.name] = f.column()
            stem = "".join(p.capitalize() for p in f"{catalog.name}_{part.name}".replace("-", "_").split("_"))
            found[part.name] = create_table_class(f"{stem}Part", class_kwargs={"tablename": part.table(catalog.table)},
                                                  class_members=members)
    return found


def parse_rows(part: TabularPart, raw: Any, problems: dict[str, str]) -> list[dict[str, Any]]:
    """The part's rows as stored values; every bad cell (and a repeated row) into ``problems``."""
    if not isinstance(raw, list):
        problems[part.name] = "ожидается список строк"
        return []
    rows: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    for i, given in enumerate(raw):
        if not isinstance(given, Mapping):
            problems[f"{part.name}[{i}]"] = "ожидается строка с полями"
            continue
        row: dict[str, Any] = {}
        for key in given:
            if key not in part.field_names and key != "line_no":
                problems[f"{part.name}[{i}].{key}"] = "неизвестное поле"
        for f in part.fields:
            try:
                row[f.name] = f.parse(given.get(f.name))
            except FieldError as exc:
                problems[f"{part.name}[{i}].{f.name}"] = str(exc)
        if part.unique and all(row.get(u) is not None for u in part.unique):
            key = tuple(row[u] for u in part.unique)
            if key in seen:
                problems[f"{part.name}[{i}].{part.unique[0]}"] = part.unique_message
            seen.setdefault(key, i)
        rows.append(row)
    return rows


def refs(catalog, values: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """``(path, target, id)`` of every reference in the parts' rows of ``values``."""
    out = []
    for part in catalog.parts:
        for i, row in enumerate(values.get(part.name) or ()):
            out += [(f"{part.name}[{i}].{f.name}", f.ref, row[f.name]) for f in part.fields
                    if f.type == "ref" and row.get(f.name) is not None]
    return out


async def check_rows(conn: asyncpg.Connection, registry, catalog, item_id: int | None,
                     values: Mapping[str, Any], problems: dict[str, str]) -> None:
    """The rows' references against ``ref_where`` and ``not_self`` (one query per such field)."""
    for part in catalog.parts:
        rows = values.get(part.name)
        if not rows:
            continue
        for f in part.fields:
            if f.type != "ref":
                continue
            if item_id is not None and f.ref == catalog.name and f.extra.get("not_self"):
                for i, row in enumerate(rows):
                    if row.get(f.name) == item_id:
                        problems.setdefault(f"{part.name}[{i}].{f.name}", f.extra["not_self"])
            where = f.extra.get("ref_where")
            if not where:
                continue
            target = registry.target(f.ref)
            ids = sorted({row[f.name] for row in rows if row.get(f.name) is not None})
            columns = ", ".join(quote(c) for c in where)
            found = {r["id"]: r for r in await conn.fetch(
                f'SELECT id, name, {columns} FROM "{target.table}" WHERE id = ANY($1::bigint[])', ids)}
            for i, row in enumerate(rows):
                item = found.get(row.get(f.name))
                if item is not None and any(item[c] != v for c, v in where.items()):
                    problems.setdefault(f"{part.name}[{i}].{f.name}",
                                        f.extra.get("ref_refusal", "недопустимое значение").format(name=item["name"]))


async def read(conn: asyncpg.Connection, catalog, item_id: int) -> dict[str, list[dict[str, Any]]]:
    """The item's rows of every part, in order."""
    out = {}
    for part in catalog.parts:
        columns = ", ".join(quote(c) for c in part.field_names)
        rows = await conn.fetch(f'SELECT line_no, {columns} FROM "{part.table(catalog.table)}"'
                                " WHERE owner_id = $1 ORDER BY line_no", item_id)
        out[part.name] = [dict(r) for r in rows]
    return out


async def write(conn: asyncpg.Connection, catalog, item_id: int, values: Mapping[str, Any]) -> None:
    """Replace the rows of every part ``values`` names (a part it leaves out keeps its rows)."""
    for part in catalog.parts:
        if part.name not in values:
            continue
        table = part.table(catalog.table)
        await conn.execute(f'DELETE FROM "{table}" WHERE owner_id = $1', item_id)
        rows = values[part.name]
        if rows:
            await conn.executemany(
                f'INSERT INTO "{table}" (owner_id, line_no, {", ".join(quote(c) for c in part.field_names)})'
                f" VALUES ($1, $2, {', '.join(f'${i}' for i in range(3, len(part.fields) + 3))})",
                [(item_id, n, *(row.get(c) for c in part.field_names)) for n, row in enumerate(rows, start=1)])
