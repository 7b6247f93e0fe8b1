"""Формы списков: the one way anything is listed — filters, search, order and keyset pages.

Every list of the product is built here: the catalogs and the documents (over the REST
API, in the UI and in the reference pickers), the audit log, the amoCRM exchange log and
the registry of generated documents. A list

* collects its conditions in a :class:`Where`, which numbers the parameters;
* searches typed text with :meth:`Where.like`, the one place that writes ``ILIKE`` and
  escapes a pattern (:func:`like_pattern`): a ``%``, ``_`` or ``\\`` a person types
  matches itself, never "anything";
* reads one page with :func:`page`, ordered by a :class:`Sort` whose last key is unique.
  The cursor is the last row's sort key (:mod:`.keyset`), so page 100 costs what page 1
  costs, and a forged or stale cursor is a 422 ``invalid_cursor``, never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import asyncpg

from . import keyset
from .dates import day_bounds
from .errors import ValidationError
from .fields import NUL_TEXT, Field, FieldError, quote

T = TypeVar("T")

PAGE_SIZES = keyset.PAGE_SIZES
# How a yes/no filter is written in a query string, the same over the API and in the UI.
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def like_pattern(text: str, *, prefix: bool = False) -> str:
    """``text`` as a LIKE pattern that matches it literally: anywhere, or (``prefix``) at the start."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%" if prefix else "%" + escaped + "%"


def flag(name: str, raw: Any) -> bool | None:
    """A yes/no filter as typed (``1``/``0``, ``true``/``false``, ``yes``/``no``; empty: either)."""
    if raw is None or isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if not text:
        return None
    if text not in FLAGS:
        raise ValidationError.field(name, "ожидается true или false")
    return FLAGS[text]


def field_value(f: Field, raw: Any) -> Any:
    """A filter's value for the attribute ``f`` as typed in a query string (a flag as :data:`FLAGS`)."""
    if f.type == "bool" and isinstance(raw, str):
        raw = FLAGS.get(raw.strip().lower(), raw)
    try:
        return f.parse(raw)
    except FieldError as exc:
        raise ValidationError.field(f.name, str(exc)) from None


class Like:
    """A searched text, added to a :class:`Where` once per form it is compared in."""

    def __init__(self, where: Where, text: str) -> None:
        self._where, self._text = where, text
        self._marks: dict[bool, str] = {}

    def _mark(self, prefix: bool) -> str:
        if prefix not in self._marks:
            self._marks[prefix] = self._where.arg(like_pattern(self._text, prefix=prefix))
        return self._marks[prefix]

    def contains(self, expr: str) -> str:
        """``expr`` holds the text anywhere, in any letter case."""
        return f"{expr} ILIKE {self._mark(False)}"

    def starts(self, expr: str) -> str:
        """``expr`` begins with the text, in any letter case."""
        return f"{expr} ILIKE {self._mark(True)}"


@dataclass
class Where:
    """A list's conditions (joined by AND) and their parameters, numbered ``$1…`` in one place."""

    conditions: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, condition: str, *values: Any) -> None:
        """``condition`` with each ``{}`` bound to the next of ``values``."""
        self.conditions.append(condition.format(*(self.arg(v) for v in values)))

    def equals(self, column: str, value: Any) -> None:
        self.add(f"{column} = {{}}", value)

    def any_of(self, alternatives: Iterable[str]) -> None:
        self.conditions.append("(" + " OR ".join(alternatives) + ")")

    def like(self, text: str) -> Like:
        """The typed ``text`` to search for; a NUL in it is a 422 (PostgreSQL text cannot hold one)."""
        if "\x00" in text:
            raise ValidationError.field("q", NUL_TEXT, code="invalid_text")
        return Like(self, text)

    def period(self, column: str, start: dt.date | None, end: dt.date | None, tz: dt.tzinfo,
               names: tuple[str, str] = ("start", "end")) -> None:
        """``column`` (a moment) within the days ``start``–``end`` in the clinic's time zone."""
        lower, upper = day_bounds(start, end, tz, names)
        if lower is not None:
            self.add(f"{column} >= {{}}", lower)
        if upper is not None:
            self.add(f"{column} < {{}}", upper)

    @property
    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.conditions) if self.conditions else ""


@dataclass(frozen=True)
class Key:
    """One column of a list's order: its SQL expression, the type its cursor carries and,
    for a column that may be NULL, what NULL sorts as (a row comparison never matches NULL)."""

    expr: str
    type: type
    empty: str | None = None

    @property
    def sql(self) -> str:
        return f"COALESCE({self.expr}, {self.empty})" if self.empty else self.expr


@dataclass(frozen=True)
class Sort:
    """The order of a list: keys compared left to right, the last one unique (the id)."""

    keys: tuple[Key, ...]
    descending: bool = False


SORTABLE_TYPES = ("str", "enum", "int", "money", "quantity", "percent", "date", "datetime", "bool")
# Per attribute type: what NULL sorts as, and what a cursor of that order carries.
_EMPTY = {"str": "''", "enum": "''", "int": "0", "money": "0", "quantity": "0", "percent": "0",
          "date": "'-infinity'::date", "datetime": "'-infinity'::timestamptz", "bool": "false"}
_CURSOR_TYPES: dict[str, type] = {"str": str, "enum": str, "int": int, "money": Decimal, "quantity": Decimal,
                                  "percent": Decimal, "date": dt.date, "datetime": dt.datetime, "bool": bool}


def field_key(f: Field) -> Key:
    """The order by a declared attribute (one of :data:`SORTABLE_TYPES`)."""
    return Key(quote(f.name), _CURSOR_TYPES[f.type], _EMPTY[f.type])


def choose_sort(sorts: Mapping[str, Key], name: str, descending: bool, unique: Key) -> Sort:
    """The list's order by the column ``name`` (one of ``sorts``), ties broken by ``unique``."""
    if name not in sorts:
        raise ValidationError.field("sort", f"сортировка: {', '.join(sorts)}")
    return Sort((sorts[name], unique), descending)


def read_sort(text: str) -> tuple[str, bool]:
    """``"name"`` ascending, ``"-name"`` descending: how the REST API writes an order."""
    return (text[1:], True) if text.startswith("-") else (text, False)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, and the cursors of the pages after and before it."""

    rows: list[T]
    next: str | None = None
    prev: str | None = None


async def page(conn: asyncpg.Connection, source: str, columns: str, where: Where, sort: Sort, *, limit: int,
               after: str | None = None, before: str | None = None) -> Page[dict[str, Any]]:
    """One page of ``SELECT columns FROM source`` under ``where``, in ``sort``'s order: the page after
    the cursor ``after``, or the page before ``before`` (then in the same order, read backwards)."""
    keyset.check_limit(limit)
    backwards = before is not None and after is None
    cursor = after if after is not None else before
    conditions, args = list(where.conditions), list(where.args)
    keys = ", ".join(k.sql for k in sort.keys)
    descending = sort.descending != backwards
    if cursor:
        values = keyset.decode(cursor, tuple(k.type for k in sort.keys))
        args += values
        marks = ", ".join(f"${len(args) - len(values) + i}" for i in range(1, len(values) + 1))
        conditions.append(f"({keys}) {'<' if descending else '>'} ({marks})")
    direction = "DESC" if descending else "ASC"
    selected = ", ".join(f"{k.sql} AS _key{i}" for i, k in enumerate(sort.keys))
    order = ", ".join(f"{k.sql} {direction}" for k in sort.keys)
    sql = (f"SELECT {columns}, {selected} FROM {source}"
           + (" WHERE " + " AND ".join(conditions) if conditions else "")
           + f" ORDER BY {order} LIMIT {limit + 1}")
    rows = [dict(r) for r in await conn.fetch(sql, *args)]
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return Page([])
    first, last = ([row[f"_key{i}"] for i in range(len(sort.keys))] for row in (rows[0], rows[-1]))
    for row in rows:
        for i in range(len(sort.keys)):
            del row[f"_key{i}"]
    has_next = more if not backwards else True
    has_prev = more if backwards else bool(cursor)
    return Page(rows, keyset.encode(last) if has_next else None, keyset.encode(first) if has_prev else None)
