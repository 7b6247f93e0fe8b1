"""Проведение: the posting engine, one path for every operation.

Create, write, post, re-post, unpost and mark go through the same three steps:

1. **read**: one query for everything the operation needs (the period lock in force,
   the number prefix, the new document's id, its references, and the needs the kind
   and its subscribers declare, see :mod:`.inputs`); an existing document is first
   loaded and locked (``FOR UPDATE``);
2. **build**: the pure :func:`~.build.build` gives a :class:`~.plan.PostingPlan` or every error;
3. **write**: the plan compiled into one statement (:mod:`.compile`) and run.

A new document is two statements with no transaction around them: the write is the
transaction, and the gapless counter's row is locked only inside it, as in the
raw-SQL ceiling. An existing document's are inside one transaction that holds its
row from the load to the commit. Nothing depends on the kind's shape or on its
subscribers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from .. import audit
from .. import document_store as store
from ..db import RETRYABLE, retried
from ..document import SLOT_FULL, Doc, DocumentKind
from ..document_input import parse_document
from ..errors import Conflict, ErpError, NotFound, ValidationError
from ..fields import FieldError
from ..refs import found_sql, found_values, raise_bad_refs, refs_of
from ..shortfall_names import named, renamed
from ..shortfalls import SHORTAGE, BalanceShortage, shortfalls_of
from . import batch
from .build import build, combined
from .compile import compiled, decode_shortfalls, values
from .inputs import Inputs, Later, results, select
from .plan import PostingPlan
from .sqlnames import Params, ident

REFUSED = "EB002"  # erp_refuse(): the statement refused what only it could judge


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


class _Unbatched(Exception):
    """A batch re-post must go one document at a time (see :meth:`Engine.repost`)."""


def _naming(exc: ErpError, doc: Doc) -> ErpError:
    """A batch's error naming the document it is about."""
    exc.details = {**exc.details, "document_id": doc.id}
    exc.message = f"документ № {doc.number}: {exc.message}"
    exc.args = (exc.message,)
    return exc


class _Short(BalanceShortage):
    """Balance control refused a statement inside a transaction, which is now aborted: the engine
    names the items (:func:`~erp.platform.shortfall_names.named`) once its own transaction is over;
    inside a caller's transaction it stays a 409 with the keys' ids and balances."""


async def read_needs(conn: asyncpg.Connection, registry, needs: Mapping[str, Any],
                     recorder: tuple[str, int] | None, head=None, head_values=None,
                     head_shape=None) -> tuple[dict, Mapping]:
    """Read ``needs`` (and the engine's ``head`` columns, whose text depends on ``head_shape`` only) in
    one query, and their :class:`~.inputs.Later` needs in a second one when there are any. Returns the
    answers by name and the row."""
    now = {k: v for k, v in needs.items() if not isinstance(v, Later)}
    row: Mapping[str, Any] = {}
    found: dict[str, Any] = {}
    sql, args, aliases = select(registry, now, recorder, head, head_values, head_shape)
    if sql:  # nothing to read costs no round trip
        row = await conn.fetchrow(sql, *args)
        found = results(registry, now, row, aliases)
    later = {k: v for k, v in needs.items() if isinstance(v, Later)}
    if later:
        more: dict[str, Any] = {}
        for name, need in later.items():
            space = name.rsplit(".", 1)[0] + "." if "." in name else ""
            mine = {k[len(space):]: v for k, v in found.items() if k.startswith(space)}
            more |= {f"{name}.{n}": v for n, v in need.then(mine).items()}
        sql, args, aliases = select(registry, more, recorder)
        extra = results(registry, more, await conn.fetchrow(sql, *args), aliases) if sql else {}
        for name in later:
            found[name] = {k[len(name) + 1:]: v for k, v in extra.items() if k.startswith(name + ".")}
    return found, row


def _space(found: Mapping[str, Any], space: str) -> dict[str, Any]:
    return {k[len(space) + 1:]: v for k, v in found.items() if k.startswith(space + ".")}


def _lock(dates) -> dt.date | None:
    days = [dt.date.fromisoformat(d) for d in (dates or []) if d]
    return max(days) if days else None


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

    # -- operations ----------------------------------------------------------------------------

    @_retrying
    async def create(self, conn: asyncpg.Connection, kind: DocumentKind, data: Mapping[str, Any], *,
                     post: bool = False, author_id: int | None = None) -> Doc:
        """Write a new document (and post it with ``post=True``, "Провести и закрыть"): one read, one write,
        with no transaction around them. Inside a caller's transaction they run in a savepoint, so that a
        refusal rolls back this document only and the caller may go on."""
        if not conn.is_in_transaction():
            [doc] = await self._create(conn, kind, [data], post=post, author_id=author_id)
            return doc
        try:
            async with conn.transaction():
                [doc] = await self._create(conn, kind, [data], post=post, author_id=author_id)
        except _Short as short:
            raise await renamed(conn, self.registry, short) from None
        return doc

    async def create_many(self, conn: asyncpg.Connection, kind: DocumentKind, items: Sequence[Mapping[str, Any]], *,
                          post: bool = False, author_id: int | None = None) -> list[Doc]:
        """Write (and post) a batch of new documents of one kind (imports, the demo) in one transaction:
        each is read, built and written in turn (a later one sees what an earlier one posted, e.g. its
        stock), and a bad one refuses the whole batch, its error naming the item (``items[3]``)."""
        if conn.is_in_transaction():
            return await self._create(conn, kind, items, post=post, author_id=author_id)

        async def run() -> list[Doc]:
            try:
                async with conn.transaction():
                    return await self._create(conn, kind, items, post=post, author_id=author_id)
            except _Short as short:
                raise await renamed(conn, self.registry, short) from None

        return await retried(run)

    async def _create(self, conn, kind: DocumentKind, items: Sequence[Mapping[str, Any]], *, post: bool,
                      author_id: int | None) -> list[Doc]:
        out = []
        for i, data in enumerate(items):
            try:
                plan, doc = await self._plan_new(conn, kind, data, post=post, author_id=author_id)
                number = await self._run(conn, kind, plan)
            except ErpError as exc:
                if len(items) > 1:
                    exc.details = {**exc.details, "item": i}
                    exc.message = f"items[{i}]: {exc.message}"
                    exc.args = (exc.message,)
                raise
            out.append(dataclasses.replace(doc, number=number, number_prefix=plan.numbering.prefix,
                                           number_year=plan.numbering.year))
        return out

    async def _plan_new(self, conn, kind: DocumentKind, data: Mapping[str, Any], *, post: bool,
                        author_id: int | None) -> tuple[PostingPlan, Doc]:
        date, header, lines, based_on = parse_document(kind, data, self.tz, self.settings)
        date = date or dt.datetime.now(self.tz)
        if post and not kind.postable:
            raise Conflict(f"Документ «{kind.title}» не проводится", code="not_postable")
        new = Doc(kind.name, None, "", date, post, False, header, tuple(lines), based_on)
        needs = self._needs(kind, "create", None, new)
        refs = refs_of(self._refs(kind, header, lines, based_on))
        prefix_from = self._prefix_source(kind, header)

        head, head_values, head_shape = self._own_reads(kind, header, lock=True, new_id=True,
                                                        prefix_from=prefix_from, refs=refs)
        found, row = await read_needs(conn, self.registry, needs, None, head, head_values, head_shape)
        if refs is not None:
            raise_bad_refs(self.registry, refs, row["refs"])
        new = dataclasses.replace(new, id=row["new_id"])
        plan = self.plan(kind, "create", None, new, found, _lock(row["lock_dates"]), author_id=author_id,
                           prefix=(row["prefix"] or "") if prefix_from is not None else "")
        return plan, dataclasses.replace(new, header={**new.header, **plan.document.header},
                                         lines=plan.lines.rows if plan.lines else new.lines)

    @_retrying
    async def update(self, conn: asyncpg.Connection, kind: DocumentKind, doc_id: int,
                     data: Mapping[str, Any], *, post: bool | None = None) -> Doc:
        """Save a changed document. A posted one is re-posted (its movements replaced); ``post=True`` posts it."""
        date, header, lines, _ = parse_document(kind, data, self.tz, self.settings)

        def change(old: Doc) -> Doc:
            return dataclasses.replace(old, date=date or old.date, header=header, lines=tuple(lines),
                                       posted=bool(old.posted or post))

        return await self._existing(conn, kind, doc_id, "write", change)

    @_retrying
    async def post(self, conn: asyncpg.Connection, kind: DocumentKind, doc_id: int) -> Doc:
        self._require_postable(kind)
        return await self._existing(conn, kind, doc_id, "post", lambda old: dataclasses.replace(old, posted=True))

    @_retrying
    async def unpost(self, conn: asyncpg.Connection, kind: DocumentKind, doc_id: int) -> Doc:
        self._require_postable(kind)
        return await self._existing(conn, kind, doc_id, "unpost", lambda old: dataclasses.replace(old, posted=False))

    @_retrying
    async def set_deletion_mark(self, conn: asyncpg.Connection, kind: DocumentKind, doc_id: int,
                                mark: bool) -> Doc:
        return await self._existing(conn, kind, doc_id, "mark" if mark else "unmark",
                                    lambda old: dataclasses.replace(old, deletion_mark=mark))

    async def repost(self, conn: asyncpg.Connection, kind: DocumentKind, ids: Sequence[int]) -> list[Doc]:
        """Re-post a batch of documents of one kind (перепроведение, e.g. of a period) in one transaction:
        all of them loaded and locked in one query (in id order), every document's needs read in one
        query (:mod:`.batch`; a later document sees what an earlier one posted), each built in turn, and
        their write statements sent without waiting for each other's answers (pipelined, as asyncpg's
        ``executemany`` does). The batch holds or fails as a whole, the error naming the document: a
        refusal only the server could judge (balance control, a number series) sends the batch again
        one document at a time, read and written in turn, which names it."""
        self._require_postable(kind)

        async def run() -> list[Doc]:
            async with conn.transaction():
                loaded = await store.load_locked(conn, kind, ids)
                if len(set(ids)) == len(ids):
                    try:
                        async with conn.transaction():
                            return await self._repost_batch(conn, kind, loaded)
                    except _Unbatched:
                        pass
                return await self._repost_each(conn, kind, loaded)

        async def named_run() -> list[Doc]:
            try:
                return await run()
            except _Short as short:
                raise await renamed(conn, self.registry, short) from None

        return await run() if conn.is_in_transaction() else await retried(named_run)

    async def _repost_each(self, conn, kind: DocumentKind, loaded: Sequence[tuple[Doc, dt.date | None]]) -> list[Doc]:
        out = []
        for old, lock in loaded:
            new = dataclasses.replace(old, posted=True)
            try:
                plan = await self._write_existing(conn, kind, "post", old, new, lock)
                number = await self._run(conn, kind, plan)
            except ErpError as exc:
                raise _naming(exc, old) from None
            out.append(dataclasses.replace(new, number=number))
        return out

    async def _repost_batch(self, conn, kind: DocumentKind, loaded: Sequence[tuple[Doc, dt.date | None]]) -> list[Doc]:
        """The batch path of :meth:`repost`; raises :class:`_Unbatched` (before writing anything, or with
        the server's refusal, the savepoint then rolled back) when the documents must go one by one."""
        news = [dataclasses.replace(old, posted=True) for old, _ in loaded]
        needs = [self._needs(kind, "post", old, new) for (old, _), new in zip(loaded, news, strict=True)]
        if not all(batch.batchable(self.registry, kind, n) for n in needs):
            raise _Unbatched
        tracked = batch.tracked_registers(self.registry, kind, needs)
        async with batch.settings(conn):
            reads = await batch.read_all(conn, self.registry, kind.name,
                                         [(doc_id_of(old), n) for (old, _), n in zip(loaded, needs, strict=True)],
                                         tracked)
            changes = batch.Changes(tracked)
            plans = []
            for (old, lock), new, wanted, read in zip(loaded, news, needs, reads, strict=True):
                try:
                    plan = self.plan(kind, "post", old, new, changes.adjust(read.found, wanted, read.old), lock)
                except ErpError as exc:
                    raise _naming(exc, old) from None
                changes.add(plan, read.old)
                plans.append(plan)
            numbers = await self._write_all(conn, kind, plans)
        return [dataclasses.replace(new, number=number if number is not None else new.number)
                for new, number in zip(news, numbers, strict=True)]

    async def _write_all(self, conn, kind: DocumentKind, plans: Sequence[PostingPlan]) -> list[str | None]:
        """The plans' statements in order: runs of one statement that keep their numbers pipelined
        (``executemany``), any other one on its own; the new number of each, None where it is kept."""
        numbers: list[str | None] = []
        run: list[list[Any]] = []
        current = None

        async def flush() -> None:
            if current is not None and run:
                try:
                    await conn.executemany(current.sql, run)
                except RETRYABLE:
                    raise
                except asyncpg.PostgresError:
                    raise _Unbatched from None
                run.clear()

        for plan in plans:
            statement = compiled(self.registry, plan)
            if plan.numbering.mode != "keep":
                await flush()
                try:
                    numbers.append(await self._run(conn, kind, plan))
                except (ErpError, asyncpg.PostgresError) as exc:
                    if isinstance(exc, RETRYABLE):
                        raise
                    raise _Unbatched from None
                continue
            if statement is not current:
                await flush()
                current = statement
            run.append(statement.args(values(self.registry, plan)))
            numbers.append(None)
        await flush()
        return numbers

    async def _existing(self, conn, kind: DocumentKind, doc_id: int, operation, change) -> Doc:
        try:
            async with conn.transaction():
                old, lock = await store.load(conn, kind, doc_id, for_update=True)
                new = change(old)
                plan = await self._write_existing(conn, kind, operation, old, new, lock)
                number = await self._run(conn, kind, plan)
        except _Short as short:
            raise await renamed(conn, self.registry, short) from None
        if plan.lines is not None:
            new = dataclasses.replace(new, lines=plan.lines.rows)
        moved = plan.numbering.mode == "move"
        return dataclasses.replace(new, number=number, header={**new.header, **plan.document.header},
                                   number_prefix=plan.numbering.prefix if moved else new.number_prefix,
                                   number_year=plan.numbering.year if moved else new.number_year)

    async def _write_existing(self, conn, kind: DocumentKind, operation, old: Doc, new: Doc,
                              lock: dt.date | None) -> PostingPlan:
        needs = self._needs(kind, operation, old, new)
        writing = operation == "write"
        refs = refs_of(self._refs(kind, new.header, new.lines, None)) if writing else None
        field = kind.prefix_from[0] if kind.prefix_from else None
        new_source = writing and field is not None and new.header.get(field) != old.header.get(field)
        prefix_from = self._prefix_source(kind, new.header) if new_source else None
        org = kind.organization_field
        org_moved = writing and org is not None and new.header.get(org) != old.header.get(org)

        head, head_values, head_shape = self._own_reads(kind, new.header, lock=org_moved, new_id=False,
                                                        prefix_from=prefix_from, refs=refs)
        found, row = await read_needs(conn, self.registry, needs, (kind.name, doc_id_of(old)), head, head_values,
                                      head_shape)
        if refs is not None:
            raise_bad_refs(self.registry, refs, row["refs"])
        if org_moved:
            lock = max(filter(None, [lock, _lock(row["lock_dates"])]), default=None)
        prefix = None
        if new_source:
            prefix = (row["prefix"] or "") if prefix_from is not None else ""
        return self.plan(kind, operation, old, new, found, lock, prefix=prefix)

    # -- reading -----------------------------------------------------------------------------

    async def get(self, conn: asyncpg.Connection, kind: DocumentKind, doc_id: int) -> Doc:
        doc, _ = await store.load(conn, kind, doc_id)
        return doc

    async def derive(self, conn: asyncpg.Connection, kind: DocumentKind, docs: Sequence[Doc]
                     ) -> Mapping[int, Mapping[str, Any]]:
        return await derive(conn, self.registry, kind, docs)

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
        needs = mapping.needs(base) if mapping.needs else {}
        found, _ = await read_needs(conn, self.registry, needs, None)
        filled = mapping.fill(base, Inputs(found, settings=self.settings))
        return {**filled.get("header", {}), "lines": list(filled.get("lines", [])),
                "based_on": {"kind": source_kind, "id": source_id}}

    async def fill_lines(self, conn: asyncpg.Connection, kind: DocumentKind, values: Mapping[str, Any],
                         date: dt.datetime | None = None, doc_id: int | None = None) -> list[dict[str, Any]]:
        """«Заполнить»: the lines the kind's :class:`~erp.platform.document.Filling` gives for the header
        ``values`` it takes, at ``date`` (now without it); a stored document's own movements (``doc_id``)
        do not count. Nothing is written. Bad or missing values are one 422 naming each."""
        filling = kind.filling
        if filling is None:
            raise NotFound(f"Документ «{kind.title}» не заполняется автоматически", code="not_fillable")
        header: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name in filling.parameters:
            try:
                header[name] = dataclasses.replace(kind.header_field(name), required=True).parse(values.get(name))
            except FieldError as exc:
                problems[name] = str(exc)
        if problems:
            raise ValidationError.fields(problems)
        if doc_id is not None:
            await self.get(conn, kind, doc_id)
        moment = date or dt.datetime.now(self.tz)
        found, _ = await read_needs(conn, self.registry, filling.needs(header, moment),
                                    (kind.name, doc_id) if doc_id is not None else None)
        return filling.lines(header, moment, Inputs(found, settings=self.settings))

    # -- internals ---------------------------------------------------------------------------

    def _needs(self, kind: DocumentKind, operation, old: Doc | None, new: Doc) -> dict[str, Any]:
        needs = {f"kind.{n}": v for n, v in (kind.needs(old, new, self.settings) if kind.needs else {}).items()}
        for subscriber in self.registry.subscribers(kind.name):
            needs |= {f"{subscriber.name}.{n}": v for n, v in subscriber.needs(kind, operation, old, new).items()}
        return needs

    def plan(self, kind: DocumentKind, operation, old: Doc | None, new: Doc, found: Mapping[str, Any],
               lock: dt.date | None, *, author_id: int | None = None, prefix: str | None = None) -> PostingPlan:
        """The build step for ``operation`` (pure): ``found`` holds the needs' answers by their engine
        names (``kind.<name>``, ``<subscriber>.<name>``); every error is raised as one."""
        inputs = Inputs(_space(found, "kind"), lock=lock, settings=self.settings)
        subscribers = [_Bound(s, Inputs(_space(found, s.name), lock=lock, settings=self.settings))
                       for s in self.registry.subscribers(kind.name)]
        plan = build(self.registry, kind, operation, old, new, inputs, tz=self.tz, subscribers=subscribers,
                     actor=audit.current_actor(), author_id=author_id, prefix=prefix)
        if isinstance(plan, list):
            raise combined(plan)
        return plan

    async def _run(self, conn, kind: DocumentKind, plan: PostingPlan) -> str:
        """Run the plan's statement; its refusals as errors people read."""
        statement = compiled(self.registry, plan)
        args = statement.args(values(self.registry, plan))
        try:
            return await conn.fetchval(statement.sql, *args)
        except asyncpg.ExclusionViolationError as exc:
            overlap = next((o for o in plan.overlaps if o[0] == exc.constraint_name), None)
            if overlap is None:
                raise Conflict(kind.conflict_message, code="exclusion_conflict", details={"kind": kind.name}) from None
            raise Conflict(overlap[2], code=overlap[1], details={"kind": kind.name, "constraint": overlap[0]}) from None
        except asyncpg.PostgresError as exc:
            if exc.sqlstate == SHORTAGE:
                rows = decode_shortfalls(exc.detail)
                found = shortfalls_of(rows, statement.titles)
                if conn.is_in_transaction():
                    raise _Short(found) from None
                raise BalanceShortage(await named(conn, self.registry, found)) from None
            if exc.sqlstate == SLOT_FULL and plan.slot_full is not None:
                raise Conflict(plan.slot_full[1], code=plan.slot_full[0], details={"kind": kind.name}) from None
            if exc.sqlstate == REFUSED:
                n = plan.numbering
                raise Conflict(
                    f"Документ «{kind.title}» № {n.old_number} нельзя перенести в другой год или сменить ему префикс"
                    f" номера: его номер в серии {n.old_year} года не последний, и в ней остался бы пропуск."
                    " Создайте новый документ с нужной датой, а этот пометьте на удаление",
                    code="number_series_change",
                    details={"number": n.old_number, "year": n.old_year, "new_year": n.year}) from None
            raise

    def _own_reads(self, kind: DocumentKind, header: Mapping[str, Any], *, lock: bool, new_id: bool,
                   prefix_from: tuple[str, str, int] | None, refs) -> tuple[Any, dict[str, Any], tuple]:
        """The engine's own columns of the read query: the period lock in force for the organization,
        a new document's id, the number prefix and the references found; with their values and what
        their text depends on (the read query is built once per shape)."""
        org = header.get(kind.organization_field) if kind.organization_field else None

        def head(p: Params) -> dict[str, str]:
            columns: dict[str, str] = {}
            if lock:
                columns["lock_dates"] = ("(SELECT array_agg(value->>'date') FROM constants"
                                         f" WHERE key = ANY({p('h.lock_keys', 'text[]')}))")
            if new_id:
                columns["new_id"] = f"nextval(pg_get_serial_sequence({p('h.table', 'text')}, 'id'))"
            if prefix_from is not None:
                columns["prefix"] = (f"(SELECT {ident(prefix_from[1])} FROM {ident(prefix_from[0])}"
                                     f" WHERE id = {p('h.prefix_id', 'bigint')})")
            if refs is not None:
                columns["refs"] = found_sql(self.registry, refs, p)
            return columns

        shape = (lock, new_id, prefix_from[:2] if prefix_from else None, tuple(refs.wanted) if refs else None)
        return head, {"h.lock_keys": ["period_lock"] + ([f"period_lock:organization:{org}"] if org else []),
                      "h.table": ident(kind.table), **({"h.prefix_id": prefix_from[2]} if prefix_from else {}),
                      **(found_values(refs) if refs else {})}, shape

    def _prefix_source(self, kind: DocumentKind, header: Mapping[str, Any]) -> tuple[str, str, int] | None:
        """Where the number prefix comes from: (catalog table, attribute, item id), if anywhere."""
        if not kind.prefix_from or header.get(kind.prefix_from[0]) is None:
            return None
        field, catalog_name, attribute = kind.prefix_from
        return self.registry.catalogs[catalog_name].table, attribute, header[field]

    def _refs(self, kind: DocumentKind, header, lines, based_on) -> list[tuple[str, str | None, Any]]:
        refs = [(f.name, f.ref, header.get(f.name)) for f in kind.header if f.type == "ref"]
        for i, line in enumerate(lines):
            refs += [(f"lines[{i}].{f.name}", f.ref, line.get(f.name)) for f in kind.lines if f.type == "ref"]
        if based_on:
            refs.append(("based_on", based_on[0], based_on[1]))
        return refs

    def _require_postable(self, kind: DocumentKind) -> None:
        if not kind.postable:
            raise Conflict(f"Документ «{kind.title}» не проводится", code="not_postable")


@dataclasses.dataclass(frozen=True)
class _Bound:
    """A subscriber with its own inputs (its needs' answers, by its own names)."""

    subscriber: Any
    inputs: Inputs

    def rows(self, change):
        return self.subscriber.rows(dataclasses.replace(change, inputs=self.inputs))


def doc_id_of(doc: Doc) -> int:
    if doc.id is None:
        raise ValueError("a stored document has an id")
    return doc.id


async def derive(conn: asyncpg.Connection, registry, kind: DocumentKind, docs: Sequence[Doc]
                 ) -> Mapping[int, Mapping[str, Any]]:
    """A kind's read-only derived values (:class:`~erp.platform.document.Derived`) for ``docs``: one query."""
    if kind.derived is None or not docs:
        return {}
    found, _ = await read_needs(conn, registry, kind.derived.needs(docs), None)
    return kind.derived.compute(docs, Inputs(found))

