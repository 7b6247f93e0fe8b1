"""Re-posting a batch (перепроведение) with one read for all of it.

Re-posted one at a time, each document costs a read of its needs and a write. A batch
of documents of one kind reads every document's needs in **one** query instead: the
read query of :mod:`.inputs` evaluated once per document over a JSON array of their
parameters (:func:`read_all`), documents whose needs have the same shape sharing the
query's text.

A later document of the batch must see what the earlier ones posted, as it would have
if each were read after the previous one's write. Balances are the only needs a
batch's own writes can change that this path accepts (:func:`batchable` refuses the
others): the query also returns every document's movements as they were, and
:class:`Changes` adds to a later document's balances what each earlier one's plan
changes (its new movements less its old ones, those up to the balance's moment when
it has one). The same movements as they were take the document's own ones out of its
balances (re-posted, a document does not count itself), so the query does not search
the register's movements for them key by key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from ..document import DocumentKind
from ..register import AccumulationRegister
from .inputs import (
    Balances,
    Constants,
    Documents,
    First,
    Later,
    Lookup,
    Many,
    Parts,
    Predefined,
    Slice,
    expression,
    need_shape,
    result,
    values,
)
from .plan import PostingPlan
from .sqlnames import Params, ident, literal


class _RowParams(Params):
    """The parameters of the read query taken from the batch's current JSON object (``d.j``) instead of
    ``$n``: the same expressions then read every document of the batch in one statement."""

    def __call__(self, name: str, sql_type: str | None = None) -> str:
        if sql_type is None:
            raise ValueError(f"a batched parameter needs its SQL type: {name}")
        super().__call__(name, sql_type)
        if sql_type.endswith("[]"):
            # Each element cast inside the subquery: a cast of the whole array (``ARRAY(…)::bigint[]``)
            # is evaluated again for every row a condition such as ``id = ANY(…)`` is tested on.
            return (f"ARRAY(SELECT e.v::{sql_type[:-2]} FROM jsonb_array_elements_text(d.j->{literal(name)})"
                    " WITH ORDINALITY AS e(v, i) ORDER BY e.i)")
        return f"(d.j->>{literal(name)})::{sql_type}"


def batchable(registry, kind: DocumentKind, needs: Mapping[str, Any]) -> bool:
    """Whether the needs can be read before the batch writes anything: none of them reads what the
    batch's writes change, except balances of the kind's registers (:class:`Changes` follows those)."""
    written = {r.name for r in kind.registers}
    for need in needs.values():
        match need:
            case Later():
                return False
            case Lookup(target) | Many(target) | Predefined(target) | First(target):
                if target == kind.name:
                    return False
            case Documents(other, _, _, _, balance):
                if other == kind.name or (balance is not None and balance[0] in written):
                    return False
            case Slice(register):
                if register in written:
                    return False
            case Balances() | Constants() | Parts():
                pass
            case _:
                return False
    return True


class _Batched(msgspec.Struct, frozen=True):
    sql: str
    names: tuple[str, ...]
    aliases: tuple[str, ...]


_CACHE: dict[tuple, _Batched] = {}


def _old_movements(reg: AccumulationRegister, p: Params) -> str:
    columns = ", ".join(["m.period", "m.record_type", *(f"m.{ident(c)}" for c in
                                                        (*reg.dimension_names, *reg.resource_names))])
    return (f"ARRAY(SELECT ROW({columns}) FROM {ident(reg.movements_table)} AS m"
            f" WHERE m.recorder_kind = {p('recorder_kind', 'text')} AND m.recorder_id = {p('recorder_id', 'bigint')}"
            " ORDER BY m.line_no)")


def _query(registry, needs: Sequence[Any], tracked: Sequence[AccumulationRegister]) -> _Batched:
    key = (id(registry), tuple(need_shape(n) for n in needs), tuple(r.name for r in tracked))
    found = _CACHE.get(key)
    if found is None:
        p = _RowParams()
        names = {r.name for r in tracked}
        columns, aliases = [], []
        for i, need in enumerate(needs):
            # A tracked register's balance is read with the document's own movements in it: they are
            # read anyway (``old_…``) and taken out in Python (:meth:`Changes.adjust`), which spares
            # the query a search of the register's movements per key.
            own_here = not (isinstance(need, Balances) and need.register in names)
            columns.append(f"{expression(registry, f'n{i}', need, p, ('', 0) if own_here else None)} AS n{i}")
            aliases.append(f"n{i}")
        columns += [f"{_old_movements(reg, p)} AS {ident(f'old_{i}')}" for i, reg in enumerate(tracked)]
        if "recorder_id" not in p.names:
            p("recorder_id", "bigint")
        sql = (f"SELECT {', '.join(columns)} FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS d(j, ord)"
               " ORDER BY d.ord")
        found = _CACHE[key] = _Batched(sql, p.names, tuple(aliases))
    return found


class Read(msgspec.Struct, frozen=True):
    """One document's answers (by need name) and its movements before the batch, per tracked register."""

    found: dict[str, Any]
    old: dict[str, list[tuple]]


async def read_all(conn, registry, kind_name: str, items: Sequence[tuple[int, Mapping[str, Any]]],
                   tracked: Sequence[AccumulationRegister]) -> list[Read]:
    """Every document's needs (``items``: its id and needs), in the order given: one query per shape
    of needs, each evaluating the read query of :mod:`.inputs` once per document (run it under
    :func:`settings`)."""
    groups: dict[tuple, list[int]] = {}
    for i, (_, needs) in enumerate(items):
        groups.setdefault(tuple((n, need_shape(v)) for n, v in needs.items()), []).append(i)
    out: list[Read | None] = [None] * len(items)
    for members in groups.values():
        needs_list = list(items[members[0]][1].values())
        if not needs_list and not tracked:  # nothing to read costs no round trip
            for i in members:
                out[i] = Read({}, {})
            continue
        query = _query(registry, needs_list, tracked)
        objects = []
        for i in members:
            doc_id, needs = items[i]
            given: dict[str, Any] = {"recorder_kind": kind_name, "recorder_id": doc_id}
            for alias, need in zip(query.aliases, needs.values(), strict=True):
                given |= values(registry, alias, need)
            objects.append({n: given[n] for n in query.names})
        rows = await conn.fetch(query.sql, msgspec.json.encode(objects).decode())
        for i, row in zip(members, rows, strict=True):
            needs = items[i][1]
            found = {name: result(registry, need, row[alias])
                     for (name, need), alias in zip(needs.items(), query.aliases, strict=True)}
            old = {reg.name: [tuple(rec) for rec in row[f"old_{t}"]] for t, reg in enumerate(tracked)}
            out[i] = Read(found, old)
    return [r for r in out if r is not None]


# What a batch runs under (see :func:`settings`).
_SETTINGS = {"jit": "off", "plan_cache_mode": "force_generic_plan"}


@contextlib.asynccontextmanager
async def settings(conn) -> AsyncIterator[None]:
    """The batch's statements under :data:`_SETTINGS`, set for the transaction (``set_config(…,
    true)``) and put back after them; a savepoint rolled back puts them back too (asyncpg sets
    ``jit`` so for its own introspection). One round trip each way.

    * ``jit`` off: the read query's estimated cost, every need's subquery once per document, is
      above the thresholds of JIT's inlining and optimization, and compiling it took seconds,
      many times what running it takes (bench/NOTES.md, item 23).
    * one generic plan for each write statement: the pipelined writes of a batch are one statement
      run once per document, which PostgreSQL would otherwise plan again for every document (a
      posting's statement is longer than asyncpg caches, so it is prepared unnamed, and its
      generic plan is not cheaper by the estimates than a custom one)."""
    names = list(_SETTINGS)
    setting = ", ".join(f"current_setting({literal(n)})" for n in names)
    change = ", ".join(f"set_config({literal(n)}, {literal(v)}, true)" for n, v in _SETTINGS.items())
    row = await conn.fetchrow(f"SELECT {setting}, {change}")
    yield
    back = [(n, row[i]) for i, n in enumerate(names) if row[i] != _SETTINGS[n]]
    if back:
        await conn.execute("SELECT " + ", ".join(f"set_config({literal(n)}, {literal(v)}, true)" for n, v in back))


class Changes:
    """What the batch's documents written so far changed in the registers it tracks: per register and
    key, the moments and the signed change of each resource (a receipt adds, an expense takes)."""

    def __init__(self, tracked: Iterable[AccumulationRegister]) -> None:
        self.registers = {r.name: r for r in tracked}
        self._moved: dict[str, dict[tuple, list[tuple[dt.datetime, tuple[Decimal, ...]]]]] = {
            name: {} for name in self.registers}

    def add(self, plan: PostingPlan, old: Mapping[str, list[tuple]]) -> None:
        """The plan's movements replace the document's ``old`` ones (rows of ``period, record_type,
        dimensions…, resources…``)."""
        for name, reg in self.registers.items():
            moved = self._moved[name]
            for key, change in _undone(reg, old.get(name, ())):
                moved.setdefault(key, []).append(change)
            resources = reg.resource_names
            for records in plan.registers:
                if records.register != name:
                    continue
                for m in records.movements:
                    key = tuple(m.dimensions[d] for d in reg.dimension_names)
                    moved.setdefault(key, []).append(
                        (m.period, tuple(m.record_type * m.resources[r] for r in resources)))

    def adjust(self, found: dict[str, Any], needs: Mapping[str, Any], own: Mapping[str, list[tuple]]
               ) -> dict[str, Any]:
        """``found`` with each tracked register's balances without the document's ``own`` movements
        (as :meth:`add` takes them: the query read them in, see :func:`_query`) and moved by what the
        earlier documents changed."""
        out = dict(found)
        for name, need in needs.items():
            if not isinstance(need, Balances) or need.register not in self.registers:
                continue
            moved = self._moved[need.register]
            reg = self.registers[need.register]
            mine: dict[tuple, list[tuple[dt.datetime, tuple[Decimal, ...]]]] = {}
            for key, change in _undone(reg, own.get(need.register, ())):
                mine.setdefault(key, []).append(change)
            balances = {}
            for key, value in found[name].items():
                changes = [*mine.get(key, ()), *moved.get(key, ())]
                if changes:
                    value = dict(value)
                    for period, amounts in changes:
                        if need.at is None or period <= need.at:
                            for r, a in zip(reg.resource_names, amounts, strict=True):
                                value[r] = value[r] + a
                balances[key] = value
            out[name] = balances
        return out


def _undone(reg: AccumulationRegister, records: Iterable[tuple]
            ) -> Iterable[tuple[tuple, tuple[dt.datetime, tuple[Decimal, ...]]]]:
    """Each stored movement (``period, record_type, dimensions…, resources…``) as the change that
    takes it back: its key, its moment and minus its signed resources."""
    dims = len(reg.dimension_names)
    for rec in records:
        period, sign, amounts = rec[0], rec[1], rec[2 + dims:]
        yield tuple(rec[2:2 + dims]), (period, tuple(-sign * a for a in amounts))


def tracked_registers(registry, kind: DocumentKind, needs: Iterable[Mapping[str, Any]]) -> list[AccumulationRegister]:
    """The kind's registers whose balances some document of the batch reads."""
    wanted = {need.register for n in needs for need in n.values() if isinstance(need, Balances)}
    return [registry.registers[r.name] for r in kind.registers
            if isinstance(r, AccumulationRegister) and r.name in wanted]

