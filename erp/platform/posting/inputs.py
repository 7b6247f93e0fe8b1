"""Declared reads: what a document kind needs to know before it can post, as data.

A kind (and every subscriber) says what it needs as a mapping ``{name: need}``;
the engine turns all the needs of one operation into **one** query
(:func:`select`) and hands the answers to the pure build step as
:class:`Inputs`, by the same names. No SQL lives in the configuration.

* :class:`Lookup`: one item of a catalog (or document) by id, some of its fields;
* :class:`Many`: several items by id;
* :class:`Predefined`: a catalog's predefined item;
* :class:`First`: the first item not marked for deletion (a default organization);
* :class:`Balances`: balances of an accumulation register for keys, now or at a moment,
  without the recorder's own movements (a re-posted document does not count itself);
* :class:`BalancesWhere`: the non-zero balances of every key with some dimensions equal (all the
  items of a warehouse), now or at a moment, without the recorder's own movements;
* :class:`LastBalances`: for keys, the last balance at or before a moment in which a resource was
  positive (the last known average cost, when the balance at the moment is empty);
* :class:`Parts`: the rows of a catalog's tabular part (:mod:`..catalog_parts`) for several items;
* :class:`PartBalances`: balances (as :class:`Balances`) of the keys a tabular part's rows name
  (a service's materials in a warehouse): read with the rows, in the same query;
* :class:`Slice`: срез последних of an information register;
* :class:`Documents`: documents of a kind by equal fields, optionally with a balance;
* :class:`Constants`: constants by key prefix (the administrator's preferences);
* :class:`Later`: needs that depend on what the others read, in a second query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import msgspec

from ..register import AccumulationRegister
from .sqlnames import Params, by_ids, ident, idents


class Lookup(msgspec.Struct, frozen=True):
    target: str
    id: int | None
    fields: tuple[str, ...]


class Many(msgspec.Struct, frozen=True):
    target: str
    ids: tuple[int, ...]
    fields: tuple[str, ...]


class Predefined(msgspec.Struct, frozen=True):
    catalog: str
    name: str
    fields: tuple[str, ...] = ()


class First(msgspec.Struct, frozen=True):
    target: str
    fields: tuple[str, ...] = ()
    where: dict[str, Any] = {}
    order: tuple[str, ...] = ()  # columns before the id, "-name" descending


class Balances(msgspec.Struct, frozen=True):
    register: str
    keys: tuple[tuple[Any, ...], ...]
    at: dt.datetime | None = None


class PartBalances(Balances, frozen=True):
    """The balances of every key ``fixed`` + the ref ``field`` of the rows of ``catalog``'s tabular part
    ``part`` whose owners are ``owners`` (``keys`` stays empty: the rows give them). A kind of
    :class:`Balances`, so a batch follows what its earlier documents change in them."""

    catalog: str = ""
    part: str = ""
    owners: tuple[int, ...] = ()
    field: str = ""
    fixed: dict[str, Any] = {}


class Parts(msgspec.Struct, frozen=True):
    """The rows of ``catalog``'s tabular ``part`` of the items ``owners``: ``{owner: [row, …]}`` in line
    order, each row its ``fields`` and, under ``joined``'s names, those columns of the item its first
    field (a ref) names."""

    catalog: str
    part: str
    owners: tuple[int, ...]
    fields: tuple[str, ...]
    joined: tuple[str, ...] = ()


class BalancesWhere(msgspec.Struct, frozen=True):
    """Every key whose dimensions ``where`` names are equal to its values, with its balance (now, or
    at ``at``) where any resource is non-zero; ``{key: {resource: value}}`` in key order."""

    register: str
    where: dict[str, Any]
    at: dt.datetime | None = None


class LastBalances(msgspec.Struct, frozen=True):
    """For each key, the balance after its last movement (at or before ``at``; any time without it)
    that left ``positive`` above zero: ``{key: {resource: value}}``, a key that never had any left
    out. The recorder's own movements do not count."""

    register: str
    keys: tuple[tuple[Any, ...], ...]
    at: dt.datetime | None = None
    positive: str = "quantity"


class Slice(msgspec.Struct, frozen=True):
    register: str
    filters: dict[str, Any]
    at: dt.datetime | None = None


class Documents(msgspec.Struct, frozen=True):
    kind: str
    where: dict[str, Any]
    fields: tuple[str, ...] = ()
    posted: bool | None = None
    balance: tuple[str, str] | None = None  # (register, the dimension that names the document)


class Constants(msgspec.Struct, frozen=True):
    prefix: str


class Later(msgspec.Struct, frozen=True):
    """Needs that depend on what the others read (an invoice's own base): ``then(inputs)`` gives
    them, read in a second query only when there are any; their answers come as a dict by name."""

    then: Callable[[Mapping[str, Any]], Mapping[str, Any]]


Need = (Lookup | Many | Predefined | First | Balances | BalancesWhere | LastBalances | Slice | Documents | Constants
        | Parts)


class Inputs(Mapping[str, Any]):
    """What the needs read, by name; ``lock`` is the period lock date in force, ``settings``
    the application's settings."""

    def __init__(self, values: Mapping[str, Any], lock: dt.date | None = None, settings: Any = None) -> None:
        self._values = dict(values)
        self.lock = lock
        self.settings = settings

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)


_PY_TYPES: tuple[tuple[type, str], ...] = ((bool, "boolean"), (int, "bigint"), (Decimal, "numeric"),
                                            (dt.datetime, "timestamptz"), (dt.date, "date"), (str, "text"))
_SYSTEM_TYPES = {"id": "bigint", "number": "text", "posted": "boolean", "deletion_mark": "boolean",
                 "based_on_kind": "text", "based_on_id": "bigint", "date": "timestamptz", "predefined": "text",
                 "parent_id": "bigint", "name": "text"}


def _type_of(registry, target: str, column: str, value: Any) -> str:
    obj = registry.target(target)
    for f in (*getattr(obj, "fields", ()), *getattr(obj, "header", ())):
        if f.name == column:
            return f.sql_type
    if column in _SYSTEM_TYPES:
        return _SYSTEM_TYPES[column]
    for py, sql in _PY_TYPES:
        if isinstance(value, py):
            return sql
    raise TypeError(f"{target}.{column}: cannot tell the SQL type of {value!r}")


def _table(registry, target: str) -> str:
    obj = registry.target(target)
    if obj is None:
        raise LookupError(f"unknown catalog or document kind {target!r}")
    return ident(obj.table)


def _row(fields: Iterable[str], alias: str = "t") -> str:
    return "ROW(" + ", ".join(f"{alias}.{ident(f)}" for f in fields) + ")"


def _where(registry, target: str, where: Mapping[str, Any], p: Params, name: str, alias: str = "t") -> list[str]:
    return [f"{alias}.{ident(c)} = {p(f'{name}.{c}', _type_of(registry, target, c, v))}" for c, v in where.items()]


def _balances_sql(register: AccumulationRegister, need: Balances, p: Params, name: str,
                  recorder: tuple[str, int] | None, keys: str | None = None) -> str:
    """``keys``: the relation ``k(dimensions…, ord)`` of the keys (by default the need's own, numbered)."""
    dims = register.dimension_names
    if keys is None:
        arrays = ", ".join(p(f"{name}.{d}", f"{f.sql_type}[]")
                           for d, f in zip(dims, register.dimensions, strict=True))
        keys = f"unnest({arrays}) WITH ORDINALITY AS k({idents(dims)}, ord)"
    on = " AND ".join(f"m.{ident(d)} = k.{ident(d)}" for d in dims)
    values = []
    laterals = []
    if need.at is not None:
        later = ", ".join(f"sum(m.record_type * m.{ident(r)}) AS {ident(r)}" for r in register.resource_names)
        laterals.append(f" LEFT JOIN LATERAL (SELECT {later} FROM {ident(register.movements_table)} AS m"
                        f" WHERE {on} AND m.period > {p(name + '.at', 'timestamptz')}) AS a ON true")
    if recorder is not None:
        own = ", ".join(f"sum(m.record_type * m.{ident(r)}) AS {ident(r)}" for r in register.resource_names)
        until = f" AND m.period <= {p(name + '.at', 'timestamptz')}" if need.at is not None else ""
        laterals.append(f" LEFT JOIN LATERAL (SELECT {own} FROM {ident(register.movements_table)} AS m"
                        f" WHERE m.recorder_kind = {p('recorder_kind', 'text')}"
                        f" AND m.recorder_id = {p('recorder_id', 'bigint')} AND {on}{until}) AS o ON true")
    for r in register.resource_names:
        value = f"coalesce(b.{ident(r)}, 0)"
        if need.at is not None:
            value += f" - coalesce(a.{ident(r)}, 0)"
        if recorder is not None:
            value += f" - coalesce(o.{ident(r)}, 0)"
        values.append(value)
    join = " AND ".join(f"b.{ident(d)} = k.{ident(d)}" for d in dims)
    first = "k.ord" if not isinstance(need, PartBalances) else ", ".join(f"k.{ident(d)}" for d in dims)
    # Each key's balance row by its unique index: a plain join let the generic plan (which cannot see how
    # many keys there are) hash the whole balance table, 10 000 rows on every posting (bench/NOTES.md item 26).
    return (f"ARRAY(SELECT ROW({first}, {', '.join(values)}) FROM {keys}"
            f" LEFT JOIN LATERAL (SELECT {idents(register.resource_names)}"
            f" FROM {ident(register.balance_table)} AS b WHERE {join} LIMIT 1) AS b ON true"
            + "".join(laterals) + ")")


def _part(registry, catalog: str, part: str):
    owner = registry.catalogs[catalog]
    found = next((p for p in owner.parts if p.name == part), None)
    if found is None:
        raise LookupError(f"catalog {catalog} has no tabular part {part!r}")
    return owner, found


def _parts_sql(registry, need: Parts, p: Params, name: str) -> str:
    owner, part = _part(registry, need.catalog, need.part)
    target = registry.target(next(f.ref for f in part.fields if f.name == need.fields[0]))
    columns = ", ".join([f"r.{ident(f)}" for f in need.fields] + [f"i.{ident(c)}" for c in need.joined])
    join = (f" JOIN {ident(target.table)} AS i ON i.id = r.{ident(need.fields[0])}" if need.joined else "")
    return (f"ARRAY(SELECT ROW(r.owner_id, {columns}) FROM {ident(part.table(owner.table))} AS r{join}"
            f" WHERE r.owner_id = ANY({p(name, 'bigint[]')}) ORDER BY r.owner_id, r.line_no)")


def _part_keys_sql(registry, register: AccumulationRegister, need: PartBalances, p: Params, name: str) -> str:
    """The keys of :class:`PartBalances` as the relation ``k(dimensions…, ord)``."""
    owner, part = _part(registry, need.catalog, need.part)
    columns = []
    for d in register.dimensions:
        if d.name == need.field:
            columns.append(f"r.{ident(need.field)}")
        else:
            columns.append(f"{p(f'{name}.{d.name}', d.sql_type)}")
    return (f"(SELECT DISTINCT {', '.join(columns)}, 0 FROM {ident(part.table(owner.table))} AS r"
            f" WHERE r.owner_id = ANY({p(name + '.owners', 'bigint[]')}))"
            f" AS k({idents(register.dimension_names)}, ord)")


def _not_own(recorder: tuple[str, int] | None, p: Params) -> str:
    if recorder is None:
        return ""
    return (f" AND (m.recorder_kind, m.recorder_id) IS DISTINCT FROM"
            f" ({p('recorder_kind', 'text')}, {p('recorder_id', 'bigint')})")


def _balances_where_sql(register: AccumulationRegister, need: BalancesWhere, p: Params, name: str,
                        recorder: tuple[str, int] | None) -> str:
    """The balance table's rows of the matching keys, less the movements after ``at`` and the
    recorder's own (up to ``at``), summed per key: one pass over the key index's prefix."""
    fields = {f.name: f for f in register.dimensions}
    dims, resources = idents(register.dimension_names), register.resource_names
    equal = [f"{{a}}.{ident(c)} = {p(f'{name}.{c}', fields[c].sql_type)}" for c in need.where]
    rows = [f"SELECT {', '.join('b.' + ident(d) for d in register.dimension_names)},"
            f" {', '.join('b.' + ident(r) for r in resources)} FROM {ident(register.balance_table)} AS b"
            + (" WHERE " + " AND ".join(e.format(a="b") for e in equal) if equal else "")]
    taken = ", ".join(f"-m.record_type * m.{ident(r)}" for r in resources)
    moved = (f"SELECT {', '.join('m.' + ident(d) for d in register.dimension_names)}, {taken}"
             f" FROM {ident(register.movements_table)} AS m WHERE " + " AND ".join(
                 [e.format(a="m") for e in equal] or ["true"]))
    if need.at is not None:
        rows.append(f"{moved} AND m.period > {p(name + '.at', 'timestamptz')}")
    if recorder is not None:
        until = f" AND m.period <= {p(name + '.at', 'timestamptz')}" if need.at is not None else ""
        rows.append(f"{moved} AND m.recorder_kind = {p('recorder_kind', 'text')}"
                    f" AND m.recorder_id = {p('recorder_id', 'bigint')}{until}")
    sums = ", ".join(f"sum(x.{ident(r)})" for r in resources)
    some = " OR ".join(f"sum(x.{ident(r)}) <> 0" for r in resources)
    return (f"ARRAY(SELECT ROW({', '.join('x.' + ident(d) for d in register.dimension_names)}, {sums})"
            f" FROM ({' UNION ALL '.join(rows)}) AS x({dims}, {idents(resources)})"
            f" GROUP BY {', '.join('x.' + ident(d) for d in register.dimension_names)} HAVING {some}"
            f" ORDER BY {', '.join('x.' + ident(d) for d in register.dimension_names)})")


def _last_balances_sql(register: AccumulationRegister, need: LastBalances, p: Params, name: str,
                       recorder: tuple[str, int] | None) -> str:
    """Per key, the running balance over its movements (in period order, ``at`` and before), and
    the last of those rows where ``positive`` was above zero."""
    dims = register.dimension_names
    arrays = ", ".join(p(f"{name}.{d}", f"{f.sql_type}[]") for d, f in zip(dims, register.dimensions, strict=True))
    on = " AND ".join(f"m.{ident(d)} = k.{ident(d)}" for d in dims)
    until = f" AND m.period <= {p(name + '.at', 'timestamptz')}" if need.at is not None else ""
    running = ", ".join(f"sum(m.record_type * m.{ident(r)}) OVER w AS {ident(r)}" for r in register.resource_names)
    return (f"ARRAY(SELECT ROW(k.ord, {', '.join('l.' + ident(r) for r in register.resource_names)})"
            f" FROM unnest({arrays}) WITH ORDINALITY AS k({idents(dims)}, ord)"
            f" JOIN LATERAL (SELECT r.* FROM (SELECT m.period, m.id, {running}"
            f" FROM {ident(register.movements_table)} AS m WHERE {on}{until}{_not_own(recorder, p)}"
            f" WINDOW w AS (ORDER BY m.period, m.id ROWS UNBOUNDED PRECEDING)) AS r"
            f" WHERE r.{ident(need.positive)} > 0 ORDER BY r.period DESC, r.id DESC LIMIT 1) AS l ON true)")


def _slice_sql(register, need: Slice, p: Params, name: str) -> str:
    fields = {f.name: f for f in register.dimensions}
    conditions = [f"{ident(c)} = {p(f'{name}.{c}', fields[c].sql_type)}" for c in need.filters]
    if register.periodic:
        conditions.append(f"period <= {p(name + '.at', 'timestamptz')}")
    dims = idents(register.dimension_names)
    latest = (["period DESC"] if register.periodic else []) + [
        "order_key DESC", "recorder_kind DESC NULLS LAST", "recorder_id DESC NULLS LAST"]
    same = [f"i.{ident(d)} = w.{ident(d)}" for d in register.dimension_names] + [
        "i.order_key = w.order_key", "i.recorder_kind IS NOT DISTINCT FROM w.recorder_kind",
        "i.recorder_id IS NOT DISTINCT FROM w.recorder_id"] + (["i.period = w.period"] if register.periodic else [])
    shown = [*register.dimension_names, *register.resource_names]
    where = " WHERE " + " AND ".join(conditions) if conditions else ""
    return (f"ARRAY(SELECT {_row(shown, 'i')} FROM {ident(register.table)} AS i JOIN ("
            f"SELECT DISTINCT ON ({dims}) {dims}, {'period, ' if register.periodic else ''}order_key, recorder_kind,"
            f" recorder_id FROM {ident(register.table)}{where} ORDER BY {dims}, {', '.join(latest)}) AS w"
            f" ON {' AND '.join(same)} ORDER BY {', '.join('i.' + ident(d) for d in register.dimension_names)},"
            " i.line_no)")


def expression(registry, name: str, need: Need, p: Params, recorder: tuple[str, int] | None) -> str:
    """One need as an expression of the read query (its parameters named ``<name>.…``)."""
    match need:
        case Lookup(target, _, fields):
            return f"(SELECT {_row(fields)} FROM {_table(registry, target)} AS t WHERE t.id = {p(name, 'bigint')})"
        case Many(target, _, fields):
            shown = tuple(dict.fromkeys(("id", *fields)))
            return (f"ARRAY(SELECT {_row(('id', *fields))} FROM {by_ids(p(name, 'bigint[]'))} CROSS JOIN LATERAL"
                    f" (SELECT {idents(shown)} FROM {_table(registry, target)} AS t WHERE t.id = u.id LIMIT 1) AS t)")
        case Predefined(catalog, _, fields):
            return (f"(SELECT {_row(('id', *fields))} FROM {_table(registry, catalog)} AS t"
                    f" WHERE t.predefined = {p(name, 'text')})")
        case First(target, fields, where, order):
            conditions = ["NOT t.deletion_mark", *_where(registry, target, where, p, name)]
            by = [f"t.{ident(c.lstrip('-'))}{' DESC' if c.startswith('-') else ''}" for c in order]
            return (f"(SELECT {_row(('id', *fields))} FROM {_table(registry, target)} AS t"
                    f" WHERE {' AND '.join(conditions)} ORDER BY {', '.join([*by, 't.id'])} LIMIT 1)")
        case PartBalances(register_name):
            register = registry.registers[register_name]
            return _balances_sql(register, need, p, name, recorder, _part_keys_sql(registry, register, need, p, name))
        case Balances(register_name):
            return _balances_sql(registry.registers[register_name], need, p, name, recorder)
        case Parts():
            return _parts_sql(registry, need, p, name)
        case BalancesWhere(register_name):
            return _balances_where_sql(registry.registers[register_name], need, p, name, recorder)
        case LastBalances(register_name):
            return _last_balances_sql(registry.registers[register_name], need, p, name, recorder)
        case Slice(register_name):
            return _slice_sql(registry.info_registers[register_name], need, p, name)
        case Documents(kind, where, fields, posted, balance):
            conditions = _where(registry, kind, where, p, name)
            if posted is not None:
                conditions.append("t.posted" if posted else "NOT t.posted")
            columns = _row(("id", "number", "posted", *fields))[:-1]
            if balance is not None:
                register = registry.registers[balance[0]]
                value = register.resource_names[0]
                columns += (f", coalesce((SELECT b.{ident(value)} FROM {ident(register.balance_table)} AS b"
                            f" WHERE b.{ident(balance[1])} = t.id), 0)")
            return (f"ARRAY(SELECT {columns}) FROM {_table(registry, kind)} AS t"
                    f" WHERE {' AND '.join(conditions) or 'true'} ORDER BY t.id)")
        case Constants():
            return (f"ARRAY(SELECT ROW(c.key, c.value::text) FROM constants AS c"
                    f" WHERE starts_with(c.key, {p(name, 'text')}))")
    raise TypeError(f"not a need: {need!r}")


def values(registry, name: str, need: Need) -> dict[str, Any]:
    """The parameters of one need, by the names :func:`expression` gave them."""
    match need:
        case Lookup(_, id_):
            return {name: id_}
        case Many(_, ids):
            return {name: list(ids)}
        case Predefined(_, predefined):
            return {name: predefined}
        case First(_, _, where) | Documents(_, where):
            return {f"{name}.{c}": v for c, v in where.items()}
        case PartBalances(_, _, at, _, _, owners, _, fixed):
            out: dict[str, Any] = {f"{name}.{d}": v for d, v in fixed.items()}
            out[f"{name}.owners"] = list(owners)
            if at is not None:
                out[f"{name}.at"] = at
            return out
        case Parts(_, _, owners):
            return {name: list(owners)}
        case Balances(register_name, keys, at):
            register = registry.registers[register_name]
            columns = list(zip(*keys, strict=True)) if keys else [() for _ in register.dimension_names]
            out = {f"{name}.{d}": list(c) for d, c in zip(register.dimension_names, columns, strict=True)}
            if at is not None:
                out[f"{name}.at"] = at
            return out
        case BalancesWhere(_, where, at):
            out = {f"{name}.{c}": v for c, v in where.items()}
            if at is not None:
                out[f"{name}.at"] = at
            return out
        case LastBalances(register_name, keys, at):
            register = registry.registers[register_name]
            columns = list(zip(*keys, strict=True)) if keys else [() for _ in register.dimension_names]
            out = {f"{name}.{d}": list(c) for d, c in zip(register.dimension_names, columns, strict=True)}
            if at is not None:
                out[f"{name}.at"] = at
            return out
        case Slice(register_name, filters, at):
            out = {f"{name}.{c}": v for c, v in filters.items()}
            if registry.info_registers[register_name].periodic:
                out[f"{name}.at"] = at or dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
            return out
        case Constants(prefix):
            return {name: prefix}
    raise TypeError(f"not a need: {need!r}")


def result(registry, need: Need, raw: Any) -> Any:
    """What one need's expression gave, as the build step reads it."""
    match need:
        case Lookup(_, _, fields):
            return None if raw is None else dict(zip(fields, raw, strict=True))
        case Many(_, _, fields):
            return {rec[0]: dict(zip(fields, rec[1:], strict=True)) for rec in raw or ()}
        case Predefined(_, _, fields) | First(_, fields):
            return None if raw is None else dict(zip(("id", *fields), raw, strict=True))
        case PartBalances(register_name):
            register = registry.registers[register_name]
            width = len(register.dimension_names)
            return {tuple(rec[:width]): dict(zip(register.resource_names, rec[width:], strict=True))
                    for rec in raw or ()}
        case Balances(register_name, keys):
            register = registry.registers[register_name]
            return {keys[rec[0] - 1]: dict(zip(register.resource_names, rec[1:], strict=True)) for rec in raw or ()}
        case Parts(_, _, _, fields, joined):
            rows: dict[int, list[dict[str, Any]]] = {}
            for rec in raw or ():
                rows.setdefault(rec[0], []).append(dict(zip((*fields, *joined), rec[1:], strict=True)))
            return rows
        case BalancesWhere(register_name):
            register = registry.registers[register_name]
            width = len(register.dimension_names)
            return {tuple(rec[:width]): dict(zip(register.resource_names, rec[width:], strict=True))
                    for rec in raw or ()}
        case LastBalances(register_name, keys):
            register = registry.registers[register_name]
            return {keys[rec[0] - 1]: dict(zip(register.resource_names, rec[1:], strict=True)) for rec in raw or ()}
        case Slice(register_name):
            register = registry.info_registers[register_name]
            names = (*register.dimension_names, *register.resource_names)
            return [dict(zip(names, rec, strict=True)) for rec in raw or ()]
        case Documents(_, _, fields, _, balance):
            names = ("id", "number", "posted", *fields, *(["balance"] if balance else []))
            return [dict(zip(names, rec, strict=True)) for rec in raw or ()]
        case Constants():
            return {rec[0]: msgspec.json.decode(rec[1]) for rec in raw or () if rec[1] is not None}
    raise TypeError(f"not a need: {need!r}")


def key_of(register: AccumulationRegister, values: Mapping[str, Any]) -> tuple[Any, ...]:
    """The key tuple (dimension values in declaration order) of a dict, parsed like a movement's."""
    missing = [d for d in register.dimension_names if values.get(d) is None]
    if missing:
        raise ValueError(f"register {register.name}: dimensions not given: {missing}")
    return tuple(register.parse_value(f, values[f.name]) for f in register.dimensions)


def need_shape(need: Need) -> tuple:
    """What a need's expression in the read query depends on: never its values, but the types of
    the values whose SQL type is told from the value (``where`` of :class:`First` and :class:`Documents`)."""
    match need:
        case Lookup(target, _, fields) | Many(target, _, fields):
            return type(need), target, fields
        case Predefined(catalog, _, fields):
            return Predefined, catalog, fields
        case First(target, fields, where, order):
            return First, target, fields, tuple((c, type(v)) for c, v in where.items()), order
        case PartBalances(register, _, at, catalog, part, _, field, fixed):
            return PartBalances, register, at is None, catalog, part, field, tuple(fixed)
        case Parts(catalog, part, _, fields, joined):
            return Parts, catalog, part, fields, joined
        case Balances(register, _, at):
            return Balances, register, at is None
        case BalancesWhere(register, where, at):
            return BalancesWhere, register, tuple(where), at is None
        case LastBalances(register, _, at, positive):
            return LastBalances, register, at is None, positive
        case Slice(register, filters):
            return Slice, register, tuple(filters)
        case Documents(kind, where, fields, posted, balance):
            return Documents, kind, tuple((c, type(v)) for c, v in where.items()), fields, posted, balance
        case Constants():
            return (Constants,)
    raise TypeError(f"not a need: {need!r}")


class _Query(msgspec.Struct, frozen=True):
    sql: str
    names: tuple[str, ...]
    aliases: tuple[str, ...]


_CACHE: dict[tuple, _Query] = {}


class _RunTime(Params):
    """The parameters of ``plain`` (the same numbers), each given to the planner as a run-time value,
    ``(SELECT $n)``: its estimates then do not depend on the value, as a generic plan's do not."""

    def __init__(self, plain: Params) -> None:
        super().__init__()
        self._plain = plain

    def __call__(self, name: str, sql_type: str | None = None) -> str:
        value = f"(SELECT {self._plain(name, sql_type)})"
        # ``= ANY((SELECT …))`` would compare with the subquery's rows: the cast makes it an array
        return f"{value}::{sql_type}" if sql_type and sql_type.endswith("[]") else value

    @property
    def names(self) -> tuple[str, ...]:
        return self._plain.names


def _by_key(need: Need) -> bool:
    """A need that finds rows by their ids or keys only (no moment, no other column's value), whose
    plan is the same whatever the values: see :func:`_build`."""
    if isinstance(need, Balances):  # PartBalances too
        return need.at is None
    return isinstance(need, (Lookup, Many, Predefined, Parts))


def _build(registry, needs: Iterable[Need], recorder: bool,
           head: Callable[[Params], Mapping[str, str]] | None) -> _Query:
    """The read query. PostgreSQL plans a prepared statement anew for every call (a custom plan) while
    that looks cheaper than its generic plan, and a custom plan sees the values: ``id = ANY($1)`` with
    the actual ids, the actual number of keys in ``unnest($2, $3)``. So the engine's own columns and the
    needs that go by ids and keys take their values at run time (:class:`_RunTime`), the custom plan
    costs what the generic one does, and the generic plan is kept after the first five calls (a
    ServiceRendering's read: 1.38 → 0.75 ms of server CPU, bench/NOTES.md item 24). Needs whose plan
    may depend on a value (a moment, a filter on another column) keep plain parameters, and PostgreSQL's
    own choice."""
    plain = Params()
    by_key = _RunTime(plain)
    columns = [f"{sql} AS {ident(alias)}" for alias, sql in (head(by_key) if head else {}).items()]
    aliases = []
    for i, need in enumerate(needs):
        key = f"n{i}"
        p = by_key if _by_key(need) else plain
        columns.append(f"{expression(registry, key, need, p, ('', 0) if recorder else None)} AS {key}")
        aliases.append(key)
    return _Query(("SELECT " + ", ".join(columns)) if columns else "", plain.names, tuple(aliases))


def select(registry, needs: Mapping[str, Need], recorder: tuple[str, int] | None,
           head: Callable[[Params], Mapping[str, str]] | None = None,
           head_values: Mapping[str, Any] | None = None, head_shape: Any = None) -> tuple[str, list[Any], list[str]]:
    """The read query of one operation: the engine's own ``head`` columns (``head(p)`` gives
    ``{alias: expression}`` with parameters named through ``p``, valued in ``head_values``) and one
    column per need. Returns the SQL ("" when there is nothing to read), the arguments and the needs'
    column aliases in order.

    The text depends on the needs' shapes (:func:`need_shape`) and the head's, never on their values,
    so it is built once per shape, as the write statement is; ``head_shape`` says what ``head``'s
    text depends on (without it, a query with a head is built every time)."""
    shapes = tuple(need_shape(n) for n in needs.values())
    cacheable = head is None or head_shape is not None
    key = (id(registry), recorder is not None, head_shape if head is not None else None, shapes)
    query = _CACHE.get(key) if cacheable else None
    if query is None:
        query = _build(registry, needs.values(), recorder is not None, head)
        if cacheable:
            _CACHE[key] = query
    given: dict[str, Any] = dict(head_values or {})
    for alias, need in zip(query.aliases, needs.values(), strict=True):
        given |= values(registry, alias, need)
    if recorder is not None:
        given |= {"recorder_kind": recorder[0], "recorder_id": recorder[1]}
    return query.sql, [given[n] for n in query.names], list(query.aliases)


def results(registry, needs: Mapping[str, Need], row: Mapping[str, Any], aliases: list[str]) -> dict[str, Any]:
    return {name: result(registry, need, row[alias]) for (name, need), alias in zip(needs.items(), aliases,
                                                                                     strict=True)}
