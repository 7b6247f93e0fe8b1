"""Writing movements straight into a register, for tests of the register itself.

The product writes movements only as part of a document's posting statement
(:mod:`erp.platform.posting.compile`); these helpers run the very same register
CTEs on their own, with balance control, so register tests need no document kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from erp.platform.metadata import Registry
from erp.platform.posting import read_needs
from erp.platform.posting.compile import SHORTFALLS, _columns, decode_shortfalls, register_ctes
from erp.platform.posting.inputs import Balances, key_of
from erp.platform.posting.sqlnames import Params
from erp.platform.register import AccumulationRegister, Movement
from erp.platform.shortfalls import SHORTAGE, BalanceShortage, shortfalls_of


async def write_movements(conn: asyncpg.Connection, register: AccumulationRegister, recorder_kind: str,
                          recorder_id: int, movements: Sequence[Movement], *, controlled: bool = True) -> None:
    """Replace the recorder's movements in ``register`` and its totals in one statement; with
    ``controlled`` (and a register that controls balances), refuse with :class:`BalanceShortage`
    what breaks balance control, writing nothing."""
    p = Params()
    ctes, counted, short = register_ctes(register, "_0", p, fresh=False)
    select = " + ".join(f"(SELECT count(*) FROM {name})" for name in counted)
    if short and controlled:
        ctes.append(f"short AS ({short})")
        select += ", " + SHORTFALLS
    values = {"kind": recorder_kind, "doc_id": recorder_id,
              **{f"_0.{c}": v for c, v in _columns(register, movements).items()}}
    try:
        await conn.fetchrow("WITH " + ", ".join(ctes) + " SELECT " + select, *[values[n] for n in p.names])
    except asyncpg.PostgresError as exc:
        if exc.sqlstate != SHORTAGE:
            raise
        raise BalanceShortage(shortfalls_of(decode_shortfalls(exc.detail), {register.name: register.title})) from None


async def current_balances(conn: asyncpg.Connection, register: AccumulationRegister,
                           keys: Sequence[Mapping[str, Any]], exclude_recorder: tuple[str, int] | None = None
                           ) -> dict[tuple[Any, ...], dict[str, Decimal]]:
    """The balances now of ``keys`` (dimension dicts), less ``exclude_recorder``'s own movements,
    read as a posting's :class:`~erp.platform.posting.inputs.Balances` need is."""
    wanted = tuple(dict.fromkeys(key_of(register, k) for k in keys))
    found, _ = await read_needs(conn, Registry([register]), {"b": Balances(register.name, wanted)}, exclude_recorder)
    return found["b"]
