"""Нумерация: gapless document numbers per kind, organization prefix and year.

The counter row is incremented inside the writing transaction, so its row
lock orders concurrent writers and a rolled-back transaction takes its
increment back with it: no gaps and no duplicates. A document's own number is given (and moved into
another series) by its posting statement (:mod:`erp.platform.posting.compile`).
"""

from __future__ import annotations

import asyncpg

NEXT_SQL = """
INSERT INTO document_counters (kind, prefix, year, last) VALUES ($1, $2, $3, 1)
ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1
RETURNING last
"""


async def next_value(conn: asyncpg.Connection, kind: str, prefix: str = "", year: int = 0) -> int:
    return await conn.fetchval(NEXT_SQL, kind, prefix, year)


def format_number(prefix: str, value: int, width: int = 11) -> str:
    """``"00000000219"``, or with a prefix ``"КЛ-000000219"``: always ``width`` long
    unless the value needs more digits."""
    return prefix + str(value).zfill(max(width - len(prefix), 1))


async def reserve(conn: asyncpg.Connection, kind: str, count: int, prefix: str = "", year: int = 0) -> range:
    """``count`` consecutive values at once (a bulk load's codes): one statement, same row lock."""
    if count <= 0:
        return range(0)
    last = await conn.fetchval(
        "INSERT INTO document_counters (kind, prefix, year, last) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + $4 RETURNING last",
        kind, prefix, year, count)
    return range(last - count + 1, last + 1)
