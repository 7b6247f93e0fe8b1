"""Контроль остатков: balance control as SQL, part of the posting statement (:mod:`.compile`).

The statement writes a register's movements and totals first, then checks the keys it moved ("write,
then check", on balance rows locked to commit):

* now: every ``no_negative`` resource of a key the change lowers at or above zero (a resource that
  ``covers`` another: less what that one holds), every ``zero_with`` resource zero where its pair is,
  as the balance upsert returned them (``now<tag>``);
* in the past: every resource :attr:`~erp.platform.register.AccumulationRegister.controlled_in_the_past`
  of a key whose balance the change lowers at some moment (``hist<tag>``) stays at or above zero at every
  moment from the earliest one the change touches (``past<tag>``): a back-dated expense is checked at its
  moment and at every later one, and so is a receipt unposted or moved later. The statement's own
  snapshot cannot see its own writes nor a posting that committed on the key while this one waited for
  the key's balance row, so the past is read by the register's history function (a volatile function: a
  fresh snapshot, after the register's writes), see :func:`past_query` and :func:`history_ddl`.

What is short goes to ``erp_balance_shortage()`` (:data:`SHORTFALLS`), which refuses the statement with
the shortfalls as JSON (:func:`decode_shortfalls`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from ..register import AccumulationRegister
from .sqlnames import ident, idents, literal


def watched(reg: AccumulationRegister, change: Mapping[str, str]) -> str:
    """When a key's change (``change[resource]``, SQL) must be checked: a ``no_negative`` resource
    decreased, a ``zero_with`` resource changed at all or its pair decreased."""
    parts = [f"{change[r]} < 0" for r in reg.no_negative]
    parts += [f"{change[held]} > 0" for held in reg.covers.values()]
    for resource, pair in reg.zero_with.items():
        parts += [f"{change[resource]} <> 0", f"{change[pair]} < 0"]
    return " OR ".join(dict.fromkeys(parts))


def _controlled(reg: AccumulationRegister) -> list[str]:
    return list(dict.fromkeys([*reg.no_negative, *reg.zero_with]))


def join(reg: AccumulationRegister, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{ident(d)} = {right}.{ident(d)}" for d in reg.dimension_names)


def history_keys(reg: AccumulationRegister, tag: str, fresh: bool) -> list[str]:
    """``hist<tag>``: the keys whose balance the change lowers at some moment (the recorder's new
    movements less its old ones, added up in time order, go below zero for a resource controlled in the
    past), each with ``since``, the earliest moment the change touches. The balance upsert writes each
    of them, even when its balance stays (a receipt moved later): the row lock orders postings that
    could change the key's past, so the later one reads what the earlier one committed."""
    dims = idents(reg.dimension_names)
    past = reg.controlled_in_the_past
    cols = ", ".join(ident(r) for r in past)
    mine = f"SELECT {dims}, period, record_type, {cols} FROM new{tag}"
    if not fresh:
        mine += f" UNION ALL SELECT {dims}, period, -record_type, {cols} FROM old{tag}"
    running = ", ".join(f"sum(sum(record_type * {ident(r)})) OVER w AS {ident(r)}" for r in past)
    return [f"hist{tag} AS (SELECT {dims}, min(period) AS since FROM (SELECT {dims}, period, {running}"
            f" FROM ({mine}) AS c GROUP BY {dims}, period WINDOW w AS (PARTITION BY {dims} ORDER BY period)) AS d"
            f" GROUP BY {dims} HAVING {' OR '.join(f'min({ident(r)}) < 0' for r in past)})"]


def history_function(reg: AccumulationRegister) -> str:
    """The name of the register's history function (``reg_<stem>_history``), quoted."""
    return ident(f"reg_{reg.stem}_history")


def history_ddl(reg: AccumulationRegister) -> list[str]:
    """The register's history function, created with the register's other objects (its extra DDL, run
    after every migration): ``reg_<stem>_history(params json)`` runs :func:`past_query` as a static
    query of a PL/pgSQL function, so each connection plans it once and keeps the plan (a query handed to
    a function as text, run by EXECUTE, was planned on every call: ≈2 ms of a posting with goods; bench
    /NOTES.md item 26). VOLATILE: each call reads with a fresh snapshot, after the posting statement's
    writes. ``SETOF record`` lets a changed declaration replace it in place (the caller names the
    columns)."""
    if not reg.controlled_in_the_past:
        return []
    query = past_query(reg)
    assert "$erp$" not in query  # the body's quote: the query is built from the declaration, never input
    return [f"CREATE OR REPLACE FUNCTION {history_function(reg)}(json) RETURNS SETOF record"
            f" LANGUAGE plpgsql VOLATILE AS $erp$ BEGIN RETURN QUERY {query}; END $erp$"]


def past_query(reg: AccumulationRegister) -> str:
    """What the register's history function (:func:`history_ddl`) runs: for each key of ``params.keys``
    (its dimensions and ``since``) and each resource controlled in the past, the lowest balance at the
    end of a moment from ``since`` on at which the key has a movement, if below zero, at its earliest
    such moment: ``(dims, resource, balance, required, after, moment)``. The balance at a moment is the
    balance now less what the key's later movements add; ``required`` is what the recorder's new
    movements (``params.own``, signed) take up to that moment.

    The function runs the query with a fresh snapshot after the register's writes, so the movements and
    the balance it reads are the ones after the change (the recorder's old movements gone, its new ones
    in) together with every posting that committed on the key before this one locked its balance row.
    The key index (dimensions, period, covering record type and resources) serves the read: a key whose
    change is at its latest moment reads only the recorder's own rows. Each key's balance row is read by
    its unique index (a lateral subquery with LIMIT 1): the function's plan is generic, blind to how few
    keys there are, and a join hashed the whole balance table on every call."""
    past = reg.controlled_in_the_past
    fields = {f.name: f.sql_type for f in (*reg.dimensions, *reg.resources)}
    dims = reg.dimension_names
    keyed = " AND ".join(f"{{0}}.{ident(d)} = h.{ident(d)}" for d in dims)
    key_types = ", ".join(f"{ident(d)} {fields[d]}" for d in dims)
    own_types = ", ".join(f"{ident(r)} numeric" for r in past)
    zero = {r: f"0::{fields[r]}" for r in past}  # a zero shown at the resource's scale, as its balance
    union = (f"SELECT m.period, {', '.join(f'm.record_type * m.{ident(r)}' for r in past)},"
             f" {', '.join(zero[r] for r in past)} FROM {ident(reg.movements_table)} AS m"
             f" WHERE {keyed.format('m')} AND m.period >= h.since UNION ALL SELECT o.period,"
             f" {', '.join(zero[r] for r in past)}, {', '.join(f'o.{ident(r)}' for r in past)} FROM o"
             f" WHERE {keyed.format('o')}")
    n = range(len(past))
    names = ", ".join([*(f"m{i}" for i in n), *(f"n{i}" for i in n)])
    later = ", ".join(f"sum(sum(u.m{i})) OVER (ORDER BY u.period DESC ROWS BETWEEN UNBOUNDED PRECEDING"
                      f" AND 1 PRECEDING) AS m{i}" for i in n)
    taken = ", ".join(f"sum(sum(u.n{i})) OVER (ORDER BY u.period) AS n{i}" for i in n)
    closing = ", ".join(f"b.{ident(r)} - coalesce(x.m{i}, 0) AS c{i}" for i, r in enumerate(past))
    takes = ", ".join(f"greatest(-x.n{i}, {zero[r]}) AS t{i}" for i, r in enumerate(past))
    keys = ", ".join(f"p.{ident(d)}" for d in dims)
    pairs = ", ".join(f"{literal(d)}, p.{ident(d)}" for d in dims)
    after = ", ".join(f"{literal(r)}, p.c{i}::text" for i, r in enumerate(past))
    values = ", ".join(f"({literal(r)}, p.c{i}, p.t{i})" for i, r in enumerate(past))
    return (f"WITH h AS (SELECT * FROM json_to_recordset($1->'keys') AS h({key_types}, since timestamptz)),"
            f" o AS (SELECT * FROM json_to_recordset($1->'own') AS o({key_types}, period timestamptz, {own_types})),"
            f" p AS (SELECT {', '.join(f'h.{ident(d)}' for d in dims)}, x.period, {closing}, {takes}"
            f" FROM h CROSS JOIN LATERAL (SELECT {', '.join(ident(r) for r in past)}"
            f" FROM {ident(reg.balance_table)} AS b WHERE {join(reg, 'h', 'b')} LIMIT 1) AS b"
            f" CROSS JOIN LATERAL (SELECT u.period, {later}, {taken} FROM ({union}) AS u(period, {names})"
            " GROUP BY u.period) AS x)"
            f" SELECT DISTINCT ON (x.resource, {keys}) json_build_object({pairs})::text, x.resource::text,"
            f" x.balance, x.required, json_build_object({after})::text, p.period"
            f" FROM p CROSS JOIN LATERAL (VALUES {values}) AS x(resource, balance, required)"
            f" WHERE x.balance < 0 ORDER BY x.resource, {keys}, x.balance, p.period")


def check_ctes(reg: AccumulationRegister, tag: str, change: Mapping[str, str], fresh: bool) -> list[str]:
    """Balance control's findings over what the upserts returned, as CTEs:

    * ``now<tag>``: the keys the write moved against a rule whose balance (as its upsert left it)
      breaks it: ``(register, dims, resource, balance, required, zero_with, after, moment)``, ``moment``
      NULL; ``required`` is what the recorder takes from the key (its expenses less its receipts, never
      below zero);
    * ``past<tag>`` (a register with resources :attr:`~AccumulationRegister.controlled_in_the_past`):
      for each key of ``hist<tag>`` and resource, the lowest balance after the change at a past moment
      (:func:`past_query`) when it is below zero, in the same columns, ``moment`` and ``zone`` (the
      register's time zone, to show it in) set."""
    dims = idents(reg.dimension_names)
    takes = ", ".join([f"sum(-record_type * {ident(r)}) AS {ident(r)}" for r in _controlled(reg)]
                      + [f"sum(record_type * {ident(h)}) AS {ident(h + '_held')}" for h in reg.covers.values()])
    pairs = ", ".join(f"{literal(d)}, b.{ident(d)}" for d in reg.dimension_names)
    after = ", ".join(f"{literal(r)}, b.{ident(r)}::text" for r in reg.resource_names)

    def left(r: str) -> tuple[str, str]:
        # What a no_negative resource has left, and what the recorder takes of it (a resource that covers
        # another: less what is held, and taken also by what the recorder holds more of).
        if r not in reg.covers:
            return f"b.{ident(r)}", f"coalesce(own.{ident(r)}, 0)"
        held = reg.covers[r]
        return (f"b.{ident(r)} - b.{ident(held)}",
                f"coalesce(own.{ident(r)}, 0) + coalesce(own.{ident(held + '_held')}, 0)")
    rows = [f"({literal(r)}, {left(r)[0]}, greatest({left(r)[1]}, 0), NULL::text, false)"
            for r in reg.no_negative]
    # A resource that must not be negative either is named once: as negative, or as left behind.
    rows += [f"({literal(r)}, b.{ident(r)}, 0::numeric, {literal(pair)}::text,"
             f" b.{ident(pair)} = 0 AND b.{ident(r)} {'>' if r in reg.no_negative else '<>'} 0)"
             for r, pair in reg.zero_with.items()]
    ctes = [f"now{tag} AS (SELECT {literal(reg.name)}::text AS register, json_build_object({pairs})::text AS dims,"
            f" x.resource::text AS resource, x.balance, x.required, x.zero_with,"
            f" json_build_object({after})::text AS after, NULL::timestamptz AS moment, NULL::text AS zone"
            f" FROM balance_up{tag} AS b"
            f" JOIN (SELECT {dims} FROM delta{tag} GROUP BY {dims} HAVING {watched(reg, change)}) AS k"
            f" ON {join(reg, 'k', 'b')}"
            f" LEFT JOIN (SELECT {dims}, {takes} FROM new{tag} GROUP BY {dims}) AS own ON {join(reg, 'own', 'b')}"
            f" CROSS JOIN LATERAL (VALUES {', '.join(rows)}) AS x(resource, balance, required, zero_with, misplaced)"
            " WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)"]
    past = reg.controlled_in_the_past
    if past:
        own = ", ".join([*(f"{literal(d)}, n.{ident(d)}" for d in reg.dimension_names), "'period', n.period",
                         *(f"{literal(r)}, n.record_type * n.{ident(r)}" for r in past)])
        # the register's writes counted into the parameters: the function runs after them
        params = (f"json_build_object('keys', (SELECT coalesce(json_agg(h), '[]') FROM hist{tag} AS h),"
                  f" 'own', (SELECT coalesce(json_agg(json_build_object({own})), '[]') FROM new{tag} AS n),"
                  f" 'written', (SELECT count(*) FROM ins{tag}) + (SELECT count(*) FROM balance_up{tag}))")
        ctes.append(
            f"past{tag} AS (SELECT {literal(reg.name)}::text AS register, x.dims, x.resource, x.balance, x.required,"
            f" NULL::text AS zero_with, x.after, x.moment, {literal(reg.timezone)}::text AS zone"
            f" FROM {history_function(reg)}({params})"
            " AS x(dims text, resource text, balance numeric, required numeric, after text, moment timestamptz)"
            f" WHERE EXISTS (SELECT FROM hist{tag}))")
    return ctes


def short_sql(reg: AccumulationRegister, tag: str) -> str:
    """The register's shortfalls as one SELECT of ``(register, dims, resource, balance, required,
    zero_with, after, moment, zone)``: every row of ``now<tag>``, and every row of ``past<tag>`` for a
    key and resource it leaves out."""
    now = f"SELECT * FROM now{tag}"
    if not reg.controlled_in_the_past:
        return now
    return (f"{now} UNION ALL SELECT * FROM past{tag} AS l WHERE NOT EXISTS (SELECT FROM now{tag} AS n"
            f" WHERE n.dims = l.dims AND n.resource = l.resource)")


SHORTFALLS = ("erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource,"
              " s.balance::text, s.required::text, s.zero_with, s.after, s.moment, s.zone)"
              " ORDER BY s.register, s.dims, s.resource) FROM short AS s))")


def decode_shortfalls(detail: str) -> list[dict[str, Any]]:
    """The refusal's shortfalls: the balance (after the write) and what the recorder takes as Decimal,
    every resource of the key after the write as ``after`` (at ``moment``, an aware datetime, when the
    balance is short at a past moment rather than now)."""
    fields = ("register", "dims", "resource", "balance", "required", "zero_with", "after", "moment", "zone")
    rows = [dict(zip(fields, s, strict=True)) for s in msgspec.json.decode(detail)]
    for row in rows:
        row["balance"], row["required"] = Decimal(row["balance"]), Decimal(row["required"])
        row["after"] = {r: Decimal(v) for r, v in msgspec.json.decode(row["after"]).items()}
        if row["moment"] is not None:
            row["moment"] = dt.datetime.fromisoformat(row["moment"]).astimezone(ZoneInfo(row["zone"]))
    return rows
