"""Регистр накопления: the accumulation register, declared once.

A register accumulates numbers (resources, ресурсы) along keys (dimensions,
измерения). Documents (регистраторы) write movements (движения) into it, each
dated (период):

* a *balance* register (остатки) knows receipts (приход, +1) and expenses
  (расход, −1), so it has a balance at any moment: stock by warehouse and item,
  what a client owes;
* a *turnover* register (обороты) only adds numbers up: sales by service.

From the declaration the register builds three tables:

* ``reg_<stem>_movements``: the movements themselves, always written as the
  recorder's complete set, which replaces its previous one;
* ``reg_<stem>_month``: the turnovers of each key per calendar month (итоги
  по периодам), receipts and expenses apart for balance registers;
* ``reg_<stem>_balance``: one current balance row per key (текущие итоги),
  balance registers only.

Both totals tables are kept up to date in the posting transaction (see
:mod:`erp.platform.register_write`); the virtual tables
(:mod:`erp.platform.virtual_tables`) read them plus at most half a month of
movements per edge. Month boundaries are taken in the register's ``timezone``.

Movement records are frozen structs built by :meth:`AccumulationRegister.receipt`,
:meth:`~AccumulationRegister.expense` and :meth:`~AccumulationRegister.turnover`;
a posting rule returns them and never touches the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from piccolo.columns import BigInt, BigSerial, Column, Date, Integer, Numeric, SmallInt, Timestamptz, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table, create_table_class

from .fields import Field, FieldError

if TYPE_CHECKING:
    import asyncpg

RECEIPT, EXPENSE, TURNOVER = 1, -1, 0
AMOUNT_TYPES = ("money", "quantity", "percent")

# Column names of the tables and argument names of the virtual tables.
RESERVED = frozenset({"id", "recorder_kind", "recorder_id", "line_no", "period", "record_type", "month",
                      "conn", "at", "start", "end", "periodicity", "route", "register", "order_key"})
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
_TZ = re.compile(r"^[A-Za-z0-9_+/-]{1,60}$")


def table_stem(name: str) -> str:
    """The part of table names that comes from an API name (``"-"`` becomes ``"_"``)."""
    return name.replace("-", "_")


def q(name: str) -> str:
    """A declared name as an SQL identifier: names such as ``end`` are keywords.
    Names are checked against a strict pattern, so quoting needs no escaping."""
    return f'"{name}"'


def aware(moment: Any, what: str = "period") -> dt.datetime:
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {moment!r}")
    return moment


def amount_column(field: Field) -> Column:
    """A NOT NULL numeric column with the field's precision and default 0."""
    precision, scale = (int(x) for x in field.sql_type[len("numeric("):-1].split(","))
    return Numeric(digits=(precision, scale), default=Decimal(0), null=False)


class Movement(msgspec.Struct, frozen=True, kw_only=True):
    """One movement (движение): the register's fields by name, parsed: the dimensions, the
    resources (``Decimal``) and the attributes.

    ``record_type`` is 1 for a receipt, −1 for an expense, 0 in turnover registers.
    """

    register: str
    period: dt.datetime
    record_type: int
    dimensions: dict[str, Any]
    resources: dict[str, Decimal]
    attributes: dict[str, Any] = {}

    @property
    def values(self) -> dict[str, Any]:
        """Every field by name."""
        return {**self.dimensions, **self.resources, **self.attributes}


class AccumulationRegister:
    """The declaration of a регистр накопления (see the module docstring)."""

    def __init__(self, name: str, *, kind: Literal["balance", "turnover"],
                 dimensions: Sequence[Field], resources: Sequence[Field],
                 attributes: Sequence[Field] = (), no_negative: Sequence[str] = (),
                 zero_with: Mapping[str, str] | None = None, covers: Mapping[str, str] | None = None,
                 title: str = "", timezone: str = "UTC") -> None:
        if not _NAME.match(name):
            raise ValueError(f"register name {name!r}: lowercase latin letters, digits, '_' or '-'")
        if kind not in ("balance", "turnover"):
            raise ValueError(f"register {name}: kind is 'balance' or 'turnover', not {kind!r}")
        self.name, self.kind, self.title = name, kind, title or name
        self.dimensions, self.resources = tuple(dimensions), tuple(resources)
        self.attributes, self.no_negative = tuple(attributes), tuple(no_negative)
        # {resource: other}: the resource must be 0 wherever the other one is 0 (cost where quantity is).
        self.zero_with: dict[str, str] = dict(zero_with or {})
        # {resource: held}: a no_negative resource whose balance must cover another one (the quantity in stock
        # covers what is reserved of it), so the controlled balance is their difference (доступно = остаток − резерв).
        self.covers: dict[str, str] = dict(covers or {})
        if not _TZ.match(timezone):
            raise ValueError(f"register {name}: bad timezone {timezone!r}")
        self.timezone = timezone  # goes into SQL as a literal, hence the pattern check
        self.tz = ZoneInfo(timezone)
        self.stem = table_stem(name)
        self.movements_table = f"reg_{self.stem}_movements"
        self.month_table = f"reg_{self.stem}_month"
        self.day_table = f"reg_{self.stem}_day"  # balance registers only
        self.balance_table = f"reg_{self.stem}_balance"
        self._check_declaration()
        self._tables: list[type[Table]] | None = None
        self.sql: dict[str, str] = {}  # statements built once per register, see register_write

    def __repr__(self) -> str:
        return f"AccumulationRegister({self.name!r}, kind={self.kind!r})"

    def _check_declaration(self) -> None:
        where = f"register {self.name}"
        if not self.dimensions or not self.resources:
            raise ValueError(f"{where}: needs at least one dimension and one resource")
        names = [f.name for f in (*self.dimensions, *self.resources, *self.attributes)]
        names += [f"{r.name}_{suffix}" for r in self.resources
                  for suffix in ("receipt", "expense", "turnover", "opening", "closing")]
        bad = [n for n in names if not _IDENT.match(n) or n in RESERVED]
        if bad:
            raise ValueError(f"{where}: bad or reserved names {bad}")
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: names must be unique (including <resource>_receipt etc.)")
        for f in self.resources:
            if f.type not in AMOUNT_TYPES:
                raise ValueError(f"{where}: resource {f.name} must be one of {AMOUNT_TYPES}")
        unknown = set(self.no_negative) - {f.name for f in self.resources}
        if unknown:
            raise ValueError(f"{where}: no_negative names unknown resources {unknown}")
        if self.no_negative and self.kind != "balance":
            raise ValueError(f"{where}: only a balance register can forbid negative balances")
        unknown = {*self.zero_with, *self.zero_with.values()} - {f.name for f in self.resources}
        if unknown:
            raise ValueError(f"{where}: zero_with names unknown resources {unknown}")
        if any(a == b for a, b in self.zero_with.items()):
            raise ValueError(f"{where}: zero_with pairs a resource with itself")
        if self.zero_with and self.kind != "balance":
            raise ValueError(f"{where}: only a balance register can control its balances")
        if set(self.covers) - set(self.no_negative) or set(self.covers.values()) - {f.name for f in self.resources}:
            raise ValueError(f"{where}: covers pairs a no_negative resource with another resource")
        if any(a == b for a, b in self.covers.items()):
            raise ValueError(f"{where}: covers pairs a resource with itself")

    @property
    def controlled(self) -> bool:
        """Whether postings check the balances they leave (контроль остатков): ``no_negative``
        resources never below zero, ``zero_with`` resources zero wherever their pair is."""
        return bool(self.no_negative or self.zero_with)

    @property
    def controlled_in_the_past(self) -> tuple[str, ...]:
        """The ``no_negative`` resources balance control keeps at or above zero at every moment of the
        history, not only now: a back-dated expense, an unposted receipt or one moved later must leave
        no past balance below zero. A resource that is also ``zero_with`` (the cost of stock) is left
        out: it is taken at the moving average of the *current* balance, so a back-dated write-off's
        cost is not what the key held at its moment, and its past values say nothing to hold to."""
        return tuple(r for r in self.no_negative if r not in self.zero_with)

    @property
    def is_balance(self) -> bool:
        return self.kind == "balance"

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.dimensions)

    @functools.cached_property
    def _field_names(self) -> frozenset[str]:
        return frozenset(f.name for f in (*self.dimensions, *self.resources, *self.attributes))

    @property
    def resource_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.resources)

    def dimension(self, name: str) -> Field:
        for f in self.dimensions:
            if f.name == name:
                return f
        raise KeyError(name)

    # -- movement records ------------------------------------------------------

    def receipt(self, period: dt.datetime, **values: Any) -> Movement:
        """Приход: adds the resources to the key's balance."""
        return self._movement(period, RECEIPT, values)

    def expense(self, period: dt.datetime, **values: Any) -> Movement:
        """Расход: takes the resources from the key's balance."""
        return self._movement(period, EXPENSE, values)

    def turnover(self, period: dt.datetime, **values: Any) -> Movement:
        """A movement of a turnover register."""
        if self.is_balance:
            raise TypeError(f"register {self.name} keeps balances: use receipt() or expense()")
        return Movement(register=self.name, period=aware(period), record_type=TURNOVER,
                        **self._values(values))

    def _movement(self, period: dt.datetime, record_type: int, values: dict[str, Any]) -> Movement:
        if not self.is_balance:
            raise TypeError(f"register {self.name} keeps turnovers only: use turnover()")
        return Movement(register=self.name, period=aware(period), record_type=record_type,
                        **self._values(values))

    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        unknown = values.keys() - self._field_names
        if unknown:
            raise ValueError(f"register {self.name}: unknown fields {sorted(unknown)}")
        missing = [f.name for f in self.dimensions if values.get(f.name) is None]
        if missing:
            raise ValueError(f"register {self.name}: dimensions not given: {missing}")
        return {
            "dimensions": {f.name: self.parse_value(f, values[f.name]) for f in self.dimensions},
            "resources": {f.name: self._amount(f, values.get(f.name, 0)) for f in self.resources},
            "attributes": {f.name: self.parse_value(f, values.get(f.name)) for f in self.attributes},
        }

    def parse_value(self, field: Field, value: Any) -> Any:
        try:
            return field.parse(value)
        except FieldError as exc:
            raise ValueError(f"register {self.name}, {field.name}={value!r}: {exc}") from None

    def _amount(self, field: Field, value: Any) -> Decimal:
        if isinstance(value, bool | float) or not isinstance(value, int | Decimal):
            raise TypeError(f"register {self.name}, {field.name}: Decimal or int expected, got {value!r}")
        return self.parse_value(field, value)

    def key(self, movement: Movement) -> tuple[Any, ...]:
        """The movement's key: its dimensions' values in declaration order."""
        return tuple(movement.dimensions[d] for d in self.dimension_names)

    def as_dict(self, movement: Movement) -> dict[str, Any]:
        """The movement's values by name (dimensions, resources, attributes)."""
        return movement.values

    # -- storage ---------------------------------------------------------------

    def tables(self) -> list[type[Table]]:
        """The movements, month totals and (balance registers) day totals and current balance tables."""
        if self._tables is None:
            self._tables = [self._movements_class(), self._month_class()]
            if self.is_balance:
                self._tables += [self._day_class(), self._balance_class()]
        return self._tables

    def _dimension_columns(self) -> dict[str, Column]:
        return {f.name: dataclasses.replace(f, index=False).column(null=False) for f in self.dimensions}

    def _class_name(self, suffix: str) -> str:
        return "Reg" + "".join(part.capitalize() for part in self.stem.split("_")) + suffix

    def _movements_class(self) -> type[Table]:
        members: dict[str, Any] = {
            "id": BigSerial(primary_key=True),
            "recorder_kind": Varchar(length=100, null=False),
            "recorder_id": BigInt(null=False),
            "line_no": Integer(null=False),
            "period": Timestamptz(null=False, default=None),
            "record_type": SmallInt(null=False, default=0),
            **self._dimension_columns(),
            **{f.name: amount_column(f) for f in self.resources},
            **{f.name: dataclasses.replace(f, index=False).column() for f in self.attributes},
        }
        return create_table_class(self._class_name("Movements"),
                                  class_kwargs={"tablename": self.movements_table}, class_members=members)

    def _month_class(self) -> type[Table]:
        members: dict[str, Any] = {"id": BigSerial(primary_key=True), "month": Date(null=False, default=None),
                                   **self._dimension_columns()}
        for f in self.resources:
            if self.is_balance:
                members[f"{f.name}_receipt"] = amount_column(f)
                members[f"{f.name}_expense"] = amount_column(f)
            else:
                members[f.name] = amount_column(f)
        key = f"{self.month_table}_key"
        members[key] = Unique(["month", *self.dimension_names], name=key)
        return create_table_class(self._class_name("Month"),
                                  class_kwargs={"tablename": self.month_table}, class_members=members)

    def _day_class(self) -> type[Table]:
        """Day totals (итоги по дням) of a balance register: receipts and expenses per key and day in
        the register's time zone. With the month totals they bound what a balance at any moment reads
        from the raw movements to half a day of the key's, however long its history (issue 20)."""
        members: dict[str, Any] = {"id": BigSerial(primary_key=True), "day": Date(null=False, default=None),
                                   **self._dimension_columns()}
        for f in self.resources:
            members[f"{f.name}_receipt"] = amount_column(f)
            members[f"{f.name}_expense"] = amount_column(f)
        key = f"{self.day_table}_key"
        members[key] = Unique(["day", *self.dimension_names], name=key)
        return create_table_class(self._class_name("Day"),
                                  class_kwargs={"tablename": self.day_table}, class_members=members)

    def _balance_class(self) -> type[Table]:
        key = f"{self.balance_table}_key"
        members: dict[str, Any] = {"id": BigSerial(primary_key=True), **self._dimension_columns(),
                                   **{f.name: amount_column(f) for f in self.resources},
                                   key: Unique(list(self.dimension_names), name=key)}
        return create_table_class(self._class_name("Balance"),
                                  class_kwargs={"tablename": self.balance_table}, class_members=members)

    def extra_ddl(self) -> list[str]:
        """Composite indexes Piccolo cannot declare: movements by recorder, by key and
        period, by period; month totals by key and month (the unique key starts with
        the month, which serves upserts but not a key's range of months), day totals likewise. The key index
        covers record_type and the resources, so the raw movements a balance at a date
        reads (at most half a month of the key's) come from the index alone, however
        long and dense the key's history (benchmark row 4c). A register with resources controlled in the
        past adds its history function (:func:`~erp.platform.posting.control.history_ddl`)."""
        from .posting.control import history_ddl  # posting builds on the register, not the other way

        t, dims = self.movements_table, ", ".join(q(d) for d in self.dimension_names)
        m = self.month_table
        covered = ", ".join(["record_type", *(q(r) for r in self.resource_names)])
        return [
            f"CREATE INDEX IF NOT EXISTS {t}_recorder_idx ON {t} (recorder_kind, recorder_id)",
            f"CREATE INDEX IF NOT EXISTS {t}_key_idx ON {t} ({dims}, period) INCLUDE ({covered})",
            f"CREATE INDEX IF NOT EXISTS {t}_period_idx ON {t} (period)",
            f"CREATE INDEX IF NOT EXISTS {m}_key_idx ON {m} ({dims}, month)",
        ] + ([f"CREATE INDEX IF NOT EXISTS {self.day_table}_key_idx ON {self.day_table} ({dims}, day)"]
             if self.is_balance else []) + history_ddl(self)

    # -- virtual tables (виртуальные таблицы) -------------------------------------

    async def balance(self, conn: asyncpg.Connection, at: dt.datetime | None = None,
                      **filters: Any) -> list[dict[str, Any]]:
        """Остатки: see :func:`erp.platform.virtual_tables.balance`."""
        from .virtual_tables import balance

        return await balance(conn, self, at, **filters)

    async def turnovers(self, conn: asyncpg.Connection, start: dt.datetime, end: dt.datetime,
                        periodicity: Literal["day", "month", "year"] | None = None,
                        **filters: Any) -> list[dict[str, Any]]:
        """Обороты: see :func:`erp.platform.virtual_tables.turnovers`."""
        from .virtual_tables import turnovers

        return await turnovers(conn, self, start, end, periodicity, **filters)

    async def balance_and_turnovers(self, conn: asyncpg.Connection, start: dt.datetime, end: dt.datetime,
                                    **filters: Any) -> list[dict[str, Any]]:
        """Остатки и обороты: see :func:`erp.platform.virtual_tables.balance_and_turnovers`."""
        from .virtual_tables import balance_and_turnovers

        return await balance_and_turnovers(conn, self, start, end, **filters)
