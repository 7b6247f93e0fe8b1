"""``erp bench``: the data generator on the command line.

``erp bench seed`` adds a benchmark clinic (organization, warehouses, goods,
services, clients, doctors) to the database in ``DATABASE_URL`` (or the
embedded one), loads its stock history with ``COPY`` (10 000 000 movements
over 10 000 keys and 3 years by default), optionally a skewed history on a
warehouse of its own (``--long-keys`` keys of ``--long-movements`` movements
each and ``--short-keys`` of ``--short-movements``: row 4c's data) and
ServiceRenderings for the lists, and proves the totals with ``erp totals
check``'s own comparison.
It rebuilds the stock register's indexes and totals, so run it on a
database nobody is posting to.
"""

from __future__ import annotations

import time

import click

from .clinic import Volumes


@click.group("bench")
def bench() -> None:
    """Бенчмарки: генератор больших объёмов данных."""


@bench.command("seed")
@click.option("--movements", type=click.IntRange(1), default=10_000_000, show_default=True,
              help="Движений регистра остатков.")
@click.option("--keys", type=click.IntRange(10), default=10_000, show_default=True,
              help="Ключей (склады × товары; складов 10).")
@click.option("--years", type=click.IntRange(1, 50), default=3, show_default=True, help="За сколько лет.")
@click.option("--renderings", type=click.IntRange(0), default=0, show_default=True,
              help="Документов «Оказание услуг» (черновики, по 3 строки) для списков.")
@click.option("--long-keys", type=click.IntRange(0), default=0, show_default=True,
              help="Ключей с долгой историей (на отдельном складе; 0 — не создавать такую историю).")
@click.option("--long-movements", type=click.IntRange(1), default=100_000, show_default=True,
              help="Движений у каждого ключа с долгой историей.")
@click.option("--short-keys", type=click.IntRange(0), default=100, show_default=True,
              help="Ключей с короткой историей на том же складе (при --long-keys > 0).")
@click.option("--short-movements", type=click.IntRange(1), default=100, show_default=True,
              help="Движений у каждого ключа с короткой историей.")
@click.option("--check/--no-check", default=True, show_default=True, help="Сверить итоги с движениями.")
def seed(movements: int, keys: int, years: int, renderings: int, long_keys: int, long_movements: int,
         short_keys: int, short_movements: int, check: bool) -> None:
    """Заполнить базу: справочники, история остатков (COPY), итоги; по желанию долгая и короткая история
    ключей на отдельном складе (--long-keys) для проверки независимости остатков от длины истории."""
    from erp.app.cli import _fail, _migrate, console, run
    from erp.app.cli_totals import _context

    url = _context().url
    run(_migrate(url))
    volumes = Volumes(warehouses=10, goods=max(keys // 10, 1), services=100, clients=1_000, doctors=50,
                      movements=movements, years=years, renderings=renderings, requests=0, long_keys=long_keys,
                      long_movements=long_movements, short_keys=short_keys if long_keys else 0,
                      short_movements=short_movements)
    report = run(_seed(url, volumes, check))
    for line in report["lines"]:
        console.print(line)
    if report["differences"]:
        _fail(f"итоги расходятся с движениями: {report['differences']} расхождений (erp totals rebuild)")


async def _seed(url: str, v: Volumes, check: bool) -> dict:
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    from erp.app.cli import console
    from erp.app.settings import load_settings
    from erp.configuration import registry
    from erp.platform.db import connect
    from erp.platform.totals import check_totals

    from .clinic import build_clinic
    from .core import thousands
    from .seed import seed_renderings, seed_skewed_history, seed_stock_history

    reg = registry()
    lines: list[str] = []
    conn = await connect(url)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=console) as progress:
            tasks: dict[str, int] = {}

            def advance(description: str, step: int, total: int) -> None:
                if description not in tasks:
                    tasks[description] = progress.add_task(description, total=total)
                progress.advance(tasks[description], step)

            clinic = await build_clinic(conn, reg, v)
            history = await seed_stock_history(conn, reg.registers["stock"], clinic, v.movements, v.years,
                                               progress=advance)
            lines.append(f"Движения остатков: {thousands(v.movements)} за {history.seconds:.1f} с "
                         f"({thousands(round(v.movements / history.seconds))} в секунду; "
                         + ", ".join(f"{k} {s:.1f} с" for k, s in history.steps.items()) + ")")
            if v.long_keys:
                skewed = await seed_skewed_history(conn, reg, clinic, long_keys=v.long_keys,
                                                   long_movements=v.long_movements, short_keys=v.short_keys,
                                                   short_movements=v.short_movements, years=v.years,
                                                   progress=advance)
                lines.append(f"Долгая история (склад {skewed.warehouse}): {v.long_keys} × "
                             f"{thousands(v.long_movements)} и {v.short_keys} × {thousands(v.short_movements)} "
                             f"движений за {skewed.report.seconds:.1f} с")
            if v.renderings:
                made = await seed_renderings(conn, reg.documents["service-renderings"], clinic, v.renderings,
                                             v.years, tz=load_settings().tz, progress=advance)
                lines.append(f"Оказание услуг: {thousands(v.renderings)} документов за {made.seconds:.1f} с")
            differences = 0
            if check:
                started = time.perf_counter()
                progress.add_task("Сверка итогов", total=None)
                differences = sum([len(await check_totals(conn, r)) for r in reg.registers.values()])
                lines.append(f"Итоги сверены за {time.perf_counter() - started:.1f} с: расхождений {differences}")
    finally:
        await conn.close()
    return {"lines": lines, "differences": differences}
