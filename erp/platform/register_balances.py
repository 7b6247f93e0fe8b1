"""Остатки для проведения: the current balances of the keys a posting rule
asks for (e.g. for a moving-average cost), one query per register, or as an
expression inside a new document's first query (:func:`balances_lookup`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from .register import AccumulationRegister, q


def _dims(register: AccumulationRegister) -> str:
    return ", ".join(q(d) for d in register.dimension_names)


def join_on(register: AccumulationRegister, left: str, right: str) -> str:
    """``left.d = right.d AND …`` over the register's dimensions."""
    return " AND ".join(f"{left}.{q(d)} = {right}.{q(d)}" for d in register.dimension_names)


def key_of(register: AccumulationRegister, values: Mapping[str, Any]) -> tuple[Any, ...]:
    """The key tuple (dimension values in declaration order) of a dict, parsed like a movement's."""
    missing = [d for d in register.dimension_names if values.get(d) is None]
    if missing:
        raise ValueError(f"register {register.name}: dimensions not given: {missing}")
    return tuple(register.parse_value(f, values[f.name]) for f in register.dimensions)


def _current_sql(reg: AccumulationRegister) -> str:
    if "current" in reg.sql:
        return reg.sql["current"]
    n = len(reg.dimensions)
    arrays = ", ".join(f"${i}::{f.sql_type}[]" for i, f in enumerate(reg.dimensions, start=1))
    own = ", ".join(f"sum(m.record_type * m.{q(r)}) AS {q(r)}" for r in reg.resource_names)
    values = ", ".join(f"coalesce(b.{q(r)}, 0) - coalesce(o.{q(r)}, 0) AS {q(r)}" for r in reg.resource_names)
    sql = f"""
SELECT k.ord, {values}
FROM unnest({arrays}) WITH ORDINALITY AS k({_dims(reg)}, ord)
LEFT JOIN {reg.balance_table} AS b ON {join_on(reg, "b", "k")}
LEFT JOIN LATERAL (
    SELECT {own} FROM {reg.movements_table} AS m
    WHERE m.recorder_kind = ${n + 1} AND m.recorder_id = ${n + 2} AND {join_on(reg, "m", "k")}
) AS o ON true"""
    reg.sql["current"] = sql
    return sql


async def current_balances(conn: asyncpg.Connection, register: AccumulationRegister,
                           keys: Iterable[Mapping[str, Any]],
                           exclude_recorder: tuple[str, int] | None = None
                           ) -> dict[tuple[Any, ...], dict[str, Decimal]]:
    """The balance now of each key, one query; with ``exclude_recorder``, less
    that recorder's own movements (a re-posted document must not count itself,
    e.g. for a moving-average cost). Keys are dimension dicts; the result is
    keyed by dimension tuples in declaration order."""
    if not register.is_balance:
        raise TypeError(f"register {register.name} keeps turnovers only")
    unique = list(dict.fromkeys(key_of(register, k) for k in keys))
    if not unique:
        return {}
    columns = [list(column) for column in zip(*unique, strict=True)]
    kind, rid = exclude_recorder if exclude_recorder is not None else (None, None)
    rows = await conn.fetch(_current_sql(register), *columns, kind, rid)
    return {unique[row["ord"] - 1]: {r: row[r] for r in register.resource_names} for row in rows}



def balances_lookup(register: AccumulationRegister, keys: Iterable[Mapping[str, Any]], first_arg: int
                    ) -> tuple[str, list[list[Any]], list[tuple[Any, ...]]] | None:
    """The balances now of ``keys`` as an SQL expression for a new document's
    first read (an array of ``(ordinal, resources…)`` records, see
    :func:`balances_from`), its arguments from ``$first_arg`` and the key tuples.
    A new document has no movements of its own yet, so none are excluded."""
    if not register.is_balance:
        raise TypeError(f"register {register.name} keeps turnovers only")
    unique = list(dict.fromkeys(key_of(register, k) for k in keys))
    if not unique:
        return None
    key = f"lookup:{first_arg}"
    if key not in register.sql:
        arrays = ", ".join(f"${i}::{f.sql_type}[]" for i, f in enumerate(register.dimensions, start=first_arg))
        values = ", ".join(f"coalesce(b.{q(r)}, 0)" for r in register.resource_names)
        register.sql[key] = (f"ARRAY(SELECT ROW(k.ord, {values}) FROM unnest({arrays}) WITH ORDINALITY"
                             f" AS k({_dims(register)}, ord)"
                             f" LEFT JOIN {register.balance_table} AS b ON {join_on(register, 'b', 'k')})")
    return register.sql[key], [list(column) for column in zip(*unique, strict=True)], unique


def balances_from(register: AccumulationRegister, unique: Sequence[tuple[Any, ...]],
                  records: Iterable[Sequence[Any]]) -> dict[tuple[Any, ...], dict[str, Decimal]]:
    """:func:`balances_lookup`'s records keyed like :func:`current_balances`' answer."""
    names = register.resource_names
    return {unique[rec[0] - 1]: dict(zip(names, rec[1:], strict=True)) for rec in records}
