"""The benchmark protocol: rows, targets, the run's context, and timing helpers.

A benchmark module is any module of the ``bench`` package that defines::

    ORDER = 50                      # optional: modules run by (ORDER, name); HTTP rows < 90 < memory

    async def rows(ctx: Context) -> list[Row]:
        ...

``python -m bench`` imports every such module, awaits ``rows(ctx)`` one module
at a time (never two at once: the machine is shared and noisy) and prints one
table. The acceptance table (issues 8 and 20) is :data:`SKELETON`: a row a module
returns replaces the skeleton row with the same ``id``; a skeleton row that no
module returned shows "not built (...)" when it is :attr:`Expected.planned` (the
capability it times does not exist yet) and its module is not there, "not
measured (module missing)" when its module is not there, "not measured (...)"
with the reason otherwise; rows with new ids are added at the end. A module may
also return :meth:`Row.not_built` itself; rows not built are neither PASS nor
MISS, and the summary counts them apart. A module that raises makes its rows
"not measured (error: ...)" and the run goes on.

A row reports a **ratio**: the figure divided by its comparison measured in
the same run (a ceiling, a peer query, today's posting), or by its limit
when the target is absolute (p95 ≤ 15 ms gives ratio = p95 / 15 ms). Its
:class:`Target` says how the ratio must compare with a bound, and the verdict is
PASS or MISS from that alone. Build rows with :func:`versus`, :func:`limit`
or :func:`count`.

The :class:`Context` gives a module the size (``"smoke"`` runs in CI in
seconds, ``"full"`` is the issue's volumes), the benchmark database (migrated,
dropped at the end), the clinic's registry, engine and settings, a shared pool,
the base catalogs (:meth:`Context.clinic`), a real ``erp serve`` process
(:meth:`Context.server`), and :meth:`Context.once` to build a data set or
measure a ceiling once per run and share it between modules, and
:meth:`Context.connection` for work longer than the pool's statement timeout.
Nothing a row measures may be cached: ``once`` is for inputs, never for the
answer timed.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec

if TYPE_CHECKING:
    import asyncpg

    from erp.app.settings import Settings
    from erp.platform.metadata import Registry
    from erp.platform.posting import Engine

    from .clinic import Clinic
    from .server import Server

Size = Literal["smoke", "full"]
SIZES: tuple[Size, ...] = ("smoke", "full")
NOT_MEASURED = "not measured"
NOT_BUILT = "not built"


class Target(msgspec.Struct, frozen=True):
    """``ratio <op> bound``; ``text`` is how the table shows it (e.g. "≥ 0.5 × ceiling")."""

    op: Literal[">=", "<=", "=="]
    bound: float
    text: str

    def met(self, ratio: float) -> bool:
        if self.op == ">=":
            return ratio >= self.bound
        if self.op == "<=":
            return ratio <= self.bound
        return ratio == self.bound


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the table. ``ratio`` is None when the row was not measured,
    and ``note`` then says why; ``built`` is False when the capability it times
    does not exist yet (see :meth:`not_built`)."""

    id: str
    title: str
    target: Target
    workload: str = ""
    measured: str = ""
    comparison: str = ""
    ratio: float | None = None
    note: str = ""
    built: bool = True

    @property
    def verdict(self) -> str:
        if not self.built:
            return f"{NOT_BUILT} ({self.note})" if self.note else NOT_BUILT
        if self.ratio is None or math.isnan(self.ratio):
            return f"{NOT_MEASURED} ({self.note})" if self.note else NOT_MEASURED
        return "PASS" if self.target.met(self.ratio) else "MISS"

    def unmeasured(self, reason: str) -> Row:
        return msgspec.structs.replace(self, ratio=None, measured="", comparison="", note=reason)

    def not_built(self, reason: str) -> Row:
        """The row of a capability that does not exist yet: no figure, no verdict but "not built"."""
        return msgspec.structs.replace(self, ratio=None, measured="", comparison="", note=reason, built=False)


# -- formatting and row builders ---------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    """A number as the table shows it: three significant digits, thin thousands."""
    if unit == "s" and value < 1:
        return fmt(value * 1000, "ms")
    if value == 0 or abs(value) >= 100:
        text = f"{value:,.0f}".replace(",", " ")
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".strip()


def thousands(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def versus(id: str, title: str, workload: str, value: float, unit: str, comparison: float,
           comparison_label: str, *, at_least: float | None = None, at_most: float | None = None,
           target_text: str = "", note: str = "") -> Row:
    """A figure against a comparison measured in the same run: ratio = value / comparison."""
    op, bound = (">=", at_least) if at_least is not None else ("<=", at_most)
    assert bound is not None, "give at_least= or at_most="
    text = target_text or f"{'≥' if op == '>=' else '≤'} {bound:g} × {comparison_label}"
    ratio = value / comparison if comparison else math.inf
    return Row(id=id, title=title, workload=workload, measured=fmt(value, unit),
               comparison=f"{comparison_label} {fmt(comparison, unit)}", ratio=ratio,
               target=Target(op, bound, text), note=note)


def limit(id: str, title: str, workload: str, value: float, unit: str, *, at_most: float | None = None,
          at_least: float | None = None, comparison: str = "", note: str = "", target_text: str = "") -> Row:
    """A figure against an absolute limit: ratio = value / limit."""
    op, bound = ("<=", at_most) if at_most is not None else (">=", at_least)
    assert bound, "give a non-zero at_most= or at_least="
    text = target_text or f"{'≤' if op == '<=' else '≥'} {fmt(bound, unit)}"
    return Row(id=id, title=title, workload=workload, measured=fmt(value, unit), comparison=comparison,
               ratio=value / bound, target=Target(op, 1.0, text), note=note)


def count(id: str, title: str, workload: str, value: int, unit: str, *, at_most: int = 0,
          comparison: str = "", note: str = "") -> Row:
    """A count with a small ceiling (statements per posting, differences, 429s):
    the ratio is the count itself, against ``at_most``."""
    text = f"= {at_most} {unit}" if at_most == 0 else f"≤ {at_most} {unit}"
    return Row(id=id, title=title, workload=workload, measured=f"{value} {unit}", comparison=comparison,
               ratio=float(value), target=Target("<=", float(at_most), text.strip()), note=note)


# -- the acceptance table -------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """A row of the acceptance table, measured by ``bench/<module>.py``. ``planned`` says why a row
    whose capability is still to be built has no module yet: until the module exists it is "not built"."""

    id: str
    module: str
    title: str
    target: Target
    planned: str = ""


def _t(op: Literal[">=", "<=", "=="], bound: float, text: str) -> Target:
    return Target(op, bound, text)


SKELETON: tuple[Expected, ...] = (
    Expected("1a", "posting", "Posting throughput, service layer (8 tasks)", _t(">=", 0.5, "≥ 0.5 × ceiling")),
    Expected("1b", "api", "Posting throughput, HTTP API (16 clients)", _t(">=", 0.25, "≥ 0.25 × ceiling")),
    Expected("2a", "posting", "Statements per posting, 5 lines", _t("<=", 8, "≤ 8 statements")),
    Expected("2b", "posting", "Statements per posting, 200 lines", _t("<=", 8, "≤ 8 statements")),
    Expected("3", "posting", "Back-dated posting (24 months back) vs today", _t("<=", 1.5, "≤ 1.5 × today")),
    Expected("4a", "balances", "balance(at, key), p50", _t("<=", 1, "≤ 1 ms")),
    Expected("4b", "balances", "balance(at, key), p99", _t("<=", 1, "≤ 5 ms")),
    Expected("4c", "history", "balance(at, key) p50: keys of 100 000 movements vs keys of 100",
             _t("<=", 1.5, "≤ 1.5 × short keys' p50")),
    Expected("4d", "balances", "A year of monthly turnovers for one key, p50", _t("<=", 1, "≤ 5 ms")),
    Expected("4e", "history", "Naive SUM p50: keys of 100 000 movements vs keys of 100 (beside 4c)",
             _t(">=", 50, "≥ 50 × short keys' p50")),
    Expected("5a", "slots", "Free slots, HTTP p95", _t("<=", 1, "≤ 15 ms")),
    Expected("5b", "slots", "Free slots, amoCRM widget with JWT, HTTP p95", _t("<=", 1, "≤ 25 ms")),
    Expected("6a", "lists", "List, keyset pages first/middle/last, HTTP p95", _t("<=", 1, "≤ 50 ms")),
    Expected("6b", "lists", "List filtered by client, first/middle/last, HTTP p95", _t("<=", 1, "≤ 50 ms")),
    Expected("6c", "lists", "List filtered by period, first/middle/last, HTTP p95", _t("<=", 1, "≤ 50 ms")),
    Expected("7a", "pdf", "PDF: one 10-line invoice", _t("<=", 1, "≤ 0.3 s")),
    Expected("7b", "pdf", "PDF: 100 invoices in one PDF", _t("<=", 1, "≤ 10 s")),
    Expected("8a", "amocrm_latency", "amoCRM: 10 000 postings, 10 000 leads delivered, zero 429s",
             _t("<=", 1, "≤ 35 s, 0 × 429")),
    Expected("8b", "amocrm_latency", "amoCRM: median commit → PATCH at low load", _t("<=", 1, "≤ 1 s")),
    Expected("9", "memory", "erp serve RSS after the HTTP rows", _t("<=", 1, "≤ 250 MB")),
    Expected("10a", "generator", "erp bench seed: stock movements by COPY", _t("<=", 1, "≤ 300 s per 10 M")),
    Expected("10b", "generator", "Totals consistent after the seed (erp totals check)", _t("<=", 0, "= 0 differences")),
    Expected("10c", "consistency", "Totals consistent at the end of the run", _t("<=", 0, "= 0 differences")),
    Expected("11", "client_card", "Client card of a client with 1 000 documents, HTTP p95", _t("<=", 1, "≤ 50 ms")),
    Expected("12", "client_import", "Excel import of 10 000 clients", _t("<=", 1, "≤ 30 s")),
    Expected("13", "batch_posting", "Re-posting 1 000 ServiceRenderings: batch vs one by one",
             _t(">=", 2, "≥ 2 × faster than one by one")),
    Expected("14", "inventory_count", "Statements per posting, inventory count of 200 lines",
             _t("<=", 8, "≤ 8 statements, as any posting")),
)


def merge(produced: Sequence[Row], present: set[str], errors: dict[str, str]) -> list[Row]:
    """The skeleton with the produced rows in place, then the extra rows."""
    by_id = {row.id: row for row in produced}
    out: list[Row] = []
    for e in SKELETON:
        row = by_id.pop(e.id, None)
        if row is not None:
            out.append(row)
            continue
        blank = Row(id=e.id, title=e.title, target=e.target)
        if e.planned and e.module not in present:
            out.append(blank.not_built(e.planned))
        elif e.module not in present:
            out.append(blank.unmeasured("module missing"))
        elif e.module in errors:
            out.append(blank.unmeasured(f"error: {errors[e.module]}"))
        else:
            out.append(blank.unmeasured(f"bench/{e.module}.py gave no row {e.id}"))
    return out + list(by_id.values())


# -- timing -------------------------------------------------------------------------------


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


async def timed(fn: Callable[[], Awaitable[Any]], times: int, *, warmup: int = 3) -> list[float]:
    """Seconds taken by each of ``times`` sequential awaits of ``fn()``, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        await fn()
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return samples


def ms(seconds: float) -> float:
    return seconds * 1000


# -- the run's context ------------------------------------------------------------------------


@dataclass
class Context:
    """What a benchmark module gets (see the module docstring)."""

    size: Size
    database_url: str
    admin_url: str
    settings: Settings
    registry: Registry
    engine: Engine
    work_dir: Path
    quiet: bool = False
    _memo: dict[str, Any] = field(default_factory=dict)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def pick(self, smoke: Any, full: Any) -> Any:
        """A size-dependent parameter."""
        return smoke if self.size == "smoke" else full

    def log(self, message: str) -> None:
        if not self.quiet:
            print(f"  · {message}", file=sys.stderr, flush=True)

    async def once(self, key: str, make: Callable[[], Awaitable[Any]]) -> Any:
        """``await make()`` the first time ``key`` is asked for in this run, then the same value."""
        if key not in self._memo:
            self._memo[key] = await make()
        return self._memo[key]

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        self._closers.append(closer)

    async def close(self) -> None:
        while self._closers:
            try:
                await self._closers.pop()()
            except Exception as exc:  # closing must go on
                print(f"  · closing failed: {exc}", file=sys.stderr)

    @contextlib.asynccontextmanager
    async def connection(self):
        """A connection of its own, without the pool's 60-second statement timeout:
        for loading and checking the large data sets."""
        from erp.platform.db import connect

        conn = await connect(self.database_url)
        try:
            yield conn
        finally:
            await conn.close()

    async def pool(self) -> asyncpg.Pool:
        """A pool of 20 connections to the benchmark database (statements time out after 60 s)."""
        async def make():
            from erp.platform.db import create_pool

            pool = await create_pool(self.database_url, max_size=20)
            self.on_close(pool.close)
            return pool

        return await self.once("pool", make)

    async def clinic(self) -> Clinic:
        """The base catalogs: organization, warehouses, goods, services, clients, doctors."""
        from .clinic import create_clinic

        return await self.once("clinic", lambda: create_clinic(self))

    async def server(self) -> Server:
        """A real ``erp serve`` on the benchmark database, started on first use."""
        from .server import start_server

        return await self.once("server", lambda: start_server(self))
