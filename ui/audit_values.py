"""The values of the audit log as an accountant reads them.

The log keeps each changed attribute as JSON (ids, codes, ISO moments,
decimals as text). Shown, a reference is the item's name or the document's
«Счёт на оплату № 12 от 22.12.2021», a choice its Russian title, money and
quantities Russian numbers, moments and days the Russian date, and a
document's lines a small table with the lines' titles as its columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from erp.platform.fields import Field
from ui import i18n
from ui.i18n import gettext as _
from ui.queries import lists
from ui.render import choice_label

_COMMON = {"date": Field("date", "datetime"), "posted": Field("posted", "bool"),
           "deletion_mark": Field("deletion_mark", "bool"), "is_group": Field("is_group", "bool")}


@dataclass(frozen=True)
class LinesTable:
    """A document's lines, before or after: column titles and the rows' cells as text."""

    columns: list[str]
    rows: list[list[str]]


def declared_fields(registry, object_kind: str) -> tuple[dict[str, Field], dict[str, Field]]:
    """``(attributes, line attributes)`` of the object's declaration by name."""
    group, _sep, name = object_kind.partition(":")
    if group == "document" and name in registry.documents:
        kind = registry.documents[name]
        return _COMMON | {f.name: f for f in kind.header}, {f.name: f for f in kind.lines}
    if group == "catalog" and name in registry.catalogs:
        catalog = registry.catalogs[name]
        own = {f.name: f for f in catalog.fields}
        if catalog.hierarchical:
            own["parent_id"] = Field("parent_id", "ref", ref=catalog.name)
        return _COMMON | own, {}
    return {}, {}


def _refs(fields: Mapping[str, Field], values: Mapping[str, Any], wanted: dict[str, set[int]]) -> None:
    for key, value in values.items():
        f = fields.get(key)
        if f is not None and f.type == "ref" and isinstance(value, int) and not isinstance(value, bool):
            wanted.setdefault(f.ref, set()).add(value)


async def names_for(conn, registry, rows: Iterable[Mapping[str, Any]], tz) -> dict[tuple[str, int], str]:
    """The names of every reference the rows' changes hold, in one query."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        fields, line_fields = declared_fields(registry, row["object_kind"])
        for key, pair in (row.get("changes") or {}).items():
            for value in pair if isinstance(pair, list) else ():
                if key == "lines" and isinstance(value, list):
                    for line in value:
                        if isinstance(line, Mapping):
                            _refs(line_fields, line, wanted)
                else:
                    _refs(fields, {key: value}, wanted)
    return await lists.ref_names(conn, registry, wanted, tz, i18n.document_name)


def shown(value: Any, f: Field | None, names: Mapping[tuple[str, int], str], tz) -> str:
    """One value as text."""
    if value is None or value == "" or value == []:
        return "—"
    if value is True or value is False:
        return _("да") if value else _("нет")
    try:
        return _typed(value, f, names, tz) if f is not None else _untyped(value)
    except (ValueError, TypeError, ArithmeticError):
        return _untyped(value)  # a value the declaration no longer fits: as it was stored


def _typed(value: Any, f: Field, names: Mapping[tuple[str, int], str], tz) -> str:
    match f.type:
        case "ref":
            return names.get((f.ref, int(value)), f"#{value}")
        case "enum":
            return choice_label(value)
        case "money":
            return i18n.money(value)
        case "quantity" | "percent":
            return i18n.number(value, 4)
        case "datetime":
            return i18n.datetime(dt.datetime.fromisoformat(value), tz)
        case "date":
            return i18n.date(dt.date.fromisoformat(value[:10]))
        case "time":
            return str(value)[:5]
    return _untyped(value)


def _untyped(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return msgspec.json.encode(value).decode()
    return str(value)


def lines_table(value: Any, line_fields: Mapping[str, Field], names, tz) -> LinesTable | str:
    """A document's lines as a small table (or a dash when there are none)."""
    if not isinstance(value, list) or not value:
        return "—"
    if not all(isinstance(line, Mapping) for line in value):
        return _untyped(value)
    present = set().union(*value)
    keys = [k for k in line_fields if k in present]  # in the declaration's order, as the form shows them
    columns = [_(line_fields[k].label) if k in line_fields else k for k in keys]
    rows = [[shown(line.get(k), line_fields.get(k), names, tz) for k in keys] for line in value]
    return LinesTable(columns, rows)
