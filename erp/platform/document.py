"""Документ (document kind): declared in one place.

A kind declares its header attributes, its tabular section (``lines``), the
registers its posting writes, the posting rule itself and how it is filled
"on the basis of" other documents. Every document has ``id``, ``number``,
``date``, ``posted``, ``deletion_mark`` and ``based_on``.

The posting rule ``movements(doc, ctx)`` is a pure function: it reads the
document and the context the engine hands in (for example current balances)
and returns ``{register: [records]}``. It does no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from piccolo.columns import BigInt, BigSerial, Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table, create_table_class

from .catalog import class_name, stem
from .fields import Field

RESERVED = {"id", "number", "date", "posted", "deletion_mark", "based_on", "based_on_kind",
            "based_on_id", "lines", "number_prefix", "number_year", "author_id", "created_at",
            "updated_at", "document_id", "line_no"}


@dataclass(frozen=True)
class Doc:
    """A document as posting rules and mappings see it: plain, immutable data."""

    kind: str
    id: int | None
    number: str
    date: dt.datetime
    posted: bool
    deletion_mark: bool
    header: Mapping[str, Any]
    lines: tuple[Mapping[str, Any], ...] = ()
    based_on: tuple[str, int] | None = None

    def __getattr__(self, name: str) -> Any:
        try:
            return self.header[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def short_number(self) -> str:
        """The number as people say it: without the prefix's leading zeros."""
        digits = self.number.lstrip("0")
        return digits or self.number


@dataclass(frozen=True)
class PostingContext:
    """What the engine hands to a posting rule besides the document."""

    balances: Mapping[str, Mapping[tuple, Mapping[str, Any]]] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    settings: Any = None


@dataclass(frozen=True)
class BasedOn:
    """Ввод на основании: how a document of this kind is filled from ``source``.

    ``fill(base_doc) -> {"header": {...}, "lines": [...]}`` is pure; a mapping that
    needs defaults from the database is a coroutine ``fill(conn, base_doc)``.
    ``offered(base_doc, derived)`` says whether the form of the base offers it at all
    (a paid invoice offers no payment); ``fill`` still refuses what it cannot fill.
    """

    source: str
    fill: Callable[..., Any]
    offered: Callable[[Any, Mapping[str, Any]], bool] | None = None


@dataclass(frozen=True)
class ContextQuery:
    """What a posting rule needs to read, declared as SQL instead of I/O: named
    expressions of one row, over parameters from the document. The engine reads
    them on their own, or for a new document within its first query (before the
    document has an id or a number).

    ``columns(doc, first_arg) -> ({name: SQL expression}, arguments)`` numbers
    its parameters from ``$first_arg``; ``build(values by name) -> data``.
    """

    columns: Callable[[Doc, int], tuple[Mapping[str, str], Sequence[Any]]]
    build: Callable[[Mapping[str, Any]], Mapping[str, Any]] = dict


# Hooks run inside the writing transaction: (conn, kind, old doc or None, new doc, action).
Hook = Callable[[Any, "DocumentKind", Doc | None, Doc, str], Awaitable[None]]


@dataclass(frozen=True, eq=False)
class DocumentKind:
    name: str
    title: str
    header: tuple[Field, ...] = ()
    lines: tuple[Field, ...] = ()
    registers: tuple[Any, ...] = ()
    movements: Callable[[Doc, PostingContext], Mapping[Any, Sequence[Any]]] | None = None
    based_on: tuple[BasedOn, ...] = ()
    # Derive and check values before writing: (header, lines, settings) -> (header, lines),
    # raising ValidationError for bad input. Pure.
    prepare: Callable[[dict, list[dict], Any], tuple[dict, list[dict]]] | None = None
    # Before validation, with I/O: fill defaults that live in the database
    # (conn, header, lines, settings) -> (header, lines); may raise ValidationError.
    complete: Callable[[Any, dict, list[dict], Any], Awaitable[tuple[dict, list[dict]]]] | None = None
    # The kind's rules that must hold whatever the path (create, save, post a draft, re-post, unpost,
    # a calendar move): (conn, old doc or None, new doc, settings); ``new.posted`` says whether it is
    # (or stays) posted, so ``old.posted and not new.posted`` is an unposting. Raises a 4xx ErpError.
    check: Callable[[Any, Doc | None, Doc, Any], Awaitable[None]] | None = None
    # What the posting rule needs to read, loaded by the engine: (conn, doc, settings) -> data.
    load_context: Callable[[Any, Doc, Any], Awaitable[Mapping[str, Any]]] | None = None
    # The same declared as SQL (see ContextQuery): a new document reads it with its first query.
    context_query: ContextQuery | None = None
    # Which balances the posting rule needs: (doc, data) -> {register: [key dicts]}.
    balance_keys: Callable[[Doc, Mapping[str, Any]], Mapping[Any, Sequence[Mapping[str, Any]]]] | None = None
    # The keys whose balances a new document's rule may ask for, known without the context:
    # (doc) -> {register: [key dicts]}. Read with the document's first query, so that
    # balance_keys picks from them instead of costing a query of its own.
    balance_candidates: Callable[[Doc], Mapping[Any, Sequence[Mapping[str, Any]]]] | None = None
    # Extra idempotent DDL (constraints, indexes) and the message for its exclusion conflicts.
    extra_sql: tuple[str, ...] = ()
    conflict_message: str = "Документ конфликтует с уже проведённым"
    # Which header field points at the organization, and which of its attributes is the prefix.
    prefix_from: tuple[str, str, str] | None = None  # (field, catalog, attribute)
    organization_field: str | None = None
    lines_title: str = "Товары и услуги"
    number_width: int = 11
    list_fields: tuple[str, ...] = ()
    hooks: tuple[Hook, ...] = ()
    # Read-only values computed on read: (conn, [docs]) -> {id: {field: value}}.
    derived: Callable[[Any, list[Doc]], Awaitable[Mapping[int, Mapping[str, Any]]]] | None = None
    derived_fields: tuple[Field, ...] = ()
    # Roles that may change it; every role may read it.
    write_roles: tuple[str, ...] = ("admin", "accountant")

    def __post_init__(self) -> None:
        names = [f.name for f in self.header] + [f.name for f in self.lines]
        clash = RESERVED & set(names) - {"document_id"}
        if clash:
            raise ValueError(f"document {self.name}: reserved field names {clash}")
        if self.registers and self.movements is None:
            raise ValueError(f"document {self.name}: registers without a movements() rule")
        if self.load_context is not None and self.context_query is not None:
            raise ValueError(f"document {self.name}: both load_context and context_query")

    @property
    def table(self) -> str:
        return f"doc_{stem(self.name)}"

    @property
    def lines_table(self) -> str:
        return f"doc_{stem(self.name)}_lines"

    @property
    def postable(self) -> bool:
        return self.movements is not None

    def header_field(self, name: str) -> Field:
        for f in self.header:
            if f.name == name:
                return f
        raise KeyError(name)

    def based_on_source(self, source: str) -> BasedOn | None:
        return next((b for b in self.based_on if b.source == source), None)

    def tables(self) -> list[type[Table]]:
        return [self._table, self._lines_table] if self.lines else [self._table]

    def extra_ddl(self) -> list[str]:
        return [
            f'CREATE INDEX IF NOT EXISTS "{self.table}_date_idx" ON "{self.table}" (date DESC, id DESC)',
            f'CREATE INDEX IF NOT EXISTS "{self.table}_based_on_idx" ON "{self.table}"'
            " (based_on_kind, based_on_id) WHERE based_on_id IS NOT NULL",
            *self.extra_sql,
        ]

    @cached_property
    def _table(self) -> type[Table]:
        members: dict[str, Any] = {
            "id": BigSerial(primary_key=True),
            "number": Varchar(length=40, null=False, default=""),
            "number_prefix": Varchar(length=20, null=False, default=""),
            "number_year": Integer(null=False, default=0),
            "date": Timestamptz(null=False, default=TimestamptzNow()),
            "posted": Boolean(default=False),
            "deletion_mark": Boolean(default=False),
            "based_on_kind": Varchar(length=100, null=True, default=None),
            "based_on_id": BigInt(null=True, default=None),
            "author_id": BigInt(null=True, default=None),
            "created_at": Timestamptz(default=TimestamptzNow()),
            "updated_at": Timestamptz(default=TimestamptzNow()),
            f"{self.table}_number_key": Unique(["number_prefix", "number_year", "number"]),
        }
        for f in self.header:
            members[f.name] = f.column()
        return create_table_class(class_name(self.name, "Document"),
                                  class_kwargs={"tablename": self.table}, class_members=members)

    @cached_property
    def _lines_table(self) -> type[Table]:
        members: dict[str, Any] = {
            "id": BigSerial(primary_key=True),
            "document_id": ForeignKey(references=self._table, on_delete=OnDelete.cascade,
                                      null=False, index=True),
            "line_no": Integer(null=False, default=0),
            f"{self.lines_table}_line_key": Unique(["document_id", "line_no"]),
        }
        for f in self.lines:
            members[f.name] = f.column()
        return create_table_class(class_name(self.name, "Line"),
                                  class_kwargs={"tablename": self.lines_table},
                                  class_members=members)
