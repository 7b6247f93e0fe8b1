"""The posting workload: ServiceRenderings of goods and services lines, and how to run N of them concurrently.

A document takes distinct goods (from one warehouse, whose stock history
keeps them in stock) and distinct services, a random client and doctor.
The same plan feeds the service layer (Decimals), the HTTP API (JSON) and
the raw-SQL ceiling (:mod:`bench.ceiling`), so all three write the same rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .clinic import Clinic


@dataclass(frozen=True)
class Plan:
    """One ServiceRendering to write: header ids and (nomenclature, quantity, price, is goods) lines."""

    client: int
    doctor: int
    warehouse: int
    lines: tuple[tuple[int, int, int, bool], ...]
    date: dt.datetime | None = None

    def as_input(self, organization: int) -> dict[str, Any]:
        """The document as the service layer takes it."""
        data: dict[str, Any] = {
            "organization_id": organization, "client_id": self.client, "doctor_id": self.doctor,
            "warehouse_id": self.warehouse,
            "lines": [{"nomenclature_id": n, "quantity": Decimal(q), "price": Decimal(p)} for n, q, p, _ in self.lines],
        }
        if self.date is not None:
            data["date"] = self.date
        return data

    def as_json(self, organization: int) -> dict[str, Any]:
        """The document as the HTTP API takes it (money as decimal strings)."""
        data = self.as_input(organization)
        data["lines"] = [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in ln.items()} for ln in data["lines"]]
        if self.date is not None:
            data["date"] = self.date.isoformat()
        return data


def plans(clinic: Clinic, count: int, *, goods: int = 2, services: int = 3, seed: int = 1,
          date: dt.datetime | None = None) -> list[Plan]:
    """``count`` documents of ``goods`` goods lines and ``services`` service lines each."""
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        items = [(n, 1, clinic.prices[n], True) for n in _distinct(rnd, clinic.goods, goods)]
        items += [(n, 1, clinic.prices[n], False) for n in _distinct(rnd, clinic.services, services)]
        out.append(Plan(rnd.choice(clinic.clients), rnd.choice(clinic.doctors), rnd.choice(clinic.warehouses),
                        tuple(items), date))
    return out


def _distinct(rnd: random.Random, pool: Sequence[int], k: int) -> list[int]:
    if k <= len(pool):
        return rnd.sample(pool, k)
    return [pool[i % len(pool)] for i in range(k)]


async def concurrently(tasks: int, items: Sequence[Any], work: Callable[[Any], Awaitable[Any]]) -> float:
    """Run ``work(item)`` for every item with ``tasks`` workers; the wall-clock seconds."""
    queue = list(reversed(items))

    async def worker() -> None:
        while queue:
            await work(queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return time.perf_counter() - started
