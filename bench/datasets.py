"""The run's large data sets, each built once and shared by the modules that need it.

They are inputs, never answers: a row always times its own queries against them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .clinic import Clinic, volumes
from .core import Context
from .seed import SeedReport, SkewedHistory, seed_day, seed_renderings, seed_skewed_history, seed_stock_history


@dataclass(frozen=True)
class History:
    clinic: Clinic
    report: SeedReport
    start: dt.datetime
    end: dt.datetime
    keys: int
    years: int


def _progress(ctx: Context):
    shown: dict[str, int] = {}

    def report(description: str, advance: int, total: int) -> None:
        done = shown.get(description, 0) + advance
        shown[description] = done
        step = max(total // 10, 1)
        if done // step != (done - advance) // step or done >= total:
            ctx.log(f"{description}: {min(done, total):,} / {total:,}".replace(",", " "))

    return report


async def stock_history(ctx: Context) -> History:
    """The stock register's history: 20 000 movements (smoke) or 10 000 000 (full) over 3 years."""
    async def make() -> History:
        clinic = await ctx.clinic()
        v = volumes(ctx.size)
        now = dt.datetime.now(dt.UTC)
        async with ctx.connection() as conn:
            report = await seed_stock_history(conn, ctx.registry.registers["stock"], clinic, v.movements, v.years,
                                              now=now, progress=_progress(ctx))
        ctx.log(f"stock history: {v.movements:,} movements in {report.seconds:.1f} s {report.steps}")
        return History(clinic, report, now - dt.timedelta(days=365 * v.years), now, v.keys, v.years)

    return await ctx.once("stock-history", make)


@dataclass(frozen=True)
class Skewed:
    history: SkewedHistory
    start: dt.datetime
    end: dt.datetime
    long_movements: int
    short_movements: int
    years: int


async def skewed_history(ctx: Context) -> Skewed:
    """Keys of a long and of a short history on a warehouse of their own, in the same movements table as
    :func:`stock_history`: 2 × 10 000 + 20 × 100 movements (smoke) or 4 × 100 000 + 100 × 100 (full)."""
    async def make() -> Skewed:
        clinic = await ctx.clinic()
        v = volumes(ctx.size)
        now = dt.datetime.now(dt.UTC)
        async with ctx.connection() as conn:
            made = await seed_skewed_history(conn, ctx.registry, clinic, long_keys=v.long_keys,
                                             long_movements=v.long_movements, short_keys=v.short_keys,
                                             short_movements=v.short_movements, years=v.years, now=now,
                                             progress=_progress(ctx))
        ctx.log(f"skewed history: {made.report.rows:,} movements in {made.report.seconds:.1f} s {made.report.steps}")
        return Skewed(made, now - dt.timedelta(days=365 * v.years), now, v.long_movements, v.short_movements,
                      v.years)

    return await ctx.once("skewed-history", make)


async def renderings(ctx: Context) -> SeedReport:
    """Unposted ServiceRenderings for the lists: 5 000 (smoke) or 1 000 000 (full) over 3 years."""
    async def make() -> SeedReport:
        clinic = await ctx.clinic()
        v = volumes(ctx.size)
        async with ctx.connection() as conn:
            report = await seed_renderings(conn, ctx.registry.documents["service-renderings"], clinic, v.renderings,
                                           v.years, tz=ctx.settings.tz, progress=_progress(ctx))
        ctx.log(f"service renderings: {v.renderings:,} in {report.seconds:.1f} s")
        return report

    return await ctx.once("renderings", make)


async def slots_day(ctx: Context) -> dt.date:
    """A day a week ahead on which every doctor works and 500 Requests are posted."""
    async def make() -> dt.date:
        clinic = await ctx.clinic()
        day = dt.date.today() + dt.timedelta(days=7)
        pool = await ctx.pool()
        async with pool.acquire() as conn:
            await seed_day(conn, ctx.engine, clinic, day, volumes(ctx.size).requests, progress=_progress(ctx))
        return day

    return await ctx.once("slots-day", make)
