"""Итоги регистра накопления: proving and repairing the totals.

The month totals, the day totals (balance registers) and the current balances
are a cache of the movements, kept by every posting. :func:`check_totals` recomputes them from the
movements and lists every difference (a missing row counts as zeros, so a
zero row left behind by an unposting is no difference); :func:`rebuild_totals`
recomputes them in one transaction (1C's "пересчёт итогов"), holding off
postings to the register meanwhile. :func:`check_balance_rules` and
:func:`check_numbers` find what the totals cannot show: balances breaking
their register's balance control, and document numbers given twice in a
series or kept from another year's; :func:`check_balance_history`, balances
that were below zero at a past moment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from .register import AccumulationRegister, q


class Difference(msgspec.Struct, frozen=True, kw_only=True):
    """A stored total that differs from the recomputation from movements."""

    register: str
    table: str
    key: dict[str, Any]
    column: str
    stored: Decimal
    expected: Decimal


def _month_expected(reg: AccumulationRegister) -> tuple[list[str], str]:
    dims = ", ".join(q(d) for d in reg.dimension_names)
    if reg.is_balance:
        columns = [c for r in reg.resource_names for c in (f"{r}_receipt", f"{r}_expense")]
        sums = [f"sum(CASE WHEN record_type = {t} THEN {q(r)} ELSE 0 END) AS {q(f'{r}_{side}')}"
                for r in reg.resource_names for t, side in ((1, "receipt"), (-1, "expense"))]
    else:
        columns = list(reg.resource_names)
        sums = [f"sum({q(r)}) AS {q(r)}" for r in reg.resource_names]
    sql = (f"SELECT (date_trunc('month', period AT TIME ZONE '{reg.timezone}'))::date AS month, {dims}, "
           f"{', '.join(sums)} FROM {reg.movements_table} GROUP BY 1, {dims}")
    return columns, sql


def _day_expected(reg: AccumulationRegister) -> tuple[list[str], str]:
    dims = ", ".join(q(d) for d in reg.dimension_names)
    columns = [c for r in reg.resource_names for c in (f"{r}_receipt", f"{r}_expense")]
    sums = [f"sum(CASE WHEN record_type = {t} THEN {q(r)} ELSE 0 END) AS {q(f'{r}_{side}')}"
            for r in reg.resource_names for t, side in ((1, "receipt"), (-1, "expense"))]
    sql = (f"SELECT (date_trunc('day', period AT TIME ZONE '{reg.timezone}'))::date AS day, {dims}, "
           f"{', '.join(sums)} FROM {reg.movements_table} GROUP BY 1, {dims}")
    return columns, sql


def day_totals_sql(reg: AccumulationRegister) -> str:
    """The statement adding the day totals of a balance register up from its movements (into an empty table)."""
    columns, expected = _day_expected(reg)
    names = ", ".join(q(c) for c in ("day", *reg.dimension_names, *columns))
    return (f"INSERT INTO {reg.day_table} ({names}) SELECT {names} FROM ({expected}) AS e"
            f" WHERE {' OR '.join(f'{q(c)} <> 0' for c in columns)}")


def _balance_expected(reg: AccumulationRegister) -> tuple[list[str], str]:
    dims = ", ".join(q(d) for d in reg.dimension_names)
    sums = ", ".join(f"sum(record_type * {q(r)}) AS {q(r)}" for r in reg.resource_names)
    return list(reg.resource_names), f"SELECT {dims}, {sums} FROM {reg.movements_table} GROUP BY {dims}"


def _plans(reg: AccumulationRegister) -> list[tuple[str, str, list[str], list[str], str]]:
    """(table kind, table, key columns, amount columns, recomputation) for each totals table."""
    month_cols, month_sql = _month_expected(reg)
    plans = [("month", reg.month_table, ["month", *reg.dimension_names], month_cols, month_sql)]
    if reg.is_balance:
        day_cols, day_sql = _day_expected(reg)
        plans.append(("day", reg.day_table, ["day", *reg.dimension_names], day_cols, day_sql))
        cols, sql = _balance_expected(reg)
        plans.append(("balance", reg.balance_table, list(reg.dimension_names), cols, sql))
    return plans


async def check_totals(conn: asyncpg.Connection, register: AccumulationRegister) -> list[Difference]:
    """Every difference between the stored totals and the movements (one query per table)."""
    found: list[Difference] = []
    for kind, table, keys, columns, expected in _plans(register):
        key_sql = ", ".join(f"coalesce(s.{q(k)}, e.{q(k)}) AS {q(k)}" for k in keys)
        values = ", ".join(f"('{c}', coalesce(s.{q(c)}, 0), coalesce(e.{q(c)}, 0))" for c in columns)
        sql = f"""
SELECT {key_sql}, x.col, x.stored, x.expected
FROM {table} AS s FULL JOIN ({expected}) AS e ON {" AND ".join(f"s.{q(k)} = e.{q(k)}" for k in keys)}
CROSS JOIN LATERAL (VALUES {values}) AS x(col, stored, expected)
WHERE x.stored <> x.expected
ORDER BY {", ".join(q(k) for k in keys)}, x.col"""
        for row in await conn.fetch(sql):
            found.append(Difference(register=register.name, table=kind, key={k: row[k] for k in keys},
                                    column=row["col"], stored=row["stored"], expected=row["expected"]))
    return found


async def rebuild_totals(conn: asyncpg.Connection, register: AccumulationRegister) -> dict[str, int]:
    """Recompute the month totals and current balances from the movements in
    one transaction; returns the number of rows written per table."""
    counts: dict[str, int] = {}
    async with conn.transaction():
        # SHARE blocks postings (they write movements) until the rebuild commits.
        await conn.execute(f"LOCK TABLE {register.movements_table} IN SHARE MODE")
        for (kind, table, *_), statement in zip(_plans(register), totals_sql(register), strict=True):
            await conn.execute(f"DELETE FROM {table}")
            status = await conn.execute(statement)
            counts[kind] = int(status.rsplit(" ", 1)[-1])
    return counts


def totals_sql(register: AccumulationRegister) -> list[str]:
    """The statements adding every totals table of ``register`` (month, day, current balances) up
    from its movements, into empty tables: the rebuild, and a migration that backfills movements."""
    out = []
    for _kind, table, keys, columns, expected in _plans(register):
        names = ", ".join(q(c) for c in (*keys, *columns))
        out.append(f"INSERT INTO {table} ({names}) SELECT {names} FROM ({expected}) AS e "
                   f"WHERE {' OR '.join(f'{q(c)} <> 0' for c in columns)} ORDER BY {', '.join(q(k) for k in keys)}")
    return out


# -- what the ledger promises beyond its totals ------------------------------------------------


class Breach(msgspec.Struct, frozen=True, kw_only=True):
    """A key whose balance (recomputed from the movements) breaks its register's balance
    control: a ``no_negative`` resource below zero, or a ``zero_with`` resource non-zero
    where its ``pair`` is zero (cost left behind no quantity)."""

    register: str
    key: dict[str, Any]
    resource: str
    value: Decimal
    pair: str | None = None
    pair_value: Decimal | None = None
    moment: dt.datetime | None = None  # the balance was ``value`` at this past moment


async def check_balance_rules(conn: asyncpg.Connection, register: AccumulationRegister) -> list[Breach]:
    """Every key of ``register`` breaking what it declares controlled (one query); none when it controls nothing."""
    if not register.controlled:
        return []
    dims = ", ".join(q(d) for d in register.dimension_names)
    _, balances = _balance_expected(register)
    left = {r: f"b.{q(r)}" + (f" - b.{q(register.covers[r])}" if r in register.covers else "")
            for r in register.no_negative}
    rules = [f"('{r}', {left[r]}, NULL::text, NULL::numeric, {left[r]} < 0)" for r in register.no_negative]
    # as balance control does, a resource that must not be negative either is named once
    sign = {r: ">" if r in register.no_negative else "<>" for r in register.zero_with}
    rules += [f"('{r}', b.{q(r)}, '{p}', b.{q(p)}, b.{q(p)} = 0 AND b.{q(r)} {sign[r]} 0)"
              for r, p in register.zero_with.items()]
    keys = ", ".join(f"b.{q(d)}" for d in register.dimension_names)
    sql = f"""SELECT {keys}, x.resource, x.value, x.pair, x.pair_value
FROM ({balances}) AS b CROSS JOIN LATERAL (VALUES {", ".join(rules)}) AS x(resource, value, pair, pair_value, broken)
WHERE x.broken ORDER BY {dims}, x.resource"""
    return [Breach(register=register.name, key={d: row[d] for d in register.dimension_names},
                   resource=row["resource"], value=row["value"], pair=row["pair"], pair_value=row["pair_value"])
            for row in await conn.fetch(sql)]


async def check_balance_history(conn: asyncpg.Connection, register: AccumulationRegister) -> list[Breach]:
    """Every key of ``register`` whose resource controlled in the past
    (:attr:`~erp.platform.register.AccumulationRegister.controlled_in_the_past`) was below zero at some
    moment of its history: the lowest balance and its earliest moment, recomputed from the movements
    (each key's running total after each moment at which it has movements; one query)."""
    past = register.controlled_in_the_past
    if not past:
        return []
    dims = ", ".join(q(d) for d in register.dimension_names)
    running = ", ".join(f"sum(sum(record_type * {q(r)})) OVER (PARTITION BY {dims} ORDER BY period) AS {q(r)}"
                        for r in past)
    values = ", ".join(f"('{r}', h.{q(r)})" for r in past)
    keys = ", ".join(f"h.{q(d)}" for d in register.dimension_names)
    sql = f"""SELECT DISTINCT ON ({keys}, x.resource) {keys}, x.resource, x.value, h.period
FROM (SELECT {dims}, period, {running} FROM {register.movements_table} GROUP BY {dims}, period) AS h
CROSS JOIN LATERAL (VALUES {values}) AS x(resource, value)
WHERE x.value < 0 ORDER BY {keys}, x.resource, x.value, h.period"""
    return [Breach(register=register.name, key={d: row[d] for d in register.dimension_names},
                   resource=row["resource"], value=row["value"], moment=row["period"])
            for row in await conn.fetch(sql)]


class NumberFault(msgspec.Struct, frozen=True, kw_only=True):
    """Documents of one kind breaking numbering: one number given twice in a series
    (kind, prefix, year of the date), or a number kept from the series of another year."""

    kind: str
    prefix: str
    year: int
    number: str
    ids: list[int]
    problem: str  # "duplicate" or "year"


async def check_numbers(conn: asyncpg.Connection, kind, timezone: str) -> list[NumberFault]:
    """Every numbering fault of document ``kind`` (one query); the year is the date's in ``timezone``."""
    year = "extract(year FROM date AT TIME ZONE $1)::int"
    rows = await conn.fetch(
        f'SELECT number_prefix AS prefix, {year} AS year, number, array_agg(id ORDER BY id) AS ids,'
        f' count(*) > 1 AS duplicate FROM "{kind.table}" GROUP BY 1, 2, 3'
        f" HAVING count(*) > 1 OR bool_or(number_year <> {year}) ORDER BY 2, 1, 3", timezone)
    return [NumberFault(kind=kind.name, prefix=r["prefix"], year=r["year"], number=r["number"], ids=list(r["ids"]),
                        problem="duplicate" if r["duplicate"] else "year") for r in rows]
