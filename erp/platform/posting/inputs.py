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
from .sqlnames import Params, ident, idents


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


Need = Lookup | Many | Predefined | First | Balances | Slice | Documents | Constants


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
                  recorder: tuple[str, int] | None) -> str:
    dims = register.dimension_names
    arrays = ", ".join(p(f"{name}.{d}", f"{f.sql_type}[]") for d, f in zip(dims, register.dimensions, strict=True))
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
    return (f"ARRAY(SELECT ROW(k.ord, {', '.join(values)}) FROM unnest({arrays}) WITH ORDINALITY"
            f" AS k({idents(dims)}, ord) LEFT JOIN {ident(register.balance_table)} AS b ON {join}"
            + "".join(laterals) + ")")


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
            return (f"ARRAY(SELECT {_row(('id', *fields))} FROM {_table(registry, target)} AS t"
                    f" WHERE t.id = ANY({p(name, 'bigint[]')}))")
        case Predefined(catalog, _, fields):
            return (f"(SELECT {_row(('id', *fields))} FROM {_table(registry, catalog)} AS t"
                    f" WHERE t.predefined = {p(name, 'text')})")
        case First(target, fields, where, order):
            conditions = ["NOT t.deletion_mark", *_where(registry, target, where, p, name)]
            by = [f"t.{ident(c.lstrip('-'))}{' DESC' if c.startswith('-') else ''}" for c in order]
            return (f"(SELECT {_row(('id', *fields))} FROM {_table(registry, target)} AS t"
                    f" WHERE {' AND '.join(conditions)} ORDER BY {', '.join([*by, 't.id'])} LIMIT 1)")
        case Balances(register_name):
            return _balances_sql(registry.registers[register_name], need, p, name, recorder)
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
        case Balances(register_name, keys, at):
            register = registry.registers[register_name]
            columns = list(zip(*keys, strict=True)) if keys else [() for _ in register.dimension_names]
            out: dict[str, Any] = {f"{name}.{d}": list(c) for d, c in zip(register.dimension_names, columns,
                                                                         strict=True)}
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
        case Balances(register_name, keys):
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
        case Balances(register, _, at):
            return Balances, register, at is None
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


def _build(registry, needs: Iterable[Need], recorder: bool,
           head: Callable[[Params], Mapping[str, str]] | None) -> _Query:
    p = Params()
    columns = [f"{sql} AS {ident(alias)}" for alias, sql in (head(p) if head else {}).items()]
    aliases = []
    for i, need in enumerate(needs):
        key = f"n{i}"
        columns.append(f"{expression(registry, key, need, p, ('', 0) if recorder else None)} AS {key}")
        aliases.append(key)
    return _Query(("SELECT " + ", ".join(columns)) if columns else "", p.names, tuple(aliases))


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
