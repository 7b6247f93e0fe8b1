"""The posting plan: everything one operation on a document writes, as data.

:func:`~erp.platform.posting.build.build` makes a plan from the document before
and after and what its needs read; it does no I/O. :mod:`.compile` turns a plan
into one SQL statement; :mod:`.execute` runs it. A plan is frozen: what is in it
is exactly what the statement writes, so a test can look at the plan of an
operation without a database (as beancount's ``Posting`` and Tryton's
``get_move`` keep the entries apart from posting them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

from ..register import Movement

Operation = Literal["create", "write", "post", "unpost", "mark", "unmark"]


class Computed(msgspec.Struct, frozen=True):
    """A value only the write statement knows: the new document's ``number`` (numbered last,
    under the counter's lock) or, inside a JSON object, the object with ``{key: [null, number]}``
    added (``into``)."""

    what: Literal["id", "number", "number_into"]
    into: dict[str, Any] | None = None
    key: str = "number"


DOC_ID = Computed("id")
DOC_NUMBER = Computed("number")


class Row(msgspec.Struct, frozen=True):
    """One row a subscriber adds (an audit entry, an outbox event): column values, some of
    them :class:`Computed`; ``types`` casts parameters where PostgreSQL cannot infer them."""

    table: str
    values: dict[str, Any]
    types: dict[str, str] = {}


class Notify(msgspec.Struct, frozen=True):
    """``pg_notify(channel, '')`` once the statement commits (listeners wake at commit)."""

    channel: str


class Numbering(msgspec.Struct, frozen=True):
    """The document's number: ``new`` (the series' next value), ``keep`` it, or ``move`` it into
    another series (its date moved to another year, its prefix changed): the old series gives
    the number back, which it can only do when it is the series' last; otherwise the statement
    refuses (gapless numbers in both series)."""

    mode: Literal["new", "keep", "move"]
    prefix: str = ""
    year: int = 0
    width: int = 11
    old_number: str = ""
    old_prefix: str = ""
    old_year: int = 0


class DocumentRow(msgspec.Struct, frozen=True):
    """The header row: inserted (``insert``) or updated."""

    kind: str
    table: str
    id: int
    date: dt.datetime
    posted: bool
    deletion_mark: bool
    header: dict[str, Any]
    types: dict[str, str]
    insert: bool
    based_on: tuple[str, int] | None = None
    author_id: int | None = None


class LinesWrite(msgspec.Struct, frozen=True):
    """The tabular section, replaced as a whole (``replace``: the old lines are deleted first)."""

    table: str
    fields: tuple[str, ...]
    types: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    replace: bool


class RecordSet(msgspec.Struct, frozen=True):
    """The recorder's complete set of movements of one accumulation register, replacing what it
    had (``fresh``: a new document, which had nothing)."""

    register: str
    movements: tuple[Movement, ...]
    fresh: bool = False


class InfoRecords(msgspec.Struct, frozen=True):
    """The recorder's complete set of records of one information register, at ``period``; their
    order key (which set wins at one moment) is the digits of the document's number."""

    register: str
    records: tuple[dict[str, Any], ...]
    period: dt.datetime


class PostingPlan(msgspec.Struct, frozen=True):
    """One operation's writes. ``registers`` and ``info`` are empty when the operation leaves
    the movements alone (writing a draft, marking)."""

    operation: Operation
    document: DocumentRow
    numbering: Numbering
    lines: LinesWrite | None = None
    registers: tuple[RecordSet, ...] = ()
    info: tuple[InfoRecords, ...] = ()
    rows: tuple[Row, ...] = ()
    notify: tuple[Notify, ...] = ()
    # How each no-overlap constraint the document could break refuses it: (constraint, code, message).
    overlaps: tuple[tuple[str, str, str], ...] = ()
    # How a full shared slot refuses it: (code, message), when it takes a place in one.
    slot_full: tuple[str, str] | None = None
