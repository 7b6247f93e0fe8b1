"""Документ (document kind): declared in one place.

A kind declares its header attributes, its tabular section (``lines``), the
registers its posting writes, the posting rule itself and how it is filled
"on the basis of" other documents. Every document has ``id``, ``number``,
``date``, ``posted``, ``deletion_mark`` and ``based_on``.

The posting rule ``movements(doc, inputs)`` is a pure function: it reads the
document and what the kind's declared ``needs`` read (for example current
balances) and returns ``{register: [records]}``. It does no I/O; neither do
``fill``, ``rules`` and the based-on mappings (see :mod:`erp.platform.posting`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from piccolo.columns import BigInt, BigSerial, Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table, create_table_class

from .catalog import class_name, stem
from .fields import Field
from .posting.sqlnames import ident, literal

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
    number_prefix: str = ""  # the series the number belongs to: prefix and year
    number_year: int = 0

    def __getattr__(self, name: str) -> Any:
        try:
            return self.header[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class BasedOn:
    """Ввод на основании: how a document of this kind is filled from ``source``.

    ``fill(base_doc, inputs) -> {"header": {...}, "lines": [...]}`` is pure; what it reads
    from the database (defaults, the base's own base) it declares in ``needs(base_doc)``
    (see :mod:`erp.platform.posting.inputs`). ``offered(base_doc, derived)`` says whether
    the form of the base offers it at all (a paid invoice offers no payment); ``fill``
    still refuses what it cannot fill.
    """

    source: str
    fill: Callable[[Doc, Any], Mapping[str, Any]]
    needs: Callable[[Doc], Mapping[str, Any]] | None = None
    offered: Callable[[Any, Mapping[str, Any]], bool] | None = None


@dataclass(frozen=True)
class Derived:
    """Read-only values computed on read (an invoice's status and amount due): ``fields`` declare
    them, ``needs(docs)`` what to read for a page of documents, ``compute(docs, inputs)`` gives
    ``{id: {field: value}}``. Pure, like a posting rule. ``line_fields`` are derived per line (what
    arrived on each line of a supplier order): ``compute`` gives them for a document read with its
    lines as ``"lines": [{field: value}, …]``, one per line, in order."""

    fields: tuple[Field, ...]
    needs: Callable[[Sequence[Doc]], Mapping[str, Any]]
    compute: Callable[[Sequence[Doc], Any], Mapping[int, Mapping[str, Any]]]
    line_fields: tuple[Field, ...] = ()


@dataclass(frozen=True)
class Filling:
    """«Заполнить»: the tabular section filled from the database (an inventory count's book
    quantities), shown in the form and not written. ``parameters`` are the header fields it takes
    (with the document's date, the moment it fills at); ``needs(header, date)`` says what it reads
    (see :mod:`erp.platform.posting.inputs`; a stored document's own movements are left out);
    ``lines(header, date, inputs)`` gives the lines. Both pure."""

    parameters: tuple[str, ...]
    needs: Callable[[Mapping[str, Any], dt.datetime], Mapping[str, Any]]
    lines: Callable[[Mapping[str, Any], dt.datetime, Any], list[dict]]


@dataclass(frozen=True)
class Index:
    """An index of the header table beyond the list's ``(date, id)``: ``columns`` (``"-date"``
    descending), only over posted, unmarked documents with ``posted_only``."""

    name: str
    columns: tuple[str, ...]
    posted_only: bool = False

    def ddl(self, table: str) -> str:
        columns = ", ".join(ident(c.lstrip("-")) + (" DESC" if c.startswith("-") else "") for c in self.columns)
        where = " WHERE posted AND NOT deletion_mark" if self.posted_only else ""
        return f"CREATE INDEX IF NOT EXISTS {ident(self.name)} ON {ident(table)} ({columns}){where}"


@dataclass(frozen=True)
class NoOverlap:
    """Two posted, unmarked documents with the same ``equal`` fields never overlap in time
    (``[start, end)``): a PostgreSQL exclusion constraint, so it holds under concurrency too
    (a doctor, a room, a piece of equipment is never booked twice); an empty ``equal`` field
    books nothing. A violation is a 409 with ``code`` and the message ``message(doc, inputs)``
    gives (pure, from the kind's inputs: e.g. the busy room's name), by default the kind's
    ``conflict_message``."""

    name: str
    equal: tuple[str, ...]
    start: str
    end: str
    code: str = "exclusion_conflict"
    message: Callable[[Doc, Any], str] | None = None
    # A column whose equal, non-empty values share one slot (a group booking, see :class:`SharedSlot`):
    # such documents may hold the same time together; against anything else they still may not overlap.
    shared: str | None = None

    def ddl(self, table: str) -> str:
        equal = ", ".join(f"{ident(f)} WITH =" for f in self.equal)
        # a document without a shared key is its own slot: its id (a key never looks like a bare number)
        shared = f", (coalesce(nullif({ident(self.shared)}, ''), id::text)) WITH <>" if self.shared else ""
        return f"""DO $$ BEGIN
  CREATE EXTENSION IF NOT EXISTS btree_gist;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = {literal(self.name)}) THEN
    ALTER TABLE {ident(table)} ADD CONSTRAINT {ident(self.name)}
      EXCLUDE USING gist ({equal}, tstzrange({ident(self.start)}, {ident(self.end)}, '[)') WITH &&{shared})
      WHERE (posted AND NOT deletion_mark);
  END IF;
END $$;"""


# The SQLSTATE the shared slot's trigger raises when the slot is full (see :class:`SharedSlot`).
SLOT_FULL = "EB003"


@dataclass(frozen=True)
class SharedSlot:
    """Posted, unmarked documents with the same non-empty ``key`` hold one slot together (a group
    booking; an empty key shares nothing), at most ``limit`` (a column of each: the slot's capacity)
    of them. A trigger counts them under a transaction-scoped advisory lock on the key, so concurrent
    postings into one slot are counted one after another (capacity + 1 at once: exactly capacity
    succeed); the refusal is a 409 with ``code`` and ``message(doc, inputs)``. The kind's no-overlap
    rules name ``key`` as their ``shared`` column."""

    key: str
    limit: str
    code: str = "slot_full"
    message: Callable[[Doc, Any], str] | None = None

    def ddl(self, table: str) -> list[str]:
        function, trigger = ident(f"{table}_{self.key}_limit"), ident(f"{table}_{self.key}_limit")
        key, limit = ident(self.key), ident(self.limit)
        # PL/pgSQL: after the lock, the count's own snapshot sees what the slot's previous holder committed
        return [f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE taken bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended({literal(table + ':')} || NEW.{key}, 0));
  SELECT count(*) INTO taken FROM {ident(table)}
    WHERE {key} = NEW.{key} AND posted AND NOT deletion_mark AND id <> NEW.id;
  IF taken >= coalesce(NEW.{limit}, 1) THEN
    RAISE EXCEPTION 'slot % is full', NEW.{key} USING ERRCODE = {literal(SLOT_FULL)},
      DETAIL = taken::text;
  END IF;
  RETURN NEW;
END $$""",
                # made once, as the constraints are: dropping and re-making it at every start would lock
                # the table against a running server's postings (and deadlock a second server starting)
                f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = {literal(table)}::regclass
                 AND tgname = {literal(f"{table}_{self.key}_limit")}) THEN
    CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {ident(table)} FOR EACH ROW
      WHEN (NEW.posted AND NOT NEW.deletion_mark AND NEW.{key} <> '')
      EXECUTE FUNCTION {function}();
  END IF;
END $$"""]


@dataclass(frozen=True, eq=False)
class DocumentKind:
    name: str
    title: str
    header: tuple[Field, ...] = ()
    lines: tuple[Field, ...] = ()
    registers: tuple[Any, ...] = ()
    # The posting rule, pure: (doc, inputs) -> {register: [records]}; may raise an ErpError.
    movements: Callable[[Doc, Any], Mapping[Any, Sequence[Any]]] | None = None
    based_on: tuple[BasedOn, ...] = ()
    # Derive and check values from the input alone: (header, lines, settings) -> (header, lines),
    # raising ValidationError for bad input. Pure.
    prepare: Callable[[dict, list[dict], Any], tuple[dict, list[dict]]] | None = None
    # What the kind reads before it is written or posted, as data: (old doc or None, new doc,
    # settings) -> {name: need} (see erp.platform.posting.inputs); read in one query with the
    # engine's own reads, handed to fill, rules and movements as ``inputs``.
    needs: Callable[[Doc | None, Doc, Any], Mapping[str, Any]] | None = None
    # Defaults that live in the database, from the needs: (header, lines, inputs) -> (header, lines).
    # Pure; may raise ValidationError.
    fill: Callable[[dict, list[dict], Any], tuple[dict, list[dict]]] | None = None
    # The kind's rules that must hold whatever the path (create, save, post a draft, re-post, unpost,
    # a calendar move): (old doc or None, new doc, inputs) -> every error found (an empty list: none).
    # ``new.posted`` says whether it is (or stays) posted, so ``old.posted and not new.posted`` is
    # an unposting. Pure.
    rules: Callable[[Doc | None, Doc, Any], Sequence[Any]] | None = None
    # Indexes of the header table, no-overlap rules (one, or one per booked thing) and the default
    # message of their conflicts.
    indexes: tuple[Index, ...] = ()
    no_overlap: NoOverlap | tuple[NoOverlap, ...] | None = None
    # Documents that share one time slot up to a capacity (group bookings), checked by a trigger.
    shared_slot: SharedSlot | None = None
    conflict_message: str = "Документ конфликтует с уже проведённым"
    # Which header field points at the organization, and which of its attributes is the prefix.
    prefix_from: tuple[str, str, str] | None = None  # (field, catalog, attribute)
    organization_field: str | None = None
    lines_title: str = "Товары и услуги"
    number_width: int = 11
    derived: Derived | None = None
    filling: Filling | None = None
    # Roles that may change it; every role may read it.
    write_roles: tuple[str, ...] = ("admin", "accountant")

    def __post_init__(self) -> None:
        names = [f.name for f in self.header] + [f.name for f in self.lines]
        clash = RESERVED & set(names) - {"document_id"}
        if clash:
            raise ValueError(f"document {self.name}: reserved field names {clash}")
        if self.registers and self.movements is None:
            raise ValueError(f"document {self.name}: registers without a movements() rule")

    @property
    def table(self) -> str:
        return f"doc_{stem(self.name)}"

    @property
    def lines_table(self) -> str:
        return f"doc_{stem(self.name)}_lines"

    @property
    def derived_fields(self) -> tuple[Field, ...]:
        return self.derived.fields if self.derived else ()

    @property
    def derived_line_fields(self) -> tuple[Field, ...]:
        return self.derived.line_fields if self.derived else ()

    @property
    def overlaps(self) -> tuple[NoOverlap, ...]:
        if self.no_overlap is None:
            return ()
        return self.no_overlap if isinstance(self.no_overlap, tuple) else (self.no_overlap,)

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
            *(overlap.ddl(self.table) for overlap in self.overlaps),
            *(self.shared_slot.ddl(self.table) if self.shared_slot else ()),
            *(index.ddl(self.table) for index in self.indexes),
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
