"""Columns of an Excel file and the cells in them, as the catalog import reads them.

The targets a column can load into (the code, the name, the group of a hierarchical catalog and
each declared attribute), the mapping of a file's columns onto them (found from the headers, or
remembered per catalog in the ``constants`` table), and one cell turned into what the catalog's
own parser takes (:func:`erp.platform.catalog_service.parse_item`): an enum's label into its
value, "Да"/"Нет" into a flag, a reference's name into its id. The product's Excel export of a
list (headers are the declared titles, choices their labels, flags "Да"/"Нет", references
names) reads back unchanged; ``aliases`` maps the same words in the UI's other languages to Russian.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from erp.platform.catalog import Catalog
from erp.platform.errors import ValidationError
from erp.platform.fields import Field, FieldError

from .labels import CHOICE_LABELS, NO, YES

MAPPING_PREFIX = "import_mapping:"
SKIP = ""


@dataclass(frozen=True)
class Target:
    key: str
    title: str
    field: Field | None = None


def normalize(text: Any) -> str:
    """A header or a label as compared: case, ё and runs of spaces do not matter."""
    return " ".join(str(text).replace("ё", "е").replace("Ё", "Е").split()).casefold()


def russian(text: str, aliases: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """``text`` (normalized) and the Russian words it translates, normalized (one English word may
    translate several Russian ones: "Full name" is a doctor's «ФИО полностью» and a company's
    «Полное наименование»)."""
    return (text, *(normalize(r) for r in aliases.get(text, ())))


def targets(catalog: Catalog) -> list[Target]:
    out = [Target("code", "Код"), Target("name", "Наименование")]
    if catalog.hierarchical:
        out += [Target("parent", "Группа"), Target("is_group", "Это группа")]
    return out + [Target(f.name, f.label, f) for f in catalog.fields if not f.read_only]


def target_titles(catalog: Catalog) -> dict[str, str]:
    return {t.key: t.title for t in targets(catalog)}


def auto_mapping(catalog: Catalog, headers: list[str], remembered: Mapping[str, str],
                 aliases: Mapping[str, tuple[str, ...]]) -> dict[int, str]:
    """Each column's target: what was chosen for this header last time, else the target whose title
    (in any language of the UI) or name the header is; a target is taken once, by the first such column."""
    known: dict[str, str] = {}
    for t in targets(catalog):
        known.setdefault(normalize(t.title), t.key)
        known.setdefault(normalize(t.key), t.key)
    valid = {t.key for t in targets(catalog)}
    used: set[str] = set()
    out: dict[int, str] = {}
    for index, header in enumerate(headers):
        n = normalize(header)
        key = remembered.get(n)
        if key is None or (key and key not in valid):
            key = next((known[w] for w in russian(n, aliases) if w in known and known[w] not in used), SKIP)
        if key and key in used:
            key = SKIP
        used.add(key)
        out[index] = key
    return out


def checked_mapping(catalog: Catalog, headers: list[str], chosen: Mapping[Any, Any]) -> dict[int, str]:
    """A mapping the caller gave (``{column number from 0, or header: target}``), checked whole."""
    valid = target_titles(catalog)
    by_header = {normalize(h): i for i, h in reversed(list(enumerate(headers)))}
    out = {i: SKIP for i in range(len(headers))}
    problems: dict[str, str] = {}
    for column, key in chosen.items():
        index = int(column) if str(column).strip().isdigit() else by_header.get(normalize(column))
        if index is None or not 0 <= index < len(headers):
            problems[str(column)] = "в файле нет такой колонки"
            continue
        key = str(key or "").strip()
        if key and key not in valid:
            problems[str(column)] = f"неизвестное поле «{key}»; допустимы: {', '.join(valid)}"
            continue
        out[index] = key
    seen: dict[str, int] = {}
    for index, key in sorted(out.items()):
        if key and key in seen:
            problems[headers[index] or str(index)] = (f"в «{valid[key]}» уже загружается колонка "
                                                      f"«{headers[seen[key]]}»")
        seen.setdefault(key, index)
    if problems:
        raise ValidationError(
            "Неверное сопоставление колонок — " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
            code="bad_mapping", details={"fields": problems})
    return out


def require_columns(catalog: Catalog, mapping: Mapping[int, str]) -> None:
    if not any(mapping.values()):
        raise ValidationError(
            f"Ни одна колонка файла не сопоставлена с полями справочника «{catalog.title}». Первая строка должна "
            "называть колонки («Код», «Наименование»…) или укажите сопоставление вручную",
            code="no_columns", details={"fields": {"mapping": "нет сопоставленных колонок"}})


async def remembered(conn: asyncpg.Connection, catalog: Catalog) -> dict[str, str]:
    stored = await conn.fetchval("SELECT value FROM constants WHERE key = $1", MAPPING_PREFIX + catalog.name)
    return {str(k): str(v) for k, v in stored.items()} if isinstance(stored, dict) else {}


async def remember(conn: asyncpg.Connection, catalog: Catalog, headers: list[str], mapping: Mapping[int, str]) -> None:
    """Keep this file's choices (added to earlier ones: another file's headers stay remembered)."""
    stored = await remembered(conn, catalog)
    stored.update({normalize(headers[i]): key for i, key in mapping.items() if headers[i].strip()})
    await conn.execute(
        "INSERT INTO constants (key, value, updated_at) VALUES ($1, $2, now())"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        MAPPING_PREFIX + catalog.name, stored)


# -- cells ---------------------------------------------------------------------------------------


def text_of(value: Any) -> str:
    """A cell as text: an integral number without ".0", a date as DD.MM.YYYY."""
    if isinstance(value, bool):
        return "Да" if value else "Нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


def code_of(value: Any, width: int) -> str:
    """A code as typed or as a number lost its leading zeros ("12" is "000000012")."""
    text = text_of(value)
    return text.zfill(width) if text.isdigit() and len(text) < width else text


def flag_of(value: Any, aliases: Mapping[str, tuple[str, ...]]) -> bool:
    if isinstance(value, bool):
        return value
    words = russian(normalize(text_of(value)), aliases)
    if any(w in YES for w in words):
        return True
    if any(w in NO for w in words):
        return False
    raise FieldError(f"«{text_of(value)}»: ожидается «Да» или «Нет»")


def choice_of(f: Field, value: Any, aliases: Mapping[str, tuple[str, ...]]) -> str:
    text = text_of(value)
    words = russian(normalize(text), aliases)
    for choice in f.choices:
        if normalize(choice) in words or normalize(CHOICE_LABELS.get(choice, choice)) in words:
            return choice
    allowed = ", ".join(f"«{CHOICE_LABELS.get(c, c)}»" for c in f.choices)
    raise FieldError(f"неизвестное значение «{text}»; допустимо: {allowed}")


def raw_of(f: Field, value: Any, aliases: Mapping[str, tuple[str, ...]]) -> Any:
    """A non-empty cell of attribute ``f`` as :meth:`Field.parse` takes it (refs are resolved apart)."""
    match f.type:
        case "str" | "text":
            return text_of(value)
        case "enum":
            return choice_of(f, value, aliases)
        case "bool":
            return flag_of(value, aliases)
        case "int":
            if isinstance(value, float) and value.is_integer():
                return int(value)
            return text_of(value) if not isinstance(value, int) else value
        case "money" | "quantity" | "percent":
            return value if isinstance(value, int | float) and not isinstance(value, bool) else text_of(value)
        case "date" | "datetime" if isinstance(value, dt.date):
            return value.isoformat()
        case "time" if isinstance(value, dt.time):
            return value.strftime("%H:%M")
    return text_of(value)
