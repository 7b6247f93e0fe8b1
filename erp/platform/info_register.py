"""Регистр сведений: the information register.

It stores facts along dimensions (измерения) rather than numbers to add up:
prices, settings, a doctor's working intervals. A *periodic* register keeps
the history of each key: every record has a period, and the facts in force at
a moment are the срез последних (:meth:`InformationRegister.slice_last`).

Records are written like movements, as a recorder's complete set that
replaces its previous one (подчинение регистратору); unposting the document
removes them, and the previous facts show through again. Independent records
(no recorder) are written per key with :meth:`InformationRegister.write_independent`.

One table, ``inf_<stem>``: ``id``, ``recorder_kind``, ``recorder_id``,
``line_no``, ``period`` (periodic registers), ``order_key``, the dimensions and
the resources. A key may hold several records in one set (a schedule gives a
doctor several intervals on one day); the slice returns all the records of the
winning set: the latest ``(period, order_key, recorder)`` at or before the
moment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from piccolo.columns import BigInt, BigSerial, Column, Integer, Timestamptz, Varchar
from piccolo.table import Table, create_table_class

from .fields import Field, FieldError
from .register import aware, q, table_stem
from .virtual_tables import filter_conditions

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,44}$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")
RESERVED = frozenset({"id", "recorder_kind", "recorder_id", "line_no", "period", "order_key",
                      "conn", "at", "register"})


class InformationRegister:
    """The declaration of a регистр сведений (see the module docstring)."""

    def __init__(self, name: str, periodic: bool = True, dimensions: Sequence[Field] = (),
                 resources: Sequence[Field] = (), title: str = "") -> None:
        if not _NAME.match(name):
            raise ValueError(f"register name {name!r}: lowercase latin letters, digits, '_' or '-'")
        self.name, self.periodic, self.title = name, periodic, title or name
        self.dimensions, self.resources = tuple(dimensions), tuple(resources)
        self.stem = table_stem(name)
        self.table = f"inf_{self.stem}"
        self.movements_table = self.table  # where a recorder's records live, as for accumulation registers
        names = [f.name for f in (*self.dimensions, *self.resources)]
        bad = [n for n in names if not _IDENT.match(n) or n in RESERVED]
        if not self.dimensions or bad or len(set(names)) != len(names):
            raise ValueError(f"register {name}: needs dimensions and unique, unreserved names (bad: {bad})")
        self._tables: list[type[Table]] | None = None
        self._sql: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"InformationRegister({self.name!r}, periodic={self.periodic})"

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.dimensions)

    @property
    def resource_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.resources)

    # -- storage ---------------------------------------------------------------

    def tables(self) -> list[type[Table]]:
        if self._tables is None:
            members: dict[str, Column | Any] = {
                "id": BigSerial(primary_key=True),
                "recorder_kind": Varchar(length=100, null=True, default=None),
                "recorder_id": BigInt(null=True, default=None),
                "line_no": Integer(null=False),
            }
            if self.periodic:
                members["period"] = Timestamptz(null=False, default=None)
            members["order_key"] = BigInt(null=False, default=0)
            members.update({f.name: dataclasses.replace(f, index=False).column(null=False)
                            for f in self.dimensions})
            members.update({f.name: dataclasses.replace(f, index=False).column() for f in self.resources})
            class_name = "Inf" + "".join(p.capitalize() for p in self.stem.split("_"))
            self._tables = [create_table_class(class_name, class_kwargs={"tablename": self.table},
                                               class_members=members)]
        return self._tables

    def extra_ddl(self) -> list[str]:
        """Indexes by recorder and by key (then period) for the slice."""
        t = self.table
        order = ", ".join([*map(q, self.dimension_names), *(["period"] if self.periodic else []), "order_key"])
        return [f"CREATE INDEX IF NOT EXISTS {t}_recorder_idx ON {t} (recorder_kind, recorder_id)",
                f"CREATE INDEX IF NOT EXISTS {t}_key_idx ON {t} ({order})"]

    # -- writing ---------------------------------------------------------------

    def _columns(self, records: Sequence[Mapping[str, Any]],
                 key: Mapping[str, Any] | None = None) -> list[list[Any]]:
        known = set(self.dimension_names) | set(self.resource_names)
        columns: list[list[Any]] = [[] for _ in range(1 + len(self.dimensions) + len(self.resources))]
        for line_no, record in enumerate(records, start=1):
            values = {**record, **(key or {})}
            unknown = set(values) - known
            if unknown:
                raise ValueError(f"register {self.name}: unknown fields {sorted(unknown)}")
            row = [line_no]
            for f in self.dimensions:
                if values.get(f.name) is None:
                    raise ValueError(f"register {self.name}: dimension {f.name} not given")
                row.append(self._parse(f, values[f.name]))
            row += [self._parse(f, values.get(f.name)) for f in self.resources]
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        return columns

    def _parse(self, field: Field, value: Any) -> Any:
        try:
            return field.parse(value)
        except FieldError as exc:
            raise ValueError(f"register {self.name}, {field.name}={value!r}: {exc}") from None

    @property
    def _first_array(self) -> int:
        return 5 if self.periodic else 4  # after recorder kind, id, order key and period

    def _insert_sql(self, delete_where: str) -> str:
        """Delete the old set, then insert the new one from arrays (in that order:
        the insert reads the delete's count, so a constraint never sees both sets).

        Parameters: $1 recorder kind, $2 recorder id, $3 order key, $4 period
        (periodic registers), then one array per column.
        """
        cols = [q(c) for c in (*self.dimension_names, *self.resource_names)]
        types = ["integer", *(f.sql_type for f in (*self.dimensions, *self.resources))]
        arrays = ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, start=self._first_array))
        period, period_value = ("period, ", "$4::timestamptz, ") if self.periodic else ("", "")
        return f"""
WITH gone AS (DELETE FROM {self.table} WHERE {delete_where} RETURNING 1)
INSERT INTO {self.table} (recorder_kind, recorder_id, line_no, {period}order_key, {", ".join(cols)})
SELECT $1::varchar, $2::bigint, n.line_no, {period_value}$3, {", ".join("n." + c for c in cols)}
FROM unnest({arrays}) AS n(line_no, {", ".join(cols)})
CROSS JOIN (SELECT count(*) FROM gone) AS g"""

    def _head(self, recorder_kind: str | None, recorder_id: int | None, order_key: int,
              period: dt.datetime | None) -> list[Any]:
        head: list[Any] = [recorder_kind, recorder_id, order_key]
        if self.periodic:
            head.append(aware(period))
        return head

    async def write_records(self, conn: asyncpg.Connection, recorder_kind: str, recorder_id: int,
                            records: Sequence[Mapping[str, Any]], period: dt.datetime | None = None,
                            order_key: int = 0) -> None:
        """Replace the recorder's records with ``records`` (``[]`` clears them): one statement.

        ``period`` (required for periodic registers) and ``order_key`` apply to
        every record of the set.
        """
        if "recorder" not in self._sql:
            self._sql["recorder"] = self._insert_sql("recorder_kind = $1 AND recorder_id = $2")
        await conn.execute(self._sql["recorder"], *self._head(recorder_kind, recorder_id, order_key, period),
                           *self._columns(records))

    async def write_independent(self, conn: asyncpg.Connection, key: Mapping[str, Any],
                                records: Sequence[Mapping[str, Any]], period: dt.datetime | None = None,
                                order_key: int = 0) -> None:
        """Replace the independent records (no recorder) of one full key, and of
        ``period`` in a periodic register; ``records`` hold the resources."""
        if set(key) != set(self.dimension_names):
            raise ValueError(f"register {self.name}: the key must give exactly {self.dimension_names}")
        if "independent" not in self._sql:
            n = self._first_array + len(self.dimensions) + len(self.resources)
            where = " AND ".join(["recorder_kind IS NULL",
                                  *(f"{q(f.name)} = ${n + i}::{f.sql_type}" for i, f in enumerate(self.dimensions, 1)),
                                  *(["period = $4"] if self.periodic else [])])
            self._sql["independent"] = self._insert_sql(where)
        await conn.execute(self._sql["independent"], *self._head(None, None, order_key, period),
                           *self._columns(records, key), *(self._parse(f, key[f.name]) for f in self.dimensions))

    # -- срез последних ----------------------------------------------------------

    async def slice_last(self, conn: asyncpg.Connection, at: dt.datetime | None = None,
                         **filters: Any) -> list[dict[str, Any]]:
        """Срез последних: for each key, all the records of its latest set at or
        before ``at`` (records exactly at ``at`` count), by ``(period, order_key,
        recorder)``. Non-periodic registers ignore ``at``. Filters name
        dimensions, with one value or a list of values. Each row holds the
        dimensions, the resources, ``period`` (periodic registers) and the
        recorder."""
        args: list[Any] = []
        conditions = filter_conditions(self.name, {f.name: f for f in self.dimensions}, filters, args)
        if self.periodic:
            args.append(aware(at if at is not None else dt.datetime.now(dt.UTC), "at"))
            conditions.append(f"period <= ${len(args)}")
        dims = ", ".join(q(d) for d in self.dimension_names)
        latest = ["period DESC"] if self.periodic else []
        latest += ["order_key DESC", "recorder_kind DESC NULLS LAST", "recorder_id DESC NULLS LAST"]
        same = [f"i.{q(d)} = w.{q(d)}" for d in self.dimension_names] + [
            "i.order_key = w.order_key", "i.recorder_kind IS NOT DISTINCT FROM w.recorder_kind",
            "i.recorder_id IS NOT DISTINCT FROM w.recorder_id"]
        if self.periodic:
            same.append("i.period = w.period")
        shown = [*map(q, self.dimension_names), *map(q, self.resource_names), *(["period"] if self.periodic else []),
                 "recorder_kind", "recorder_id"]
        sql = f"""
WITH w AS (
    SELECT DISTINCT ON ({dims}) {dims}, {"period, " if self.periodic else ""}order_key,
           recorder_kind, recorder_id
    FROM {self.table} {"WHERE " + " AND ".join(conditions) if conditions else ""}
    ORDER BY {dims}, {", ".join(latest)}
)
SELECT {", ".join("i." + c for c in shown)}
FROM {self.table} AS i JOIN w ON {" AND ".join(same)}
ORDER BY {", ".join("i." + q(d) for d in self.dimension_names)}, i.line_no"""
        return [dict(row) for row in await conn.fetch(sql, *args)]
