"""Виртуальные таблицы регистра накопления: остатки (balance), обороты
(turnovers) and остатки и обороты (balance and turnovers), as in 1C.

None of them sums the whole history. A range of time is cut into whole
months, read from the month totals, and at most two partial months at its
edges. For a partial month of turnovers the cheaper side is read from the raw
movements: either the part inside the range, or the month's total less the
part outside it, so at most half a month of movements is read per edge. A
balance at a moment is either the earlier months' totals plus the partial
month, or the current balance less the later months and the rest of the
partial month; the later route is taken for moments within the last year (or
in the future), the earlier one for older moments. A balance register also
keeps day totals, so a balance's partial month is its whole days from them
and at most half a day of raw movements: what a balance reads does not grow
with the key's history or its density (benchmark row 4c).

Daily turnovers are the exception: a day is smaller than any total, so they
read the movements of the whole range.

Moments are timezone-aware; months and days are taken in the register's
timezone. Filters name dimensions, with one value or a list of values. Rows
are dicts of Decimal amounts; keys whose amounts are all zero are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import asyncpg

from .errors import ValidationError
from .fields import Field, FieldError
from .register import AccumulationRegister, aware, q

Periodicity = Literal["day", "month", "year"]
PERIODICITIES = ("day", "month", "year")
LATER_ROUTE_MONTHS = 12

# A piece of a query plan:
#   ("current", sign)                               the current balances
#   ("months", first, last, sign)                   month totals, first..last inclusive (None: open)
#   ("days", first, last, sign)                     day totals (balance registers), first..last inclusive
#   ("raw", lo, lo_inclusive, hi, hi_inclusive, sign)   raw movements between two moments
Piece = tuple[Any, ...]
Months = Literal["earlier", "later"]
Partial = Literal["head", "tail"]
# A forced plan of a balance: ``(months, partial)`` or ``(months, partial, day)`` as in :func:`balance_pieces`.
Route = tuple[Months, Partial] | tuple[Months, Partial, Partial]


def _route(route: Route | None) -> tuple[Months | None, Partial | None, Partial | None]:
    if route is None:
        return None, None, None
    return (route[0], route[1], route[2]) if len(route) == 3 else (route[0], route[1], None)


# -- cutting time into months -------------------------------------------------------


def month_of(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    local = moment.astimezone(tz)
    return dt.date(local.year, local.month, 1)


def shift_month(month: dt.date, by: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + by
    return dt.date(index // 12, index % 12 + 1, 1)


def month_start(month: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime(month.year, month.month, 1, tzinfo=tz)


def balance_pieces(at: dt.datetime, tz: dt.tzinfo, *, inclusive: bool = True,
                   months: Months | None = None,
                   partial: Partial | None = None,
                   now: dt.datetime | None = None,
                   day: Partial | None = None) -> list[Piece]:
    """The plan of a balance at ``at`` (movements at ``at`` count when ``inclusive``): whole months
    from the month totals, the partial month's whole days from the day totals and at most half a day
    of raw movements, so what it reads does not grow with a key's history. ``day`` forces which part
    of the moment's day is read raw (``head``: from its start to the moment)."""
    m = month_of(at, tz)
    s0, s1 = month_start(m, tz), month_start(shift_month(m, 1), tz)
    if partial is None:
        partial = "head" if at - s0 <= s1 - at else "tail"
    if months is None:
        current = month_of(now or dt.datetime.now(dt.UTC), tz)
        behind = (current.year - m.year) * 12 + current.month - m.month
        months = "later" if behind <= LATER_ROUTE_MONTHS else "earlier"
    head = partial == "head"
    if months == "earlier":
        pieces: list[Piece] = [("months", None, shift_month(m, -1) if head else m, 1)]
    else:
        pieces = [("current", 1), ("months", m if head else shift_month(m, 1), None, -1)]
    local = at.astimezone(tz).date()
    first, last = m, shift_month(m, 1) - dt.timedelta(days=1)
    d0 = dt.datetime(local.year, local.month, local.day, tzinfo=tz)
    d1 = d0 + dt.timedelta(days=1)  # wall clock: the next midnight
    if day is None:
        day = "head" if at - d0 <= d1 - at else "tail"
    upto = ("raw", d0, True, at, inclusive, 1)  # the moment's day up to the moment
    after = ("raw", at, not inclusive, d1, False, -1)  # less the rest of its day
    one = dt.timedelta(days=1)
    if head:  # + the month up to the moment: its earlier days and the moment's day up to it
        if day == "head":
            pieces += ([("days", first, local - one, 1)] if local > first else []) + [upto]
        else:
            pieces += [("days", first, local, 1), after]
    else:  # − the month after the moment: its later days and the rest of the moment's day
        if day == "tail":
            pieces += ([("days", local + one, last, -1)] if local < last else []) + [after]
        else:
            pieces += [("days", local, last, -1), upto]
    return pieces


def _partial(month: dt.date, lo: dt.datetime, hi: dt.datetime, hi_inclusive: bool,
             tz: dt.tzinfo) -> list[Piece]:
    """Movements of ``month`` from ``lo`` (inclusive) to ``hi``, both within the month."""
    s0, s1 = month_start(month, tz), month_start(shift_month(month, 1), tz)
    if hi - lo <= (lo - s0) + (s1 - hi):
        return [("raw", lo, True, hi, hi_inclusive, 1)]
    pieces: list[Piece] = [("months", month, month, 1)]
    if lo > s0:
        pieces.append(("raw", s0, True, lo, False, -1))
    if hi < s1:
        pieces.append(("raw", hi, not hi_inclusive, s1, False, -1))
    return pieces


def turnover_pieces(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> list[Piece]:
    """The plan of the turnovers between ``start`` and ``end``, both inclusive."""
    if start > end:
        return []
    first, last = month_of(start, tz), month_of(end, tz)
    if first == last:
        return _partial(first, start, end, True, tz)
    after_first = shift_month(first, 1)
    pieces = _partial(first, start, month_start(after_first, tz), False, tz)
    if after_first < last:
        pieces.append(("months", after_first, shift_month(last, -1), 1))
    return pieces + _partial(last, month_start(last, tz), end, True, tz)


# -- SQL ------------------------------------------------------------------------------


def filter_conditions(owner: str, fields: Mapping[str, Field], filters: Mapping[str, Any],
                      args: list[Any]) -> list[str]:
    """SQL conditions for dimension filters (one value or a list), their values appended to ``args``."""
    conditions = []
    for name, value in filters.items():
        field = fields.get(name)
        if field is None:
            raise ValidationError.field(name, f"у регистра «{owner}» нет такого измерения",
                                        code="unknown_dimension")
        many = isinstance(value, list | tuple | set | frozenset)
        try:
            parsed = [field.parse(v) for v in value] if many else field.parse(value)
        except FieldError as exc:
            raise ValidationError.field(name, str(exc)) from None
        args.append(parsed)
        cast = f"{field.sql_type}[]" if many else field.sql_type
        conditions.append(f"{q(name)} = {'ANY(' if many else ''}${len(args)}::{cast}{')' if many else ''}")
    return conditions


class _Query:
    """Builds a UNION ALL of pieces with uniform columns: ``p`` (a date to group
    by), the dimensions, then per resource ``<r>_o``, ``<r>_r``, ``<r>_e``
    (balance, receipt, expense) or ``<r>_t`` (turnover registers)."""

    def __init__(self, register: AccumulationRegister, filters: Mapping[str, Any]) -> None:
        self.reg = register
        self.args: list[Any] = []
        self.filters = filter_conditions(register.title, {f.name: f for f in register.dimensions},
                                         filters, self.args)
        self.parts: list[str] = []

    def arg(self, value: Any, cast: str) -> str:
        """A bound of a piece, as a value the planner does not look at (an InitPlan): its estimates
        then do not depend on the moment, so after a few calls PostgreSQL keeps one generic plan
        per shape of query instead of planning every call again (planning was ~0.45 ms of a
        ~0.7 ms balance at any date). The index scans take the bounds at run time all the same."""
        self.args.append(value)
        return f"(SELECT ${len(self.args)}::{cast})"

    def add(self, piece: Piece, role: Literal["open", "turn"], by_day: bool = False) -> None:
        reg, dims = self.reg, ", ".join(q(d) for d in self.reg.dimension_names)
        conditions = list(self.filters)
        grouped = False  # a piece of raw movements within one month is summed per key where it is read
        if piece[0] == "current":
            table, p, sign = reg.balance_table, "NULL::date", piece[1]
            amounts = {r: (q(r), "0", "0") for r in reg.resource_names}
        elif piece[0] in ("months", "days"):
            _, first, last, sign = piece
            grain = "month" if piece[0] == "months" else "day"
            table, p = (reg.month_table if grain == "month" else reg.day_table), grain
            if first is not None:
                conditions.append(f"{grain} >= {self.arg(first, 'date')}")
            if last is not None:
                conditions.append(f"{grain} <= {self.arg(last, 'date')}")
            amounts = {r: (f"{q(r + '_receipt')} - {q(r + '_expense')}", q(r + "_receipt"), q(r + "_expense"))
                       if reg.is_balance else (q(r), q(r), "0") for r in reg.resource_names}
        else:
            _, lo, lo_in, hi, hi_in, sign = piece
            table = reg.movements_table
            if by_day:
                p = f"(date_trunc('day', period AT TIME ZONE '{reg.timezone}'))::date"
            else:  # every raw piece of a plan lies within the month of its lower bound
                p, grouped = self.arg(month_of(lo, reg.tz), "date"), True
            conditions.append(f"period {'>=' if lo_in else '>'} {self.arg(lo, 'timestamptz')}")
            conditions.append(f"period {'<=' if hi_in else '<'} {self.arg(hi, 'timestamptz')}")
            amounts = {r: (f"record_type * {q(r)}", f"CASE WHEN record_type = 1 THEN {q(r)} ELSE 0 END",
                           f"CASE WHEN record_type = -1 THEN {q(r)} ELSE 0 END")
                       if reg.is_balance else (q(r), q(r), "0") for r in reg.resource_names}
        signed = "" if sign > 0 else "-"
        columns = []
        for f in reg.resources:
            # Cast to the resource's type so that sums keep its scale (0.000, not 0).
            balance, receipt, expense = (f"({signed}({e}))::{f.sql_type}" if e == "0" or not grouped
                                         else f"(sum({signed}({e})))::{f.sql_type}" for e in amounts[f.name])
            zero = f"0::{f.sql_type}"
            if not reg.is_balance:
                columns.append(f"{receipt} AS {q(f.name + '_t')}")
            else:
                opening, received, spent = (balance, zero, zero) if role == "open" else (zero, receipt, expense)
                columns += [f"{opening} AS {q(f.name + '_o')}", f"{received} AS {q(f.name + '_r')}",
                            f"{spent} AS {q(f.name + '_e')}"]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        group = f" GROUP BY {dims}" if grouped else ""
        self.parts.append(f"SELECT {p} AS p, {dims}, {', '.join(columns)} FROM {table}{where}{group}")

    async def fetch(self, conn: asyncpg.Connection, outputs: Sequence[tuple[str, str]], nonzero: Sequence[str],
                    period: str | None = None) -> list[dict[str, Any]]:
        if not self.parts:
            return []
        dims = ", ".join(q(d) for d in self.reg.dimension_names)
        head = [f"{period} AS period"] if period else []
        group = ["period", dims] if period else [dims]
        sql = (f"SELECT {', '.join([*head, dims, *(f'{e} AS {q(n)}' for n, e in outputs)])}\n"
               f"FROM ({' UNION ALL '.join(self.parts)}) AS s\n"
               f"GROUP BY {', '.join(group)}\n"
               f"HAVING {' OR '.join(f'{e} <> 0' for e in nonzero)}\n"
               f"ORDER BY {', '.join(group)}")
        return [dict(row) for row in await conn.fetch(sql, *self.args)]


def _require_balance(register: AccumulationRegister) -> None:
    if not register.is_balance:
        raise ValidationError(f"Регистр «{register.title}» хранит только обороты, остатков у него нет",
                              code="not_a_balance_register")


def _moment(value: Any, what: str) -> dt.datetime:
    try:
        return aware(value, what)
    except ValueError:
        raise ValidationError.field(what, "ожидается дата и время с часовым поясом") from None


# -- the virtual tables -----------------------------------------------------------------


async def balance(conn: asyncpg.Connection, register: AccumulationRegister, at: dt.datetime | None = None,
                  *, route: Route | None = None, **filters: Any) -> list[dict[str, Any]]:
    """Остатки: the balance of each key at the moment ``at``, movements exactly
    at ``at`` included; with ``at=None`` the current balance (every movement,
    future-dated ones too). Rows: the dimensions and the resources.

    ``route`` forces the plan, ``(months, partial[, day])`` as in :func:`balance_pieces`.
    """
    _require_balance(register)
    q = _Query(register, filters)
    if at is None:
        q.add(("current", 1), "open")
    else:
        months, partial, day = _route(route)
        for piece in balance_pieces(_moment(at, "at"), register.tz, months=months, partial=partial, day=day):
            q.add(piece, "open")
    sums = [(r, f"sum({r}_o)") for r in register.resource_names]
    return await q.fetch(conn, sums, [e for _, e in sums])


async def turnovers(conn: asyncpg.Connection, register: AccumulationRegister, start: dt.datetime,
                    end: dt.datetime, periodicity: Periodicity | None = None,
                    **filters: Any) -> list[dict[str, Any]]:
    """Обороты between ``start`` and ``end``, both moments inclusive.

    Balance registers give ``<r>_receipt``, ``<r>_expense`` and ``<r>_turnover``
    (receipt less expense); turnover registers give ``<r>``. With a
    periodicity (``"day"``, ``"month"``, ``"year"``) every row also has
    ``period``, the date the period starts (a partial first period still
    shows its own start). Daily turnovers read the range's movements.
    """
    if periodicity is not None and periodicity not in PERIODICITIES:
        raise ValidationError.field("periodicity", f"допустимые значения: {', '.join(PERIODICITIES)}")
    start, end = _moment(start, "start"), _moment(end, "end")
    q = _Query(register, filters)
    if periodicity == "day":
        pieces: list[Piece] = [("raw", start, True, end, True, 1)] if start <= end else []
    else:
        pieces = turnover_pieces(start, end, register.tz)
    for piece in pieces:
        q.add(piece, "turn", by_day=periodicity == "day")
    period = {None: None, "day": "p", "month": "p", "year": "(date_trunc('year', p))::date"}[periodicity]
    if register.is_balance:
        outputs = [(n, e) for r in register.resource_names for n, e in (
            (f"{r}_receipt", f"sum({r}_r)"), (f"{r}_expense", f"sum({r}_e)"),
            (f"{r}_turnover", f"sum({r}_r) - sum({r}_e)"))]
        nonzero = [e for n, e in outputs if not n.endswith("_turnover")]
    else:
        outputs = [(r, f"sum({r}_t)") for r in register.resource_names]
        nonzero = [e for _, e in outputs]
    return await q.fetch(conn, outputs, nonzero, period)


async def balance_and_turnovers(conn: asyncpg.Connection, register: AccumulationRegister,
                                start: dt.datetime, end: dt.datetime, *, route: Route | None = None,
                                **filters: Any) -> list[dict[str, Any]]:
    """Остатки и обороты between ``start`` and ``end`` (both inclusive): per key
    ``<r>_opening`` (before ``start``), ``<r>_receipt``, ``<r>_expense`` and
    ``<r>_closing`` (at ``end``, inclusive)."""
    _require_balance(register)
    start, end = _moment(start, "start"), _moment(end, "end")
    q = _Query(register, filters)
    months, partial, day = _route(route)
    for piece in balance_pieces(start, register.tz, inclusive=False, months=months, partial=partial, day=day):
        q.add(piece, "open")
    for piece in turnover_pieces(start, end, register.tz):
        q.add(piece, "turn")
    outputs = [(n, e) for r in register.resource_names for n, e in (
        (f"{r}_opening", f"sum({r}_o)"), (f"{r}_receipt", f"sum({r}_r)"), (f"{r}_expense", f"sum({r}_e)"),
        (f"{r}_closing", f"sum({r}_o) + sum({r}_r) - sum({r}_e)"))]
    return await q.fetch(conn, outputs, [e for n, e in outputs if not n.endswith("_closing")])


async def movements(conn: asyncpg.Connection, register: AccumulationRegister, start: dt.datetime,
                    end: dt.datetime, *, limit: int = 1000, **filters: Any) -> list[dict[str, Any]]:
    """Движения: the movements of the keys ``filters`` names between ``start`` and ``end`` (both
    inclusive), in time order, at most ``limit``: ``period``, ``record_type``, ``recorder_kind``,
    ``recorder_id``, the dimensions and the resources. (An item's history reads its own key's
    movements through the key index, never the whole register.)"""
    start, end = _moment(start, "start"), _moment(end, "end")
    fields = {f.name: f for f in register.dimensions}
    args: list[Any] = [start, end]
    conditions = ["period >= $1", "period <= $2", *filter_conditions(register.title, fields, filters, args)]
    columns = ", ".join(q(c) for c in (*register.dimension_names, *register.resource_names))
    rows = await conn.fetch(
        f"SELECT period, record_type, recorder_kind, recorder_id, {columns} FROM {q(register.movements_table)}"
        f" WHERE {' AND '.join(conditions)} ORDER BY period, recorder_kind, recorder_id, line_no"
        f" LIMIT {int(limit)}", *args)
    return [dict(r) for r in rows]
