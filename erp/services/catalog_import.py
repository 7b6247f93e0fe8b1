"""Загрузка справочников из Excel: clients, nomenclature (with groups), doctors and warehouses.

One service for the REST API and the UI. :func:`preview` reads the file
(:mod:`.xlsx_file`), maps its columns (:mod:`.import_columns`) and judges every row the way the
catalog's own form would, with the catalog's declared checks (:func:`parse_item`: the INN and KPP
of a client, an e-mail, a duration…), and besides: a row repeating another row of the file,
a group, a reference or a unit of measure that does not exist. Each row says what it would do:
create an item, change one (and what), leave one unchanged. An existing item is found by its
code, else by the catalog's natural key — a client by INN (and KPP when the file has it), a
product by article, a doctor or a warehouse by name, a group by name — and is updated, never
duplicated.

:func:`apply` does the same inside one transaction (the catalog locked against other writers
meanwhile) and writes only if no row has an error: all or nothing. New items get their codes
from the catalog's counter in one step, rows are inserted and updated a thousand at a time, and
the audit log gets every created and changed item. A hierarchical catalog is written level by
level, so an item may name a group created by the same file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from erp.platform import audit, numbering
from erp.platform.catalog import Catalog
from erp.platform.catalog_service import check_hierarchy, parse_item
from erp.platform.catalog_usage import ensure_unused
from erp.platform.errors import ErpError, NotFound, ValidationError
from erp.platform.fields import FieldError, quote

from . import import_columns as columns
from .xlsx_file import Sheet, read_sheet

# The importable catalogs and how an existing item is found, in order (the code always first).
# A key of several attributes uses those of them the file has (a client's KPP only when mapped).
KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "clients": (("code",), ("inn", "kpp")),
    "nomenclature": (("code",), ("article",)),
    "doctors": (("code",), ("name",)),
    "warehouses": (("code",), ("name",)),
}
GROUP_KEYS: tuple[tuple[str, ...], ...] = (("code",), ("name",))
BATCH = 1000
SHOWN_ERRORS = 200

Progress = Callable[[int, int], Any]


def importable(registry, name: str) -> Catalog:
    catalog = registry.catalogs.get(name)
    if catalog is None or name not in KEYS:
        raise NotFound(f"Загрузка из Excel для справочника «{catalog.title if catalog else name}» не предусмотрена",
                       code="import_not_supported")
    return catalog


@dataclass
class Row:
    """One data row of the file and what importing it would do."""

    row: int  # the row's number in the sheet, as Excel shows it
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    action: str = "create"  # create | update | unchanged | error
    item: dict[str, Any] | None = None  # the existing item it updates
    values: dict[str, Any] = field(default_factory=dict)  # what is written (parsed)
    changes: dict[str, list] = field(default_factory=dict)
    parent: str | None = None  # the group's name as written; None: the column is absent or empty
    parent_row: Row | None = None  # the file's group row it is in
    parent_id: int | None = None
    is_group: bool = False

    def fail(self, column: str, message: str) -> None:
        self.errors.append({"column": column, "message": message})
        self.action = "error"

    @property
    def name(self) -> str:
        return str(self.values.get("name") or self.data.get("name") or (self.item or {}).get("name") or "")


@dataclass
class Plan:
    catalog: Catalog
    sheet: Sheet
    mapping: dict[int, str]
    rows: list[Row]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def errors(self) -> list[Row]:
        return [r for r in self.rows if r.errors]

    def summary(self) -> dict[str, Any]:
        titles = columns.target_titles(self.catalog)
        return {
            "catalog": self.catalog.name, "sheet": self.sheet.title, "total": len(self.rows),
            "create": self.count("create"), "update": self.count("update"), "unchanged": self.count("unchanged"),
            "errors": len(self.errors),
            "columns": [{"index": i, "header": h, "target": self.mapping.get(i, ""),
                         "title": titles.get(self.mapping.get(i, ""), "")} for i, h in enumerate(self.sheet.headers)],
        }


class ImportRowsError(ValidationError):
    code = "import_has_errors"

    def __init__(self, plan: Plan) -> None:
        bad = plan.errors
        first = "; ".join(f"строка {r.row}: {e['column']} — {e['message']}" for r in bad[:3] for e in r.errors[:1])
        super().__init__(
            f"В файле {len(bad)} строк(и) с ошибками, ничего не загружено. {first}",
            details={"rows": [{"row": r.row, "errors": r.errors} for r in bad[:SHOWN_ERRORS]], "errors": len(bad)})


# -- reading the rows ------------------------------------------------------------------------


async def plan(conn: asyncpg.Connection, registry, catalog: Catalog, content: bytes, *,
               mapping: Mapping[Any, Any] | None = None, aliases: Mapping[str, tuple[str, ...]] | None = None,
               sheet: Sheet | None = None, tz=None) -> Plan:
    """What importing ``content`` would do, row by row; writes nothing."""
    aliases = aliases or {}
    sheet = sheet or read_sheet(content)
    if mapping:
        chosen = columns.checked_mapping(catalog, sheet.headers, mapping)
    else:
        chosen = columns.auto_mapping(catalog, sheet.headers, await columns.remembered(conn, catalog), aliases)
    rows = [_read_row(catalog, number, cells, chosen, aliases) for number, cells in sheet.rows]
    await _resolve_refs(conn, registry, catalog, rows)
    await _match(conn, catalog, rows, set(chosen.values()))
    _duplicates(catalog, rows, set(chosen.values()))
    groups = await _groups(conn, catalog, rows) if catalog.hierarchical else None
    known_units = await _units(conn, catalog)
    for r in rows:
        if r.action != "error":
            await _judge(conn, registry, catalog, r, groups, known_units, tz)
    return Plan(catalog, sheet, chosen, rows)


def _read_row(catalog: Catalog, number: int, cells: list[Any], mapping: Mapping[int, str],
              aliases: Mapping[str, tuple[str, ...]]) -> Row:
    titles = columns.target_titles(catalog)
    row = Row(number)
    for index, key in mapping.items():
        if not key:
            continue
        value = cells[index]
        try:
            if key == "code":
                row.data["code"] = "" if value is None else columns.code_of(value, catalog.code_width)
            elif key == "name":
                row.data["name"] = "" if value is None else columns.text_of(value)
            elif key == "parent":
                row.parent = None if value is None else columns.text_of(value)
                row.data["parent"] = row.parent
            elif key == "is_group":
                if value is not None:
                    row.data["is_group"] = row.is_group = columns.flag_of(value, aliases)
            else:
                f = catalog.field(key)
                if value is None:
                    # An empty cell: an empty text, the attribute's default (a price of 0), or no value;
                    # an empty choice or flag keeps the item's (a new item gets the default).
                    if f.type not in ("enum", "bool"):
                        row.data[key] = f.default if f.default is not None else f.empty()
                else:
                    row.data[key] = value if f.type == "ref" else columns.raw_of(f, value, aliases)
        except FieldError as exc:
            row.fail(titles[key], str(exc))
    if row.is_group:  # a group has a code, a name and a group of its own; the items' columns are not its
        row.data = {k: v for k, v in row.data.items() if k in ("code", "name", "parent", "is_group")}
    return row


async def _resolve_refs(conn: asyncpg.Connection, registry, catalog: Catalog, rows: list[Row]) -> None:
    """A reference is written as its item's name (or code): find the id, in one query per catalog."""
    for f in catalog.fields:
        if f.type != "ref" or f.ref is None:
            continue
        target = registry.catalogs.get(f.ref)
        wanted = {columns.text_of(r.data[f.name]) for r in rows if r.data.get(f.name) is not None}
        if target is None or not wanted:
            continue
        found = await conn.fetch(
            f'SELECT id, code, name FROM "{target.table}" WHERE NOT deletion_mark'
            f' AND ({folded("name")} = ANY($1::text[]) OR code = ANY($2::text[]))',
            [columns.normalize(w) for w in wanted], list(wanted))
        by_text: dict[str, set[int]] = {}
        for item in found:
            by_text.setdefault(columns.normalize(item["name"]), set()).add(item["id"])
            by_text.setdefault(columns.normalize(item["code"]), set()).add(item["id"])
        for r in rows:
            if r.data.get(f.name) is None:
                continue
            text = columns.text_of(r.data[f.name])
            ids = by_text.get(columns.normalize(text), set())
            if len(ids) == 1:
                r.data[f.name] = next(iter(ids))
            else:
                r.data.pop(f.name)
                r.fail(f.label, f"«{text}» не найден(а) в справочнике «{target.title}»" if not ids else
                       f"в справочнике «{target.title}» несколько элементов «{text}»: укажите код")


def folded(column: str, table: str = "") -> str:
    """SQL of a column compared as :func:`columns.normalize` compares (case, ё, runs of spaces); the code
    exactly, so that its unique index finds it."""
    name = f"{table}.{quote(column)}" if table else quote(column)
    if column == "code":
        return name
    return f"lower(btrim(regexp_replace(translate({name}::text, 'ёЁ', 'еЕ'), '\\s+', ' ', 'g')))"


def _key_fields(keys: tuple[str, ...], mapped: set[str]) -> tuple[str, ...]:
    return tuple(k for k in keys if k in mapped)


def _key_value(row: Row, fields: tuple[str, ...]) -> tuple[str, ...] | None:
    value = tuple(columns.normalize(row.data.get(k) or "") for k in fields)
    return value if fields and value[0] else None


def _keys_of(catalog: Catalog, row: Row) -> tuple[tuple[str, ...], ...]:
    return GROUP_KEYS if row.is_group else KEYS[catalog.name]


async def _match(conn: asyncpg.Connection, catalog: Catalog, rows: list[Row], mapped: set[str]) -> None:
    """Find the existing item of each row: the first key the row fills that names exactly one item."""
    keysets = {k for r in rows for k in _keys_of(catalog, r)}
    index: dict[tuple[str, ...], dict[tuple[str, ...], list[dict]]] = {}
    for keys in keysets:
        fields = _key_fields(keys, mapped)
        firsts = {v[0] for r in rows if (v := _key_value(r, fields))}
        if not firsts:
            continue
        # joined with the values (a hash join), not "= ANY" of thousands of them compared row by row
        found = await conn.fetch(f'SELECT t.* FROM "{catalog.table}" AS t JOIN (SELECT DISTINCT unnest($1::text[]))'
                                 f' AS v(x) ON {folded(fields[0], "t")} = v.x', list(firsts))
        by_value: dict[tuple[str, ...], list[dict]] = {}
        for item in map(dict, found):
            by_value.setdefault(tuple(columns.normalize(item.get(k) or "") for k in fields), []).append(item)
        index[keys] = by_value
    titles = columns.target_titles(catalog)
    for r in rows:
        for keys in _keys_of(catalog, r):
            fields = _key_fields(keys, mapped)
            value = _key_value(r, fields)
            if value is None:
                continue
            found = [i for i in index.get(keys, {}).get(value, []) if keys == ("code",) or
                     bool(i["is_group"]) == r.is_group]
            if len(found) > 1:
                codes = ", ".join(i["code"] for i in found[:5])
                r.fail(titles[fields[0]], f"«{r.data.get(fields[0])}» есть у нескольких элементов (коды {codes}): "
                                          "укажите код")
                break
            if found:
                r.item = found[0]
                r.action = "update" if r.action != "error" else r.action
                break


def _duplicates(catalog: Catalog, rows: list[Row], mapped: set[str]) -> None:
    """A row that repeats an earlier row of the file (same code, INN, article… or the same item)."""
    titles = columns.target_titles(catalog)
    seen: dict[Any, Row] = {}
    for r in rows:
        marks: list[tuple[Any, str]] = []
        for keys in _keys_of(catalog, r):
            fields = _key_fields(keys, mapped)
            value = _key_value(r, fields)
            if value is not None:
                label = " и ".join(f"«{titles[k]}»" for k in fields)
                marks.append(((r.is_group, fields, value), f"тот же {label}" if len(fields) == 1 else
                              f"те же {label}"))
        if r.item is not None:
            marks.append((("item", r.item["id"]), f"тот же элемент справочника (код {r.item['code']})"))
        for mark, why in marks:
            first = seen.get(mark)
            if first is not None:
                r.fail(titles[mark[1][0]] if mark[0] != "item" else "Код", f"повторяет строку {first.row}: {why}")
                break
        for mark, _why in marks:
            seen.setdefault(mark, r)


@dataclass
class Groups:
    """The catalog's groups by name, and the file's group rows by name."""

    existing: dict[str, list[dict]]
    in_file: dict[str, list[Row]]


async def _groups(conn: asyncpg.Connection, catalog: Catalog, rows: list[Row]) -> Groups:
    existing: dict[str, list[dict]] = {}
    for g in await conn.fetch(f'SELECT id, code, name, parent_id FROM "{catalog.table}" WHERE is_group'):
        existing.setdefault(columns.normalize(g["name"]), []).append(dict(g))
    in_file: dict[str, list[Row]] = {}
    for r in rows:
        if r.is_group and r.data.get("name"):
            in_file.setdefault(columns.normalize(r.data["name"]), []).append(r)
    return Groups(existing, in_file)


async def _units(conn: asyncpg.Connection, catalog: Catalog) -> set[str] | None:
    """The units of measure an import may use: the usual ones and those already in use."""
    if "unit" not in catalog.field_names or catalog.name != "nomenclature":
        return None
    from erp.catalogs.nomenclature import UNITS

    used = await conn.fetch(f'SELECT DISTINCT unit FROM "{catalog.table}" WHERE unit <> \'\'')
    return {columns.normalize(u) for u in UNITS} | {columns.normalize(r["unit"]) for r in used}


async def _judge(conn: asyncpg.Connection, registry, catalog: Catalog, r: Row, groups: Groups | None,
                 units: set[str] | None, tz) -> None:
    """Parse the row with the catalog's declared rules and work out what it changes."""
    data = {k: v for k, v in r.data.items() if k not in ("code", "parent")}
    try:
        if r.item is None:
            if catalog.hierarchical and "is_group" not in data:
                data["is_group"] = False
            r.values = parse_item(catalog, {k: v for k, v in data.items() if v is not None}, partial=False)
        else:
            r.values = parse_item(catalog, data, partial=True)
            problems = dict(catalog.check({**r.item, **r.values})) if catalog.check else {}
            if problems:
                raise ValidationError.fields(problems)
    except ValidationError as exc:
        titles = columns.target_titles(catalog)
        for key, message in (exc.details.get("fields") or {"name": exc.message}).items():
            r.fail(titles.get(key, key), message)
        return
    unit = r.values.get("unit")
    if units is not None and unit and columns.normalize(unit) not in units:
        r.fail(catalog.field("unit").label, f"неизвестная единица измерения «{unit}»; например: шт, усл, упак, мл")
    if groups is not None:
        _parent(catalog, r, groups)
    if r.errors or r.item is None:
        return
    r.changes = {k: [r.item.get(k), v] for k, v in r.values.items() if r.item.get(k) != v}
    if r.parent_row is not None or (r.parent_id != r.item.get("parent_id") and "parent" in r.data):
        r.changes["parent_id"] = [r.item.get("parent_id"), r.parent_id]
    fixed = [f for f in catalog.fields if f.fixed_once_used and f.name in r.changes]
    try:
        if fixed:
            await ensure_unused(conn, registry, catalog, r.item,
                                "изменить " + ", ".join(f"«{f.label}»" for f in fixed), tz=tz)
        if ("parent_id" in r.changes and r.parent_row is None) or "is_group" in r.changes:
            await check_hierarchy(conn, catalog, r.item, {"parent_id": r.parent_id, **r.values})
    except ErpError as exc:
        r.fail(fixed[0].label if fixed else "Группа", exc.message)
        return
    r.action = "update" if r.changes else "unchanged"


def _parent(catalog: Catalog, r: Row, groups: Groups) -> None:
    """The group the row goes in: a group of the file (written before it) or one that exists."""
    if r.parent is None:
        r.parent_id = r.item.get("parent_id") if r.item is not None and "parent" not in r.data else None
        return
    name = columns.normalize(r.parent)
    in_file = [g for g in groups.in_file.get(name, []) if g is not r]
    if len(in_file) == 1:
        group = in_file[0]
        if group.item is not None:
            r.parent_id = group.item["id"]
        else:
            r.parent_row = group
        return
    existing = groups.existing.get(name, [])
    if len(in_file) > 1 or len(existing) > 1:
        r.fail("Группа", f"групп «{r.parent}» несколько: переименуйте одну из них")
    elif not existing:
        r.fail("Группа", f"неизвестная группа «{r.parent}»: её нет ни в справочнике, ни в файле")
    else:
        r.parent_id = existing[0]["id"]


# -- writing ---------------------------------------------------------------------------------


async def apply(conn: asyncpg.Connection, registry, catalog: Catalog, content: bytes, *,
                mapping: Mapping[Any, Any] | None = None, aliases: Mapping[str, tuple[str, ...]] | None = None,
                progress: Progress | None = None, tz=None) -> dict[str, Any]:
    """Import ``content`` into ``catalog``: everything or, when any row has an error, nothing
    (:class:`ImportRowsError` names the rows). Returns the counts; remembers the mapping."""
    sheet = read_sheet(content)
    async with conn.transaction():
        # Other writers of the catalog wait: what was judged is what is written.
        await conn.execute(f'LOCK TABLE "{catalog.table}" IN SHARE ROW EXCLUSIVE MODE')
        found = await plan(conn, registry, catalog, content, mapping=mapping, aliases=aliases, sheet=sheet, tz=tz)
        columns.require_columns(catalog, found.mapping)
        if found.errors:
            raise ImportRowsError(found)
        await _levels(conn, catalog, found, progress)
        await columns.remember(conn, catalog, sheet.headers, found.mapping)
    return {key: value for key, value in found.summary().items() if key != "columns"}


def _level(r: Row, seen: set[int] | None = None) -> int:
    if r.parent_row is None:
        return 0
    seen = seen or set()
    if id(r) in seen:
        raise ValidationError(f"Строка {r.row}: группа входит сама в себя", code="invalid_hierarchy")
    return 1 + _level(r.parent_row, seen | {id(r)})


async def _levels(conn: asyncpg.Connection, catalog: Catalog, found: Plan, progress: Progress | None) -> None:
    todo = [r for r in found.rows if r.action in ("create", "update")]
    total, done = len(todo), 0
    if progress:
        await progress(0, total)
    by_level: dict[int, list[Row]] = {}
    for r in todo:
        by_level.setdefault(_level(r), []).append(r)
    for level in sorted(by_level):
        rows = by_level[level]
        for r in rows:
            if r.parent_row is not None:
                r.parent_id = (r.parent_row.item or {}).get("id")
                r.changes["parent_id"] = [(r.item or {}).get("parent_id"), r.parent_id]
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            await _insert(conn, catalog, [r for r in batch if r.action == "create"])
            await _update(conn, catalog, [r for r in batch if r.action == "update"])
            done += len(batch)
            if progress:
                await progress(done, total)


def _sql_types(catalog: Catalog) -> dict[str, str]:
    return {"id": "bigint", "code": "text", "name": "text", "parent_id": "bigint", "is_group": "boolean",
            **{f.name: f.sql_type for f in catalog.fields}}


async def _insert(conn: asyncpg.Connection, catalog: Catalog, rows: list[Row]) -> None:
    if not rows:
        return
    codes = await numbering.reserve(conn, catalog.counter_kind, len(rows))
    cols = ["code", "name", *(["parent_id", "is_group"] if catalog.hierarchical else []), *catalog.field_names]
    records = [{**r.values, "code": str(code).zfill(catalog.code_width), "parent_id": r.parent_id}
               for r, code in zip(rows, codes, strict=True)]
    types = _sql_types(catalog)
    arrays = ", ".join(f"${i}::{types[c]}[]" for i, c in enumerate(cols, start=1))
    written = await conn.fetch(
        f'INSERT INTO "{catalog.table}" ({", ".join(map(quote, cols))}) SELECT * FROM unnest({arrays}) RETURNING *',
        *([rec.get(c) for rec in records] for c in cols))
    by_code = {w["code"]: dict(w) for w in written}
    for r, rec in zip(rows, records, strict=True):
        r.item = by_code[rec["code"]]
    await audit.record_many(conn, "create", f"catalog:{catalog.name}",
                            [(r.item["id"], r.item["name"], audit.item_changes(None, r.item))
                             for r in rows if r.item is not None])


async def _update(conn: asyncpg.Connection, catalog: Catalog, rows: list[Row]) -> None:
    if not rows:
        return
    cols = sorted({k for r in rows for k in r.changes})
    types = _sql_types(catalog)
    arrays = ", ".join(f"${i}::{types[c]}[]" for i, c in enumerate(["id", *cols], start=1))
    sets = ", ".join(f"{quote(c)} = u.{quote(c)}" for c in cols)
    new = [{**{c: r.item[c] for c in cols if r.item is not None}, **{k: v[1] for k, v in r.changes.items()}}
           for r in rows]
    before = {r.item["id"]: r.item for r in rows if r.item is not None}
    written = await conn.fetch(
        f'UPDATE "{catalog.table}" AS t SET {sets}, updated_at = now() FROM unnest({arrays})'
        f' AS u(id, {", ".join(map(quote, cols))}) WHERE t.id = u.id RETURNING t.*',
        [r.item["id"] for r in rows if r.item is not None], *([n[c] for n in new] for c in cols))
    await audit.record_many(conn, "update", f"catalog:{catalog.name}",
                            [(w["id"], w["name"], audit.item_changes(before[w["id"]], dict(w))) for w in written])
