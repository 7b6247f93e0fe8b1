"""Запись движений и контроль остатков: writing a recorder's movements into
an accumulation register, keeping its totals, and balance control.

:func:`write_movements` replaces the recorder's movements with a new set (an
empty set unposts it) and moves both totals tables by the difference, in one
SQL statement whatever the number of lines: the old movements are deleted
(``RETURNING`` what they were), the new ones inserted from arrays, the
difference aggregated per (month, key) and per key, and upserted in key order,
so that concurrent postings lock shared keys in the same order. A back-dated
posting touches one month row per key and the current row, never later
entries. :func:`write_registers` puts several registers' writes into that one
statement, so a posting costs one round trip for all its registers.

Balance control is "write, then check", as in 1C. The upsert of a current
balance row locks it until commit, so under READ COMMITTED the check that
follows sees the true balance. The write statement remembers, in a
transaction-local setting, the keys whose controlled resources it decreased
(including receipts taken back by re-posting or unposting), and
:func:`check_balances` looks at those keys only: a rolled-back transaction
forgets them with everything else. A new document's posting checks in its
one write statement instead (:func:`checked_write_parts`): each balance upsert
returns the balance it left, on a row it keeps locked until commit.

Reading the balances a posting rule needs lives in :mod:`.register_balances`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from .errors import Conflict
from .register import AccumulationRegister, Movement, q
from .register_balances import current_balances, join_on, key_of  # noqa: F401  (the first and last lived here)


class Shortfall(msgspec.Struct, frozen=True, kw_only=True):
    """A key whose controlled resource breaks a rule: went negative, or (``zero_with``
    names its pair) stayed non-zero where the pair is zero.

    ``required`` is what the recorder takes from the key (its expenses less its
    receipts, never below zero; 0 for ``zero_with``); ``available`` is the balance after the write
    plus ``required``: what the key had without this recorder. ``names`` (the dimensions'
    presentations), ``labels`` (the fields' titles) and ``balances`` (every resource of the key
    after the write) are filled when known, for people (see :mod:`.shortfall_names`).
    """

    register: str
    dimensions: dict[str, Any]
    resource: str
    available: Decimal
    required: Decimal
    title: str = ""
    zero_with: str | None = None
    names: dict[str, str] | None = None
    labels: dict[str, str] | None = None
    balances: dict[str, Decimal] | None = None

    def _label(self, name: str) -> str:
        return (self.labels or {}).get(name) or name

    def describe(self) -> str:
        names = self.names or {}
        key = ", ".join(f"{self._label(k)} «{names[k]}»" if k in names else f"{k}={v}"
                        for k, v in self.dimensions.items())
        if self.zero_with:
            amounts = (f"остаток {self.available - self.required} при нулевом остатке"
                       f" «{self._label(self.zero_with)}», а должен быть 0")
        elif self.required > 0:
            amounts = f"доступно {self.available}, требуется {self.required}"
        else:
            amounts = f"остаток станет {self.available - self.required}"
        after = ""
        if self.balances:
            after = " (после изменения: " + ", ".join(f"{self._label(r)} {v}" for r, v in self.balances.items()) + ")"
        return f"{self.title or self.register} ({key}), {self._label(self.resource)}: {amounts}{after}"

    def as_dict(self) -> dict[str, Any]:
        out = {"register": self.register, "dimensions": self.dimensions, "resource": self.resource,
               "available": str(self.available), "required": str(self.required)}
        if self.zero_with:
            out["zero_with"] = self.zero_with
        if self.names:
            out["names"] = self.names
        if self.balances:
            out["balances"] = {r: str(v) for r, v in self.balances.items()}
        return out


# The SQLSTATE of erp_balance_shortage(): a statement that controls its own balances refused (migration
# 2026-12-01T12:00:00); the shortfalls are the error's DETAIL, as JSON.
SHORTAGE = "EB001"


class BalanceShortage(Conflict):
    """A posting would leave a negative balance; the transaction must roll back."""

    code = "balance_shortage"

    def __init__(self, shortfalls: Sequence[Shortfall]) -> None:
        heading = "Остаток станет неверным: " if any(s.zero_with for s in shortfalls) else "Недостаточно остатка: "
        super().__init__(heading + "; ".join(s.describe() for s in shortfalls),
                         details={"shortfalls": [s.as_dict() for s in shortfalls]})
        self.shortfalls = list(shortfalls)


def raise_if_short(shortfalls: Sequence[Shortfall]) -> None:
    if shortfalls:
        raise BalanceShortage(shortfalls)


def _setting(register: AccumulationRegister) -> str:
    return f"erp_reg.{register.stem}"


def _dims(register: AccumulationRegister, prefix: str = "") -> str:
    return ", ".join(prefix + q(d) for d in register.dimension_names)


# -- writing ---------------------------------------------------------------------


def _write_ctes(reg: AccumulationRegister, tag: str, first_arg: int,
                recorder: tuple[str, str] = ("$1", "$2"), returning: bool = False,
                fresh: bool = False) -> tuple[str, str | None]:
    """The CTEs writing one register (names suffixed with ``tag``, arrays from
    ``$first_arg`` on; ``recorder`` names the parameters of the recorder's kind
    and id) and, for a register with balance control, the expression
    remembering the keys it decreased. With ``returning`` every write returns
    rows (the current balances its upsert left), see :func:`checked_write_parts`.
    A ``fresh`` recorder (a new document, its id just drawn) has no records to replace:
    nothing is deleted and the totals change by the new records alone."""
    rk, ri = recorder
    dims, res = _dims(reg), [q(r) for r in reg.resource_names]
    cols = ", ".join(q(f.name) for f in (*reg.dimensions, *reg.resources, *reg.attributes))
    types = ["integer", "timestamptz", "smallint",
             *(f.sql_type for f in (*reg.dimensions, *reg.resources, *reg.attributes))]
    arrays = ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, start=first_arg))
    moved = ", ".join(["period", "record_type", dims, *res])
    receipt = {r: q(f"{r}_receipt") for r in reg.resource_names}
    expense = {r: q(f"{r}_expense") for r in reg.resource_names}
    if reg.is_balance:
        month_cols = [c for r in reg.resource_names for c in (receipt[r], expense[r])]
        month_sums = [f"sum(CASE WHEN record_type = {t} THEN sign * {q(r)} ELSE 0 END) AS {side[r]}"
                      for r in reg.resource_names for t, side in ((1, receipt), (-1, expense))]
    else:
        month_cols = res
        month_sums = [f"sum(sign * {r}) AS {r}" for r in res]
    nonzero = " OR ".join(f"{c} <> 0" for c in month_cols)
    add = ", ".join(f"{c} = t.{c} + EXCLUDED.{c}" for c in month_cols)
    old, new, delta = f"old{tag}", f"new{tag}", f"delta{tag}"
    replaced = "" if fresh else f" UNION ALL SELECT -1, {moved} FROM {old}"
    sql = "" if fresh else f"""{old} AS (
    DELETE FROM {reg.movements_table} WHERE recorder_kind = {rk} AND recorder_id = {ri}
    RETURNING {moved}
), """
    sql += f"""{new} AS (
    SELECT * FROM unnest({arrays}) AS n(line_no, period, record_type, {cols})
), ins{tag} AS (
    INSERT INTO {reg.movements_table} (recorder_kind, recorder_id, line_no, period, record_type, {cols})
    SELECT {rk}, {ri}, line_no, period, record_type, {cols} FROM {new}{" RETURNING 1" if returning else ""}
), {delta} AS (
    SELECT (date_trunc('month', period AT TIME ZONE '{reg.timezone}'))::date AS month, {dims},
           {", ".join(month_sums)}
    FROM (SELECT 1 AS sign, {moved} FROM {new}{replaced}) AS d
    GROUP BY 1, {dims}
), month_up{tag} AS (
    INSERT INTO {reg.month_table} AS t (month, {dims}, {", ".join(month_cols)})
    SELECT month, {dims}, {", ".join(month_cols)} FROM {delta} WHERE {nonzero}
    ORDER BY {dims}, month
    ON CONFLICT (month, {dims}) DO UPDATE SET {add}{" RETURNING 1" if returning else ""}
)"""
    change = {r: f"sum({receipt[r]} - {expense[r]})" for r in reg.resource_names}
    if reg.is_balance:
        sql += f""", balance_up{tag} AS (
    INSERT INTO {reg.balance_table} AS t ({dims}, {", ".join(res)})
    SELECT {dims}, {", ".join(f"{change[r]} AS {q(r)}" for r in reg.resource_names)} FROM {delta} GROUP BY {dims}
    HAVING {" OR ".join(f"{change[r]} <> 0" for r in reg.resource_names)}
    ORDER BY {dims}
    ON CONFLICT ({dims}) DO UPDATE SET {", ".join(f"{r} = t.{r} + EXCLUDED.{r}" for r in res)}{
        f" RETURNING {dims}, {', '.join(res)}" if returning else ""}
)"""
    if not reg.controlled:
        return sql, None
    name = _setting(reg)
    decreased = _watched(reg, change)
    remember = f"""set_config('{name}', (
    coalesce(nullif(current_setting('{name}', true), ''), '[]')::jsonb
    || coalesce((SELECT jsonb_agg(jsonb_build_array({rk}::text, {ri}::bigint, {dims}))
                 FROM (SELECT {dims} FROM {delta} GROUP BY {dims} HAVING {decreased}) AS k), '[]'::jsonb)
)::text, true)"""
    return sql, remember


def _arity(reg: AccumulationRegister) -> int:
    """How many arrays one register's movements take (line_no, period, record_type and every field)."""
    return 3 + len(reg.dimensions) + len(reg.resources) + len(reg.attributes)


def write_parts(registers: Sequence[AccumulationRegister], first_arg: int,
                recorder: tuple[str, str] = ("$1", "$2")) -> tuple[str, list[str]]:
    """The CTEs writing ``registers`` (without ``WITH``) and the expressions the
    statement must select, for a statement that also does other things (a new
    document's insert): arrays are numbered from ``first_arg``, see :func:`write_arguments`."""
    ctes, remembers, arg = [], [], first_arg
    for i, reg in enumerate(registers):
        cte, remember = _write_ctes(reg, f"_{i}" if len(registers) > 1 else "", arg, recorder)
        ctes.append(cte)
        if remember:
            remembers.append(remember)
        arg += _arity(reg)
    return ",\n".join(ctes), remembers


def _controlled(reg: AccumulationRegister) -> list[str]:
    """The resources balance control looks at."""
    return list(dict.fromkeys([*reg.no_negative, *reg.zero_with]))


def _watched(reg: AccumulationRegister, change: Mapping[str, str]) -> str:
    """The condition on a key's change (``change[resource]``, an SQL expression) under which
    the balance it leaves must be checked: a ``no_negative`` resource decreased, a
    ``zero_with`` resource changed at all or its pair decreased (towards zero)."""
    parts = [f"{change[r]} < 0" for r in reg.no_negative]
    for resource, pair in reg.zero_with.items():
        parts += [f"{change[resource]} <> 0", f"{change[pair]} < 0"]
    return " OR ".join(dict.fromkeys(parts))


def _verdicts(reg: AccumulationRegister) -> str:
    """Balance control's rules over a key's balance ``b`` and the recorder's own takings ``own``,
    a ``VALUES`` list of ``x(resource, balance, required, zero_with, misplaced)``; the rows that break
    a rule satisfy :data:`_BROKEN`."""
    rows = [f"('{r}', b.{q(r)}, greatest(coalesce(own.{q(r)}, 0), 0), NULL::text, false)" for r in reg.no_negative]
    # A resource that must not be negative either is named once: as negative, or as left behind.
    rows += [f"('{r}', b.{q(r)}, 0::numeric, '{pair}'::text,"
             f" b.{q(pair)} = 0 AND b.{q(r)} {'>' if r in reg.no_negative else '<>'} 0)"
             for r, pair in reg.zero_with.items()]
    return f"VALUES {', '.join(rows)}"


# Negative where it must not be, or non-zero where its pair is zero.
_BROKEN = "(x.zero_with IS NULL AND x.balance < 0) OR x.misplaced"


def _short_sql(reg: AccumulationRegister, tag: str) -> str:
    """The shortfalls of one register's write in the same statement (rows like
    :func:`check_query`'s), from what its balance upsert returned: the keys the
    write moved against a rule whose balance its upsert left breaking it."""
    change = {r: f"sum({q(f'{r}_receipt')} - {q(f'{r}_expense')})" for r in reg.resource_names}
    takes = ", ".join(f"sum(-record_type * {q(r)}) AS {q(r)}" for r in _controlled(reg))
    pairs = ", ".join(f"'{d}', b.{q(d)}" for d in reg.dimension_names)
    return f"""SELECT '{reg.name}'::text AS register, json_build_object({pairs})::text AS dims,
       x.resource::text AS resource, x.balance, x.required, x.zero_with
FROM balance_up{tag} AS b
JOIN (SELECT {_dims(reg)} FROM delta{tag} GROUP BY {_dims(reg)} HAVING {_watched(reg, change)}) AS k
  ON {join_on(reg, "k", "b")}
LEFT JOIN (SELECT {_dims(reg)}, {takes} FROM new{tag} GROUP BY {_dims(reg)}) AS own ON {join_on(reg, "own", "b")}
CROSS JOIN LATERAL ({_verdicts(reg)}) AS x(resource, balance, required, zero_with, misplaced)
WHERE {_BROKEN}"""


def checked_write_parts(registers: Sequence[AccumulationRegister], first_arg: int,
                        recorder: tuple[str, str] = ("$1", "$2")) -> tuple[str, str, str | None, dict[str, str]]:
    """For one statement that writes ``registers`` and controls their balances
    itself (a new document's posting): the CTEs (without ``WITH``; arrays as in
    :func:`write_parts`), an SQL expression that is evaluated only after every
    write has run to completion (their rows counted, the last CTE first: that is
    the order in which PostgreSQL finishes the writes of a :func:`write_parts`
    statement, so a new document and a re-posted one lock shared totals rows in
    the same order instead of deadlocking), the shortfalls
    as a SELECT (None when nothing is controlled) and the controlled registers'
    titles. "Write, then check" holds: each balance upsert returns the balance it
    left, on rows it keeps locked to the end of the transaction."""
    ctes, counted, shorts, titles, arg = [], [], [], {}, first_arg
    for i, reg in enumerate(registers):
        tag = f"_{i}" if len(registers) > 1 else ""
        ctes.append(_write_ctes(reg, tag, arg, recorder, returning=True, fresh=True)[0])
        names = ("balance_up", "month_up", "ins") if reg.is_balance else ("month_up", "ins")
        counted = [f"(SELECT count(*) FROM {name}{tag})" for name in names] + counted
        if reg.controlled:
            shorts.append(f"({_short_sql(reg, tag)})")
            titles[reg.name] = reg.title
        arg += _arity(reg)
    return ",\n".join(ctes), " + ".join(counted), " UNION ALL ".join(shorts) or None, titles


def write_arguments(sets: Sequence[tuple[AccumulationRegister, Sequence[Movement]]]) -> list[list[Any]]:
    """The arrays :func:`write_parts` numbers, in its order."""
    return [column for register, movements in sets for column in _columns(register, movements)]


def _write_sql(*registers: AccumulationRegister) -> str:
    """One statement writing every register of ``registers``, built once per
    combination and kept by the first of them."""
    key = "write:" + ",".join(reg.name for reg in registers)
    if key not in registers[0].sql:
        ctes, remembers = write_parts(registers, 3)
        registers[0].sql[key] = f"\nWITH {ctes}\nSELECT " + (", ".join(remembers) or "1")
    return registers[0].sql[key]


def _columns(register: AccumulationRegister, movements: Sequence[Movement]) -> list[list[Any]]:
    columns: list[list[Any]] = [[] for _ in range(_arity(register))]
    for line_no, m in enumerate(movements, start=1):
        if m.register != register.name:
            raise ValueError(f"a movement of {m.register!r} cannot be written into {register.name!r}")
        for column, value in zip(columns, (line_no, m.period, m.record_type, *m.dimensions, *m.resources,
                                           *m.attributes), strict=True):
            column.append(value)
    return columns


async def write_movements(conn: asyncpg.Connection, register: AccumulationRegister, recorder_kind: str,
                          recorder_id: int, movements: Sequence[Movement]) -> None:
    """Replace the recorder's movements in ``register`` and update its totals: one statement.

    Must run inside the caller's transaction, followed by :func:`check_balances`
    when the register controls balances.
    """
    await write_registers(conn, recorder_kind, recorder_id, [(register, movements)])


async def write_registers(conn: asyncpg.Connection, recorder_kind: str, recorder_id: int,
                          sets: Sequence[tuple[AccumulationRegister, Sequence[Movement]]]) -> None:
    """:func:`write_movements` for several registers at once, still one statement
    (a posting writes all its registers in one round trip)."""
    if not sets:
        return
    await conn.execute(_write_sql(*(register for register, _ in sets)), recorder_kind, recorder_id,
                       *write_arguments(sets))


# -- balance control ---------------------------------------------------------------


def _check_sql(reg: AccumulationRegister, first_arg: int) -> str:
    elements = ", ".join(f"(e->>{i})::{f.sql_type} AS {q(f.name)}"
                         for i, f in enumerate(reg.dimensions, start=2))
    name = _setting(reg)
    takes = ", ".join(f"sum(-m.record_type * m.{q(r)}) AS {q(r)}" for r in _controlled(reg))
    pairs = ", ".join(f"'{d}', b.{q(d)}" for d in reg.dimension_names)
    return f"""
SELECT '{reg.name}' AS register, json_build_object({pairs})::text AS dims,
       x.resource, x.balance, x.required, x.zero_with
FROM (SELECT DISTINCT e->>0 AS kind, (e->>1)::bigint AS rid, {elements}
      FROM jsonb_array_elements(coalesce(nullif(current_setting('{name}', true), ''), '[]')::jsonb) AS e) AS k
JOIN unnest(${first_arg}::text[], ${first_arg + 1}::bigint[]) AS c(kind, rid)
  ON c.kind = k.kind AND c.rid = k.rid
JOIN {reg.balance_table} AS b ON {join_on(reg, "b", "k")}
CROSS JOIN LATERAL (
    SELECT {takes} FROM {reg.movements_table} AS m
    WHERE m.recorder_kind = k.kind AND m.recorder_id = k.rid AND {join_on(reg, "m", "k")}
) AS own
CROSS JOIN LATERAL ({_verdicts(reg)}) AS x(resource, balance, required, zero_with, misplaced)
WHERE {_BROKEN}"""


def check_query(checks: Sequence[tuple[AccumulationRegister, str, int]], first_arg: int = 1
                ) -> tuple[str, list[Any], dict[str, str]] | None:
    """Balance control as SQL, for :func:`check_balances` or for a statement that
    also does other things (numbering a new document only when nothing is short):
    rows ``(register, dims, resource, balance, required)``, the arguments from
    ``$first_arg`` and the controlled registers' titles; None when nothing is controlled."""
    by_register: dict[str, tuple[AccumulationRegister, dict[tuple[str, int], None]]] = {}
    for register, kind, recorder_id in checks:
        if register.controlled:
            by_register.setdefault(register.name, (register, {}))[1][kind, recorder_id] = None
    if not by_register:
        return None
    parts: list[str] = []
    args: list[Any] = []
    for register, recorders in by_register.values():
        parts.append(_check_sql(register, first_arg + len(args)))
        args += [[kind for kind, _ in recorders], [rid for _, rid in recorders]]
    titles = {name: entry[0].title for name, entry in by_register.items()}
    return " UNION ALL ".join(f"({p})" for p in parts), args, titles


def shortfalls_of(rows: Iterable[Mapping[str, Any]], titles: Mapping[str, str]) -> list[Shortfall]:
    """The :func:`check_query` rows as shortfalls (rows without a register are skipped)."""
    return [Shortfall(register=row["register"], dimensions=msgspec.json.decode(row["dims"]),
                      resource=row["resource"], available=row["balance"] + row["required"],
                      required=row["required"], title=titles[row["register"]], zero_with=row.get("zero_with"))
            for row in rows if row["register"] is not None]


async def check_balances(conn: asyncpg.Connection,
                         checks: Sequence[tuple[AccumulationRegister, str, int]]) -> list[Shortfall]:
    """Контроль остатков, one query: every key that the given recorders' writes
    in this transaction decreased and whose controlled resource is now negative."""
    if not conn.is_in_transaction():
        # Outside a transaction each write forgot its keys when it committed.
        raise RuntimeError("check_balances() must run in the transaction that wrote the movements")
    query = check_query(checks)
    if query is None:
        return []
    sql, args, titles = query
    return shortfalls_of(await conn.fetch(sql + " ORDER BY register, dims, resource", *args), titles)
