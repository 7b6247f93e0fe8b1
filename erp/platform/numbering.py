"""Нумерация: gapless document numbers per kind, organization prefix and year.

The counter row is incremented inside the writing transaction, so its row
lock orders concurrent writers and a rolled-back transaction takes its
increment back with it: no gaps and no duplicates.
"""

from __future__ import annotations

import asyncpg

from .errors import Conflict
from .fields import quote

NEXT_SQL = """
INSERT INTO document_counters (kind, prefix, year, last) VALUES ($1, $2, $3, 1)
ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1
RETURNING last
"""


async def next_value(conn: asyncpg.Connection, kind: str, prefix: str = "", year: int = 0) -> int:
    return await conn.fetchval(NEXT_SQL, kind, prefix, year)


def next_number_cte(kind: str, prefix: str, year: str) -> str:
    """``num AS (...)``: the counter's next value as ``num.last``, for a statement
    that numbers what it inserts (``kind``, ``prefix``, ``year`` are SQL
    parameters, e.g. ``"$1"``). The row lock is the same as :func:`next_value`'s."""
    return (f"num AS (INSERT INTO document_counters (kind, prefix, year, last) VALUES ({kind}, {prefix}, {year}, 1)"
            " ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last)")


def number_sql(prefix: str, width: int, value: str = "num.last") -> str:
    """:func:`format_number` in SQL, of ``num.last`` (see :func:`next_number_cte`) or another ``value``."""
    digits = f"{value}::text"
    return f"{prefix} || lpad({digits}, greatest({int(width)} - length({prefix}), 1, length({digits})), '0')"


def format_number(prefix: str, value: int, width: int = 11) -> str:
    """``"00000000219"``, or with a prefix ``"КЛ-000000219"``: always ``width`` long
    unless the value needs more digits."""
    return prefix + str(value).zfill(max(width - len(prefix), 1))


def _move_sql(table: str, width: int, prefix_from: tuple[str, str] | None) -> str:
    """The statement of :func:`move_to_series`: ``$1`` the document's id, ``$2`` its kind,
    ``$3`` the new year, ``$4`` the id of the item the prefix comes from (with ``prefix_from``)."""
    prefix = "d.number_prefix"
    if prefix_from is not None:
        prefix = f'coalesce((SELECT {quote(prefix_from[1])} FROM "{prefix_from[0]}" WHERE id = $4), \'\')'
    return f"""WITH d AS (SELECT number, number_prefix, number_year FROM "{table}" WHERE id = $1),
moving AS (SELECT d.*, {prefix} AS prefix, $3::int AS year FROM d
           WHERE ({prefix}, $3::int) IS DISTINCT FROM (d.number_prefix, d.number_year)),
shrunk AS (UPDATE document_counters AS c SET last = c.last - 1 FROM moving AS m
           WHERE c.kind = $2 AND c.prefix = m.number_prefix AND c.year = m.number_year
             AND m.number = {number_sql("m.number_prefix", width, "c.last")}
           RETURNING c.last),
num AS (INSERT INTO document_counters (kind, prefix, year, last)
        SELECT $2, m.prefix, m.year, 1 FROM moving AS m WHERE EXISTS (SELECT FROM shrunk)
        ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
renumbered AS (UPDATE "{table}" AS x SET number = {number_sql("m.prefix", width)}, number_prefix = m.prefix,
                      number_year = m.year
               FROM moving AS m, num WHERE x.id = $1 RETURNING x.number)
SELECT (SELECT number FROM d) AS old, (SELECT count(*) FROM moving) AS moving,
       (SELECT number FROM renumbered) AS number, (SELECT number_year FROM d) AS old_year"""


async def move_to_series(conn: asyncpg.Connection, kind, doc_id: int, year: int,
                         prefix_from: tuple[str, str, int] | None = None) -> str:
    """Keep a written document's number in its series when its date moves to another
    year (or its prefix changes: ``prefix_from`` is (catalog table, attribute, item id)),
    as 1C does: it takes the next number of the new series, and the old series
    gives its number back, which it can only do when the number is the series' last
    (gapless in both); otherwise the change is refused. Returns the number the document
    has now. Must run in the transaction that writes the document: the counters' rows
    stay locked to its end, as when numbering a new one."""
    sql = _move_sql(kind.table, kind.number_width, prefix_from[:2] if prefix_from else None)
    row = await conn.fetchrow(sql, doc_id, kind.name, year, *([prefix_from[2]] if prefix_from else []))
    if not row["moving"]:
        return row["old"]
    if row["number"] is None:
        raise Conflict(
            f"Документ «{kind.title}» № {row['old']} нельзя перенести в другой год или сменить ему префикс"
            f" номера: его номер в серии {row['old_year']} года не последний, и в ней остался бы пропуск."
            " Создайте новый документ с нужной датой, а этот пометьте на удаление",
            code="number_series_change",
            details={"number": row["old"], "year": row["old_year"], "new_year": year})
    return row["number"]
