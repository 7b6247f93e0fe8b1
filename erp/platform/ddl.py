"""Creating the tables of declared objects directly, without a migration.

The application's own schema always comes from Piccolo migrations; this is
for objects declared at run time, such as the small document kinds and
registers that the platform's tests define for themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
from piccolo.table import Table


def create_statements(tables: Iterable[type[Table]], extra: Iterable[str] = ()) -> list[str]:
    statements: list[str] = []
    for table in tables:
        statements.extend(table.create_table(if_not_exists=True).ddl)
    statements.extend(extra)
    return statements


async def create_tables(conn: asyncpg.Connection, tables: Iterable[type[Table]],
                        extra: Iterable[str] = ()) -> None:
    for statement in create_statements(tables, extra):
        await conn.execute(statement)
