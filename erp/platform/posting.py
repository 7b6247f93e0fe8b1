"""Проведение: the posting engine.

It owns the transaction. Writing, posting, unposting and marking a document
all go through here: the lifecycle guard and the period lock first, then the
document's own rows, then the movements of every register the kind declares
(replacing what the document had before: 1C's replace mode), then balance
control ("write, then check"), then the subscribers, e.g. an outbox. Either
everything happens or nothing does.

Round trips do not depend on the number of lines: loading is one query,
all the accumulation registers are one statement, balance control is one
query. A new document posted at once costs one read (references, lock date,
prefix, id, the balances and a declared context) and one statement that
writes, checks and numbers it last. When its kind writes accumulation
registers only and every subscriber can say its work in SQL
(:mod:`~erp.platform.hook_sql`: the audit log, the amoCRM outbox), that
statement carries the subscribers' rows too and runs with no transaction
around it: it is the transaction, and the gapless counter's row is locked
only inside it, as in the raw-SQL ceiling. Otherwise the counter row stays
locked from the end of that statement through the hooks to the commit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import inspect
from collections.abc import Mapping
from typing import Any

import asyncpg

from . import document_store as store
from .db import retried
from .document import Doc, DocumentKind, PostingContext
from .document_input import check_computed, parse_document
from .errors import Conflict, NotFound, ValidationError
from .hook_sql import speak_sql, statements_of
from .lifecycle import State, guard
from .numbering import move_to_series
from .refs import check_refs
from .register import AccumulationRegister
from .register_balances import current_balances, key_of
from .register_write import check_balances, raise_if_short, write_registers
from .shortfall_names import named


def _retrying(operation):
    """Deadlocks and serialization failures are PostgreSQL asking to try again: the engine does, a bounded
    number of times (``db.retried``), so no user sees them. Only when the engine owns the transaction:
    inside a caller's transaction the caller's whole work must be repeated instead."""
    @functools.wraps(operation)
    async def run(self, conn: asyncpg.Connection, *args, **kwargs):
        if conn.is_in_transaction():
            return await operation(self, conn, *args, **kwargs)
        return await retried(lambda: operation(self, conn, *args, **kwargs))

    return run


class Engine:
    """The posting engine for one registry (configuration) and its settings."""

    def __init__(self, registry, settings) -> None:
        self.registry = registry
        self.settings = settings

    @property
    def tz(self):
        return self.settings.tz

    def kind(self, name: str) -> DocumentKind:
        try:
            return self.registry.documents[name]
        except KeyError:
            raise NotFound(f"Неизвестный вид документа «{name}»", code="unknown_document_kind") from None

    # -- writing ---------------------------------------------------------------

    @_retrying
    async def create(self, conn: asyncpg.Connection, kind: DocumentKind, data: Mapping[str, Any], *,
                     post: bool = False, author_id: int | None = None) -> Doc:
        """Write a new document (and post it with ``post=True``, "Провести и закрыть").

        Everything that only reads comes first: the references checked, the
        lock date, the prefix, the id and the balances the posting rule may need
        in one query, then the rule's context. Then one statement writes the
        movements and totals, checks the balances and, when nothing is short,
        numbers the document and inserts it with its lines: the counter's row
        lock (gapless numbers) is taken after every other write and held to the
        commit. Said in SQL (see the module's docstring), the hooks' rows are in
        that statement and no transaction is opened: the read and the write are
        two statements, each its own snapshot as under READ COMMITTED anyway,
        and a refusal of the write (a shortage) leaves nothing behind."""
        date, header, lines, based_on = parse_document(kind, data, self.tz, self.settings)
        date = date or dt.datetime.now(self.tz)
        if post:
            self._require_postable(kind)
        hooks = self._hooks(kind)
        in_sql = post and self._in_one_statement(kind, hooks)
        # Said in one statement, the work needs no transaction around it: the statement is one.
        alone = in_sql and not conn.is_in_transaction()
        async with (contextlib.nullcontext() if alone else conn.transaction()), self._conflicts(kind):
            if kind.complete is not None:
                header, lines = await kind.complete(conn, header, lines, self.settings)
            check_computed(kind, header, lines)  # sums the document computed fit their columns
            doc = Doc(kind.name, None, "", date, False, False, header, tuple(lines), based_on)
            await self._rules(conn, kind, None, _replace(doc, posted=post))
            candidates = kind.balance_candidates(doc) if post and kind.balance_candidates else None
            context = kind.context_query if post else None
            new = await store.prepare_new(conn, self.registry, kind, header, self._prefix_source(kind, header),
                                          self._refs(kind, header, lines, based_on), candidates,
                                          (lambda first: context.columns(doc, first)) if context else None)
            guard("write", None, self._day(date), new.lock)
            if post:
                guard("post", State(False, False), self._day(date), new.lock)
            doc = _replace(doc, id=new.id)
            args = dict(doc_id=new.id, prefix=new.prefix, year=date.astimezone(self.tz).year, date=date,
                        header=header, lines=lines, based_on=based_on, author_id=author_id)
            if not post:
                doc = _replace(doc, number=await store.insert_new(conn, kind, posted=False, **args))
                await self._emit(conn, kind, None, doc, "write")
                return doc
            data = context.build(new.context) if context else None
            moves = await self._movements(conn, kind, _replace(doc, posted=True), read=new.balances, data=data)
            sets = self._accumulation(kind, moves)
            if in_sql:
                parts = statements_of(hooks, kind, _replace(doc, posted=True))
                number = await store.insert_posted(conn, kind, movements=sets, hooks=parts, **args)
                return _replace(doc, number=number, posted=True)
            if sets:
                number = await store.insert_posted(conn, kind, movements=sets, **args)
            else:
                number = await store.insert_new(conn, kind, posted=True, **args)
            doc = _replace(doc, number=number)
            await self._emit(conn, kind, None, doc, "write")
            doc = _replace(doc, posted=True)
            await self._write_others(conn, kind, doc, moves)
            await self._emit(conn, kind, None, doc, "post")
            return doc

    @_retrying
    async def update(self, conn: asyncpg.Connection, kind: DocumentKind, doc_id: int,
                     data: Mapping[str, Any], *, post: bool | None = None) -> Doc:
        """Save a changed document. A posted one is re-posted in the same
        transaction (its movements are replaced); ``post=True`` posts it."""
        date, header, lines, _ = parse_document(kind, data, self.tz, self.settings)
        async with conn.transaction(), self._conflicts(kind):
            old, lock = await store.load(conn, kind, doc_id, for_update=True)
            if kind.complete is not None:
                header, lines = await kind.complete(conn, header, lines, self.settings)
            check_computed(kind, header, lines)  # sums the document computed fit their columns
            date = date or old.date
            state = State(old.posted, old.deletion_mark)
            guard("write", state, self._day(old.date), lock, new_day=self._day(date))
            new_org = header.get(kind.organization_field) if kind.organization_field else None
            if new_org and new_org != old.header.get(kind.organization_field):
                guard("write", state, self._day(date), await store.lock_for_new(conn, kind, header))
            await check_refs(conn, self.registry, self._refs(kind, header, lines, None))
            await store.update_header(conn, kind, doc_id, date, header)
            number = await self._renumber(conn, kind, old, date, header)
            await store.replace_lines(conn, kind, doc_id, lines)
            doc = Doc(kind.name, doc_id, number, date, old.posted, False, header, tuple(lines),
                      old.based_on)
            await self._rules(conn, kind, old, _replace(doc, posted=bool(old.posted or post)))
            await self._emit(conn, kind, old, doc, "write")
            if old.posted or post:
                doc = await self._post(conn, kind, doc, old)
            return doc

    @_retrying
    async def post(self, conn: asyncpg.Connection, kind: DocumentKind, doc_id: int) -> Doc:
        self._require_postable(kind)
        async with conn.transaction(), self._conflicts(kind):
            doc, lock = await store.load(conn, kind, doc_id, for_update=True)
            guard("post", State(doc.posted, doc.deletion_mark), self._day(doc.date), lock)
            await self._rules(conn, kind, doc, _replace(doc, posted=True))
            return await self._post(conn, kind, doc, doc if doc.posted else None)

    @_retrying
    async def unpost(self, conn: asyncpg.Connection, kind: DocumentKind, doc_id: int) -> Doc:
        self._require_postable(kind)
        async with conn.transaction():
            doc, lock = await store.load(conn, kind, doc_id, for_update=True)
            guard("unpost", State(doc.posted, doc.deletion_mark), self._day(doc.date), lock)
            await self._rules(conn, kind, doc, _replace(doc, posted=False))
            await self._write_all(conn, kind, doc, {})
            await self._check(conn, kind, doc)
            await store.set_flags(conn, kind, doc_id, posted=False)
            new = _replace(doc, posted=False)
            await self._emit(conn, kind, doc, new, "unpost")
            return new

    @_retrying
    async def set_deletion_mark(self, conn: asyncpg.Connection, kind: DocumentKind, doc_id: int,
                                mark: bool) -> Doc:
        async with conn.transaction(), self._conflicts(kind):
            doc, lock = await store.load(conn, kind, doc_id, for_update=True)
            guard("mark" if mark else "unmark", State(doc.posted, doc.deletion_mark),
                  self._day(doc.date), lock)
            await store.set_flags(conn, kind, doc_id, deletion_mark=mark)
            new = _replace(doc, deletion_mark=mark)
            await self._emit(conn, kind, doc, new, "mark" if mark else "unmark")
            return new

    # -- reading -----------------------------------------------------------------

    async def get(self, conn: asyncpg.Connection, kind: DocumentKind, doc_id: int) -> Doc:
        doc, _ = await store.load(conn, kind, doc_id)
        return doc

    async def fill_based_on(self, conn: asyncpg.Connection, target: DocumentKind, source_kind: str,
                            source_id: int) -> dict[str, Any]:
        """Ввод на основании: the filled, unsaved new document."""
        mapping = target.based_on_source(source_kind)
        if mapping is None:
            raise ValidationError(
                f"«{target.title}» не вводится на основании «{self.kind(source_kind).title}»",
                code="not_based_on", details={"fields": {"based_on": "недопустимое основание"}})
        base = await self.get(conn, self.kind(source_kind), source_id)
        if base.deletion_mark:
            raise Conflict("Документ-основание помечен на удаление", code="base_marked")
        filled = await mapping.fill(conn, base) if inspect.iscoroutinefunction(mapping.fill) \
            else mapping.fill(base)
        return {**filled.get("header", {}), "lines": list(filled.get("lines", [])),
                "based_on": {"kind": source_kind, "id": source_id}}

    # -- internals -----------------------------------------------------------------

    async def _post(self, conn: asyncpg.Connection, kind: DocumentKind, doc: Doc, old: Doc | None) -> Doc:
        self._require_postable(kind)
        posted = _replace(doc, posted=True)
        await self._write_all(conn, kind, posted, await self._movements(conn, kind, posted))
        await self._check(conn, kind, posted)
        if not doc.posted:
            await store.set_flags(conn, kind, doc.id, posted=True)
        await self._emit(conn, kind, old, posted, "post")
        return posted

    async def _movements(self, conn: asyncpg.Connection, kind: DocumentKind, posted: Doc,
                         read: Mapping[str, Mapping[tuple, Any]] | None = None,
                         data: Mapping[str, Any] | None = None) -> dict[str, list]:
        """The posting rule's records by register name: its context and balances read, then the pure rule.
        ``read`` and ``data`` are balances and the context already read (a new document's, with its
        first query, see :func:`store.prepare_new`)."""
        if data is None:
            data = await self._context(conn, kind, posted)
        balances: dict[str, dict] = {}
        if kind.balance_keys is not None:
            for register, keys in kind.balance_keys(posted, data).items():
                have = (read or {}).get(register.name, {})
                wanted = list(dict.fromkeys(key_of(register, k) for k in keys))
                if all(k in have for k in wanted):
                    balances[register.name] = {k: have[k] for k in wanted}
                else:
                    balances[register.name] = await current_balances(
                        conn, register, list(keys), exclude_recorder=(kind.name, posted.id))
        moves = kind.movements(posted, PostingContext(balances=balances, data=data, settings=self.settings))
        by_name = {(r if isinstance(r, str) else r.name): list(v) for r, v in moves.items()}
        unknown = set(by_name) - {r.name for r in kind.registers}
        if unknown:
            raise AssertionError(f"{kind.name}.movements() wrote undeclared registers {unknown}")
        return by_name

    async def _context(self, conn: asyncpg.Connection, kind: DocumentKind, posted: Doc) -> Mapping[str, Any]:
        if kind.context_query is not None:
            expressions, args = kind.context_query.columns(posted, 1)
            row = await conn.fetchrow("SELECT " + ", ".join(f"{sql} AS c{i}" for i, sql in
                                                            enumerate(expressions.values())), *args)
            return kind.context_query.build({name: row[f"c{i}"] for i, name in enumerate(expressions)})
        return await kind.load_context(conn, posted, self.settings) if kind.load_context else {}

    async def _write_all(self, conn, kind: DocumentKind, doc: Doc, moves: Mapping[str, list]) -> None:
        """Replace the document's records in every register it declares: the
        accumulation registers in one statement, then each information register."""
        sets = self._accumulation(kind, moves)
        if sets:
            await write_registers(conn, kind.name, doc.id, sets)
        await self._write_others(conn, kind, doc, moves)

    @staticmethod
    def _accumulation(kind: DocumentKind, moves: Mapping[str, list]) -> list[tuple[AccumulationRegister, list]]:
        return [(r, moves.get(r.name, [])) for r in kind.registers if isinstance(r, AccumulationRegister)]

    async def _write_others(self, conn, kind: DocumentKind, doc: Doc, moves: Mapping[str, list]) -> None:
        for register in kind.registers:
            if not isinstance(register, AccumulationRegister):
                await self._write(conn, register, kind, doc, moves.get(register.name, []))

    async def _write(self, conn, register, kind: DocumentKind, doc: Doc, records: list) -> None:
        try:
            await register.write_records(conn, kind.name, doc.id, records, period=doc.date, order_key=_order_key(doc))
        except asyncpg.ExclusionViolationError:
            message = getattr(register, "conflict_message", None) or "Запись конфликтует с существующей"
            raise Conflict(message, code=getattr(register, "conflict_code", "conflict"),
                           details={"register": register.name}) from None

    async def _check(self, conn, kind: DocumentKind, doc: Doc) -> None:
        controlled = [(r, kind.name, doc.id) for r in kind.registers
                      if isinstance(r, AccumulationRegister) and r.controlled]
        if controlled and (shortfalls := await check_balances(conn, controlled)):
            raise_if_short(await named(conn, self.registry, shortfalls))

    async def _rules(self, conn, kind: DocumentKind, old: Doc | None, new: Doc) -> None:
        """The kind's own rules (:attr:`DocumentKind.check`), the same on every path."""
        if kind.check is not None:
            await kind.check(conn, old, new, self.settings)

    def _hooks(self, kind: DocumentKind) -> tuple:
        return (*kind.hooks, *self.registry.hooks_for(kind.name))

    @staticmethod
    def _in_one_statement(kind: DocumentKind, hooks) -> bool:
        """Whether writing and posting a new ``kind`` can be one statement: it writes accumulation
        registers only (information registers are written by Python) and every hook speaks SQL."""
        return bool(kind.registers) and speak_sql(hooks) and \
            all(isinstance(r, AccumulationRegister) for r in kind.registers)

    async def _emit(self, conn, kind: DocumentKind, old: Doc | None, new: Doc, action: str) -> None:
        for hook in self._hooks(kind):
            await hook(conn, kind, old, new, action)

    async def _renumber(self, conn, kind: DocumentKind, old: Doc, date: dt.datetime, header: Mapping[str, Any]) -> str:
        """The number in its series: a date moved to another year, or a new prefix source (the organization),
        moves the number to the new series (see :func:`~erp.platform.numbering.move_to_series`)."""
        field = kind.prefix_from[0] if kind.prefix_from else None
        new_source = field is not None and header.get(field) != old.header.get(field)
        year = self._day(date).year
        if year == self._day(old.date).year and not new_source:
            return old.number
        return await move_to_series(conn, kind, old.id, year, self._prefix_source(kind, header) if new_source else None)

    def _prefix_source(self, kind: DocumentKind, header: Mapping[str, Any]) -> tuple[str, str, int] | None:
        """Where the number prefix comes from: (catalog table, attribute, item id), if anywhere."""
        if not kind.prefix_from or header.get(kind.prefix_from[0]) is None:
            return None
        field, catalog_name, attribute = kind.prefix_from
        return self.registry.catalogs[catalog_name].table, attribute, header[field]

    def _refs(self, kind: DocumentKind, header, lines, based_on) -> list[tuple[str, str, int]]:
        refs = [(f.name, f.ref, header.get(f.name)) for f in kind.header if f.type == "ref"]
        for i, line in enumerate(lines):
            refs += [(f"lines[{i}].{f.name}", f.ref, line.get(f.name)) for f in kind.lines if f.type == "ref"]
        if based_on:
            refs.append(("based_on", based_on[0], based_on[1]))
        return refs

    @contextlib.asynccontextmanager
    async def _conflicts(self, kind: DocumentKind):
        """An exclusion constraint of the kind (e.g. no double booking) as a 409."""
        try:
            yield
        except asyncpg.ExclusionViolationError:
            raise Conflict(kind.conflict_message, code="exclusion_conflict",
                           details={"kind": kind.name}) from None

    def _day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()

    def _require_postable(self, kind: DocumentKind) -> None:
        if not kind.postable:
            raise Conflict(f"Документ «{kind.title}» не проводится", code="not_postable")


def _replace(doc: Doc, **changes) -> Doc:
    from dataclasses import replace

    return replace(doc, **changes)


def _order_key(doc: Doc) -> int:
    digits = "".join(ch for ch in doc.number if ch.isdigit())
    return int(digits or 0)
