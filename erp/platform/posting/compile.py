"""The compiler: a :class:`~.plan.PostingPlan` as one SQL statement.

Whatever the operation (a new document written or posted, a draft saved, posted
or re-posted, unposted, marked), its writes are one statement of data-modifying
CTEs:

* for each accumulation register, the recorder's old movements deleted
  (``RETURNING`` them) and the new ones inserted from arrays, their difference
  added to the month totals, the day totals (balance registers) and the current
  balances in key order (concurrent
  postings lock shared keys in one order), and balance control over what the
  balance upserts returned ("write, then check", on rows locked to commit), now
  and at every moment from the earliest one the change touches (:mod:`.control`);
* for each information register, the recorder's set replaced;
* the document's number: the series' next value (``new``), kept, or moved into
  another series, the old one giving it back (``move``, refused by
  ``erp_refuse()`` when it is not the series' last);
* the header inserted or updated, its lines replaced;
* the subscribers' rows (audit, outbox), which read the CTE ``doc``, and the
  notifications.

A new document's counter row is locked after every register write (its ``num``
CTE waits for their counts and for balance control): the gapless counter is held
for as short a time as the raw-SQL ceiling holds it.

Parameters are named (:class:`~.sqlnames.Params`); names of tables and columns
go through :func:`~.sqlnames.ident`. The statement's text depends on the plan's
*shape* only (which registers, which header fields, which rows), never on its
values, so it is built once per shape (:func:`compiled`) and PostgreSQL keeps
one generic plan for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..register import AccumulationRegister
from .control import SHORTFALLS, check_ctes, history_keys, short_sql
from .control import decode_shortfalls as decode_shortfalls  # the engine reads a refusal with it
from .plan import Computed, PostingPlan, Row
from .sqlnames import Params, ident, idents, literal


@dataclass(frozen=True)
class Compiled:
    sql: str
    names: tuple[str, ...]
    titles: Mapping[str, str]  # the controlled registers' titles, for a refusal's message

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[name] for name in self.names]


# -- accumulation registers ---------------------------------------------------------------------


def _arrays(reg: AccumulationRegister) -> list[tuple[str, str]]:
    """(column, SQL type) of the arrays one register's movements are passed in."""
    fields = (*reg.dimensions, *reg.resources, *reg.attributes)
    return [("line_no", "integer"), ("period", "timestamptz"), ("record_type", "smallint"),
            *((f.name, f.sql_type) for f in fields)]


def register_ctes(reg: AccumulationRegister, tag: str, p: Params, fresh: bool) -> tuple[list[str], list[str], str]:
    """The CTEs writing one register (names suffixed ``tag``, its arrays the parameters
    ``<tag>.<column>``, the recorder ``kind`` and ``doc_id``), the CTE names whose rows count its
    writes (last first) and, for a controlled register, its shortfalls as a SELECT ("" if none)."""
    dims, res = idents(reg.dimension_names), [ident(r) for r in reg.resource_names]
    names = [c for c, _ in _arrays(reg)]
    cols = idents(names[3:])
    arrays = ", ".join(p(f"{tag}.{c}", f"{t}[]") for c, t in _arrays(reg))
    moved = ", ".join(["period", "record_type", dims, *res])
    receipt = {r: ident(f"{r}_receipt") for r in reg.resource_names}
    expense = {r: ident(f"{r}_expense") for r in reg.resource_names}
    if reg.is_balance:
        month_cols = [c for r in reg.resource_names for c in (receipt[r], expense[r])]
        month_sums = [f"sum(CASE WHEN record_type = {t} THEN sign * {ident(r)} ELSE 0 END) AS {side[r]}"
                      for r in reg.resource_names for t, side in ((1, receipt), (-1, expense))]
    else:
        month_cols = res
        month_sums = [f"sum(sign * {r}) AS {r}" for r in res]
    rk, ri = p("kind", "text"), p("doc_id", "bigint")
    movements, month, balance = ident(reg.movements_table), ident(reg.month_table), ident(reg.balance_table)
    ctes = []
    if not fresh:
        ctes.append(f"old{tag} AS (DELETE FROM {movements} WHERE recorder_kind = {rk} AND recorder_id = {ri}"
                    f" RETURNING {moved})")
    ctes.append(f"new{tag} AS (SELECT * FROM unnest({arrays}) AS n(line_no, period, record_type, {cols}))")
    ctes.append(f"ins{tag} AS (INSERT INTO {movements} (recorder_kind, recorder_id, line_no, period, record_type,"
                f" {cols}) SELECT {rk}, {ri}, line_no, period, record_type, {cols} FROM new{tag} RETURNING 1)")
    replaced = "" if fresh else f" UNION ALL SELECT -1, {moved} FROM old{tag}"
    # A balance register's change is grouped by day (its day totals), a turnover register's by month.
    grain = "day" if reg.is_balance else "month"
    ctes.append(f"delta{tag} AS (SELECT (date_trunc('{grain}', period AT TIME ZONE {literal(reg.timezone)}))::date"
                f" AS {grain}, {dims}, {', '.join(month_sums)} FROM (SELECT 1 AS sign, {moved} FROM new{tag}"
                f"{replaced}) AS d GROUP BY 1, {dims})")
    nonzero = " OR ".join(f"{c} <> 0" for c in month_cols)
    add = ", ".join(f"{c} = t.{c} + EXCLUDED.{c}" for c in month_cols)
    if reg.is_balance:
        by_month = (f"(SELECT (date_trunc('month', day))::date AS month, {dims},"
                    f" {', '.join(f'sum({c}) AS {c}' for c in month_cols)} FROM delta{tag} GROUP BY 1, {dims}) AS dm")
    else:
        by_month = f"delta{tag}"
    ctes.append(f"month_up{tag} AS (INSERT INTO {month} AS t (month, {dims}, {', '.join(month_cols)})"
                f" SELECT month, {dims}, {', '.join(month_cols)} FROM {by_month} WHERE {nonzero}"
                f" ORDER BY {dims}, month ON CONFLICT (month, {dims}) DO UPDATE SET {add} RETURNING 1)")
    counted = [f"month_up{tag}", f"ins{tag}"]
    if reg.is_balance:
        day = ident(reg.day_table)
        ctes.append(f"day_up{tag} AS (INSERT INTO {day} AS t (day, {dims}, {', '.join(month_cols)})"
                    f" SELECT day, {dims}, {', '.join(month_cols)} FROM delta{tag} WHERE {nonzero}"
                    f" ORDER BY {dims}, day ON CONFLICT (day, {dims}) DO UPDATE SET {add} RETURNING 1)")
        counted.insert(0, f"day_up{tag}")
    short = ""
    if reg.is_balance:
        change = {r: f"sum({receipt[r]} - {expense[r]})" for r in reg.resource_names}
        changed = " OR ".join(f"{change[r]} <> 0" for r in reg.resource_names)
        if reg.controlled_in_the_past:
            ctes += history_keys(reg, tag, fresh)
            # a key whose past the change lowers is written (locked) even when its balance stays
            changed += f" OR ({dims}) IN (SELECT {dims} FROM hist{tag})"
        ctes.append(
            f"balance_up{tag} AS (INSERT INTO {balance} AS t ({dims}, {', '.join(res)})"
            f" SELECT {dims}, {', '.join(f'{change[r]} AS {ident(r)}' for r in reg.resource_names)}"
            f" FROM delta{tag} GROUP BY {dims} HAVING {changed}"
            f" ORDER BY {dims} ON CONFLICT ({dims}) DO UPDATE SET"
            f" {', '.join(f'{r} = t.{r} + EXCLUDED.{r}' for r in res)} RETURNING {dims}, {', '.join(res)})")
        counted.insert(0, f"balance_up{tag}")
        if reg.controlled:
            ctes += check_ctes(reg, tag, change, fresh)
            short = short_sql(reg, tag)
    return ctes, counted, short


# -- the statement ------------------------------------------------------------------------------


def number_sql(prefix: str, width: int, value: str = "num.last") -> str:
    """:func:`~erp.platform.numbering.format_number` in SQL."""
    digits = f"{value}::text"
    return f"{prefix} || lpad({digits}, greatest({int(width)} - length({prefix}), 1, length({digits})), '0')"


def shape(plan: PostingPlan) -> tuple:
    """What the statement's text depends on: never the values."""
    doc = plan.document
    return (doc.kind, doc.table, doc.insert, tuple(doc.types.items()), plan.numbering.mode, plan.numbering.width,
            None if plan.lines is None else (plan.lines.table, plan.lines.fields, plan.lines.types,
                                             plan.lines.replace),
            tuple((s.register, s.fresh) for s in plan.registers), tuple(i.register for i in plan.info),
            tuple(_row_shape(r) for r in plan.rows), tuple(n.channel for n in plan.notify))


def _row_shape(row: Row) -> tuple:
    return row.table, tuple((c, v.what if isinstance(v, Computed) else None) for c, v in row.values.items()), \
        tuple(row.types.items())


_CACHE: dict[tuple, Compiled] = {}


def compiled(registry, plan: PostingPlan) -> Compiled:
    """The plan's statement, built once per shape (see :func:`shape`)."""
    key = (id(registry), shape(plan))
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = compile_plan(registry, plan)
    return found


def compile_plan(registry, plan: PostingPlan) -> Compiled:
    p = Params()
    doc = plan.document
    ctes: list[str] = []
    counted: list[str] = []
    shorts: list[str] = []
    titles: dict[str, str] = {}
    for i, records in enumerate(plan.registers):
        reg = registry.registers[records.register]
        written, count, short = register_ctes(reg, f"_{i}", p, records.fresh)
        ctes += written
        counted = [f"(SELECT count(*) FROM {name})" for name in count] + counted
        if short:
            shorts.append(f"({short})")
            titles[reg.name] = reg.title
    # The gate: evaluated only after every register write ran to completion (their rows counted) and
    # balance control found nothing, so the counter's row is locked last.
    gate = f"({' + '.join(counted)}) >= 0" if counted else "true"
    if shorts:
        ctes.append(f"short AS ({' UNION ALL '.join(shorts)})")
        gate = f"CASE WHEN {gate} THEN NOT EXISTS (SELECT FROM short) ELSE false END"
    numbering = plan.numbering
    upsert = " ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last"
    refusals = []
    if numbering.mode == "new":
        ctes.append(f"num AS (INSERT INTO document_counters (kind, prefix, year, last)"
                    f" SELECT {p('kind', 'text')}, {p('prefix', 'text')}, {p('year', 'int')}, 1 WHERE {gate}{upsert})")
    elif numbering.mode == "move":
        old_prefix = p("old_prefix", "text")
        ctes.append(f"shrunk AS (UPDATE document_counters AS c SET last = c.last - 1 WHERE c.kind = {p('kind', 'text')}"
                    f" AND c.prefix = {old_prefix} AND c.year = {p('old_year', 'int')}"
                    f" AND {p('old_number', 'text')} = {number_sql(old_prefix, numbering.width, 'c.last')}"
                    " RETURNING c.last)")
        ctes.append(f"num AS (INSERT INTO document_counters (kind, prefix, year, last)"
                    f" SELECT {p('kind', 'text')}, {p('prefix', 'text')}, {p('year', 'int')}, 1"
                    f" WHERE EXISTS (SELECT FROM shrunk) AND {gate}{upsert})")
        refusals.append("erp_refuse(NOT EXISTS (SELECT FROM shrunk), 'number_series_change', NULL)")
    ctes.append(_document_cte(doc, numbering.mode, numbering.width, p, gate))
    for i, info in enumerate(plan.info):  # after the document: their order key is its number
        ctes += _info_ctes(registry.info_registers[info.register], f"_i{i}", p)
    if plan.lines is not None:
        ctes += _lines_ctes(plan, p)
    for i, row in enumerate(plan.rows):
        ctes.append(_row_cte(row, f"row_{i}", p))
    select = ["(SELECT number FROM doc) AS number"]
    if shorts:
        # The number first, the shortfalls after it, both in the select list: a main query that scanned
        # the shortfalls first would run the controlled registers' upserts ahead of the others, and then
        # a new document and a re-posted one lock shared totals in opposite orders.
        select.append(SHORTFALLS + " AS short")
    select += refusals
    for note in plan.notify:
        select.append(f"(SELECT count(pg_notify({literal(note.channel)}, '')) FROM doc) AS notified")
    sql = "WITH " + ",\n".join(ctes) + "\nSELECT " + ", ".join(select)
    return Compiled(sql, p.names, titles)


def _document_cte(doc, mode: str, width: int, p: Params, gate: str) -> str:
    """The header inserted or updated, after every register write (see :func:`compile_plan`'s gate):
    every statement then locks the registers' totals in one order, whatever the operation."""
    header = list(doc.header)
    if doc.insert:
        cols = ["id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id",
                "author_id", "posted", "deletion_mark", *header]
        values = [p("doc_id", "bigint"), number_sql(p("prefix", "text"), width), p("prefix", "text"),
                  p("year", "int"), p("date", "timestamptz"), p("based_on_kind", "text"),
                  p("based_on_id", "bigint"), p("author_id", "bigint"), p("posted", "boolean"),
                  p("deletion_mark", "boolean"), *(p(f"h.{h}", doc.types[h]) for h in header)]
        return (f"doc AS (INSERT INTO {ident(doc.table)} ({idents(cols)}) SELECT {', '.join(values)} FROM num"
                " RETURNING id, number)")
    sets = [f"date = {p('date', 'timestamptz')}", f"posted = {p('posted', 'boolean')}",
            f"deletion_mark = {p('deletion_mark', 'boolean')}", "updated_at = now()",
            *(f"{ident(h)} = {p(f'h.{h}', doc.types[h])}" for h in header)]
    source = f" FROM (SELECT WHERE {gate}) AS gate"
    if mode == "move":
        sets += [f"number = {number_sql(p('prefix', 'text'), width)}", f"number_prefix = {p('prefix', 'text')}",
                 f"number_year = {p('year', 'int')}"]
        source = " FROM num"
    return (f"doc AS (UPDATE {ident(doc.table)} AS d SET {', '.join(sets)}{source}"
            f" WHERE d.id = {p('doc_id', 'bigint')} RETURNING d.id, d.number)")


def _lines_ctes(plan: PostingPlan, p: Params) -> list[str]:
    lines = plan.lines
    assert lines is not None
    table = ident(lines.table)
    ctes = []
    after = ""
    if lines.replace:
        ctes.append(f"lines_gone AS (DELETE FROM {table} WHERE document_id = {p('doc_id', 'bigint')} RETURNING 1)")
        after = ", (SELECT count(*) FROM lines_gone) AS g"  # deleted first: the new line numbers are free
    arrays = ", ".join([p("l.line_no", "int[]"), *(p(f"l.{f}", f"{t}[]") for f, t in zip(lines.fields, lines.types,
                                                                                         strict=True))])
    names = ", ".join(f"u.{ident(f)}" for f in lines.fields)
    ctes.append(f"lines AS (INSERT INTO {table} (document_id, line_no, {idents(lines.fields)})"
                f" SELECT doc.id, u.line_no, {names} FROM doc, unnest({arrays}) AS u(line_no, {idents(lines.fields)})"
                f"{after})")
    return ctes


def _info_ctes(register, tag: str, p: Params) -> list[str]:
    cols = [*register.dimension_names, *register.resource_names]
    types = ["integer", *(f.sql_type for f in (*register.dimensions, *register.resources))]
    arrays = ", ".join(p(f"{tag}.{c}", f"{t}[]") for c, t in zip(["line_no", *cols], types, strict=True))
    period, period_value = ("period, ", f"{p(f'{tag}.period', 'timestamptz')}, ") if register.periodic else ("", "")
    rk, ri = p("kind", "text"), p("doc_id", "bigint")
    table = ident(register.table)
    return [f"gone{tag} AS (DELETE FROM {table} WHERE recorder_kind = {rk} AND recorder_id = {ri} RETURNING 1)",
            f"info{tag} AS (INSERT INTO {table} (recorder_kind, recorder_id, line_no, {period}order_key,"
            f" {idents(cols)})"
            f" SELECT {rk}, {ri}, n.line_no, {period_value}"
            "coalesce(nullif(regexp_replace(doc.number, '[^0-9]', '', 'g'), ''), '0')::bigint,"
            f" {', '.join('n.' + ident(c) for c in cols)} FROM doc, unnest({arrays}) AS n(line_no, {idents(cols)})"
            f" CROSS JOIN (SELECT count(*) FROM gone{tag}) AS g RETURNING 1)"]


def _row_cte(row: Row, name: str, p: Params) -> str:
    values = []
    for column, value in row.values.items():
        if isinstance(value, Computed):
            if value.what == "id":
                values.append("doc.id")
            elif value.what == "number":
                values.append("doc.number")
            else:
                values.append(f"{p(f'{name}.{column}', 'jsonb')} || jsonb_build_object({literal(value.key)},"
                              " jsonb_build_array(NULL, doc.number))")
        else:
            values.append(p(f"{name}.{column}", row.types.get(column)))
    return (f"{name} AS (INSERT INTO {ident(row.table)} ({idents(row.values)}) SELECT {', '.join(values)}"
            " FROM doc RETURNING 1)")


# -- values ---------------------------------------------------------------------------------------


def _columns(reg: AccumulationRegister, movements: Sequence) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {c: [] for c, _ in _arrays(reg)}
    fields = [c for c, _ in _arrays(reg)][3:]
    for line_no, m in enumerate(movements, start=1):
        if m.register != reg.name:
            raise ValueError(f"a movement of {m.register!r} cannot be written into {reg.name!r}")
        out["line_no"].append(line_no)
        out["period"].append(m.period)
        out["record_type"].append(m.record_type)
        given = m.values
        for f in fields:
            out[f].append(given.get(f))
    return out


def values(registry, plan: PostingPlan) -> dict[str, Any]:
    """Every parameter the plan's statement may name, by name."""
    doc, numbering = plan.document, plan.numbering
    out: dict[str, Any] = {
        "kind": doc.kind, "doc_id": doc.id, "date": doc.date, "posted": doc.posted,
        "deletion_mark": doc.deletion_mark, "author_id": doc.author_id,
        "based_on_kind": doc.based_on[0] if doc.based_on else None,
        "based_on_id": doc.based_on[1] if doc.based_on else None,
        "prefix": numbering.prefix, "year": numbering.year, "old_prefix": numbering.old_prefix,
        "old_year": numbering.old_year, "old_number": numbering.old_number,
        **{f"h.{h}": v for h, v in doc.header.items()},
    }
    for i, records in enumerate(plan.registers):
        reg = registry.registers[records.register]
        out |= {f"_{i}.{c}": v for c, v in _columns(reg, records.movements).items()}
    for i, info in enumerate(plan.info):
        register = registry.info_registers[info.register]
        tag = f"_i{i}"
        out[f"{tag}.line_no"] = list(range(1, len(info.records) + 1))
        for f in (*register.dimensions, *register.resources):
            out[f"{tag}.{f.name}"] = [r.get(f.name) for r in info.records]
        out[f"{tag}.period"] = info.period
    if plan.lines is not None:
        out["l.line_no"] = list(range(1, len(plan.lines.rows) + 1))
        for f in plan.lines.fields:
            out[f"l.{f}"] = [row.get(f) for row in plan.lines.rows]
    for i, row in enumerate(plan.rows):
        for column, value in row.values.items():
            if isinstance(value, Computed):
                if value.what == "number_into":
                    out[f"row_{i}.{column}"] = value.into
            else:
                out[f"row_{i}.{column}"] = value
    return out


# Balance control's verdict in the select list: refuses the statement when ``short`` has rows.
