"""The invariant of balance control over the past, recomputed apart from the platform: every key's
running balance of each resource controlled in the past, after each moment at which the key has
movements, is never below zero (the movements read as they are, added up in Python)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from erp.platform.register import AccumulationRegister


async def negative_moments(conn, register: AccumulationRegister) -> list[tuple]:
    """(key, resource, moment, balance) wherever a resource controlled in the past was below zero."""
    resources = register.controlled_in_the_past
    columns = ", ".join(f'"{c}"' for c in (*register.dimension_names, "period", "record_type", *resources))
    rows = await conn.fetch(f"SELECT {columns} FROM {register.movements_table}")
    moves: dict[tuple, dict] = defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal)))
    for row in rows:
        key = tuple(row[d] for d in register.dimension_names)
        for r in resources:
            moves[key][row["period"]][r] += row["record_type"] * row[r]
    found = []
    for key, moments in moves.items():
        running: dict[str, Decimal] = defaultdict(Decimal)
        for moment in sorted(moments):
            for r in resources:
                running[r] += moments[moment][r]
                if running[r] < 0:
                    found.append((key, r, moment, running[r]))
    return found
