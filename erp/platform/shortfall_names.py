"""Shortfalls as people read them: a refused posting names the catalog items of the key
(«Бинт» rather than ``nomenclature_id=7``), the fields by their titles and every resource
the key would be left with. Read only when balance control refuses, so a posting that
goes through pays nothing for it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from .register import AccumulationRegister, q
from .shortfalls import BalanceShortage, Shortfall


async def _balances(conn: asyncpg.Connection, register: AccumulationRegister,
                    dimensions: dict[str, Any]) -> dict[str, Any]:
    where = " AND ".join(f"{q(f.name)} = (${i}::text)::{f.sql_type}"
                         for i, f in enumerate(register.dimensions, start=1))
    row = await conn.fetchrow(f"SELECT {', '.join(q(r) for r in register.resource_names)}"
                              f" FROM {register.balance_table} WHERE {where}",
                              *(str(dimensions[d]) for d in register.dimension_names))
    return {r: (row[r] if row else 0) for r in register.resource_names}


async def _names(conn: asyncpg.Connection, registry, register: AccumulationRegister,
                 dimensions: dict[str, Any]) -> dict[str, str]:
    names = {}
    for field in register.dimensions:
        # a ref, or a reference whose catalog another dimension names (``extra["ref_by"]``: a money account)
        target = field.ref if field.type == "ref" else dimensions.get(field.extra.get("ref_by") or "")
        catalog = registry.catalogs.get(target) if isinstance(target, str) else None
        if catalog is not None and dimensions.get(field.name) is not None:
            name = await conn.fetchval(f'SELECT name FROM "{catalog.table}" WHERE id = ($1::text)::bigint',
                                       str(dimensions[field.name]))
            if name is not None:
                names[field.name] = name
    return names


async def named(conn: asyncpg.Connection, registry, shortfalls: Sequence[Shortfall]) -> list[Shortfall]:
    """``shortfalls`` with their keys' names, the fields' titles and the balances after the write
    (in the transaction that wrote them, before it rolls back)."""
    out = []
    for s in shortfalls:
        register = registry.registers.get(s.register)
        if not isinstance(register, AccumulationRegister):
            out.append(s)
            continue
        labels = {f.name: f.title for f in (*register.dimensions, *register.resources) if f.title}
        balances = s.balances if s.balances is not None else await _balances(conn, register, s.dimensions)
        if balances:  # a reserve that holds nothing says nothing about the shortage
            balances = {k: v for k, v in balances.items()
                        if k not in register.covers.values() or Decimal(str(v)) != 0}
        out.append(msgspec.structs.replace(
            s, labels=labels, names=await _names(conn, registry, register, s.dimensions), balances=balances))
    return out


async def renamed(conn: asyncpg.Connection, registry, shortage: BalanceShortage) -> BalanceShortage:
    """``shortage`` again with its keys named (:func:`named`), keeping what a batch added to it: the
    prefix of its message (``items[3]: …``, ``документ № …: …``) and its details (``item``, ``document_id``)."""
    out = BalanceShortage(await named(conn, registry, shortage.shortfalls))
    plain = BalanceShortage(shortage.shortfalls).message
    if shortage.message.endswith(plain) and shortage.message != plain:
        out.message = shortage.message[:-len(plain)] + out.message
        out.args = (out.message,)
    out.details = {**shortage.details, **out.details}
    return out
