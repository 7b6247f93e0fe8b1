"""``erp totals``: проверка и пересчёт итогов регистров накопления.

``erp totals check`` compares every register's stored totals with the
recomputation from its movements and exits with 1 when they differ;
``erp totals rebuild [REGISTER]`` recomputes them (all registers, or one).
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from erp.platform.register import AccumulationRegister


def all_registers() -> list[AccumulationRegister]:
    """Every accumulation register of the configuration, by name."""
    from erp.configuration import registry

    return sorted(registry().registers.values(), key=lambda r: r.name)


def _context() -> Any:
    from erp.cli import Context

    return click.get_current_context().ensure_object(Context)


async def _with_connection(url: str, work):
    from erp.platform.db import connect

    conn = await connect(url)
    try:
        return await work(conn)
    finally:
        await conn.close()


@click.group()
def totals() -> None:
    """Итоги регистров накопления: проверка и пересчёт."""


@totals.command("check")
def check() -> None:
    """Сверить итоги всех регистров с движениями (код выхода 1 при расхождениях)."""
    from erp.cli import console, run
    from erp.platform.totals import check_totals

    url = _context().url
    registers = all_registers()

    async def work(conn):
        return [d for reg in registers for d in await check_totals(conn, reg)]

    differences = run(_with_connection(url, work))
    if not differences:
        console.print(f"Итоги сходятся с движениями (регистров: {len(registers)}).")
        return
    table = Table("регистр", "итоги", "ключ", "поле", "хранится", "по движениям")
    for d in differences:
        key = ", ".join(f"{k}={v}" for k, v in d.key.items())
        table.add_row(d.register, "по месяцам" if d.table == "month" else "текущие", key, d.column,
                      str(d.stored), str(d.expected))
    Console().print(table)
    console.print(f"[bold red]Расхождений: {len(differences)}.[/] Исправить: erp totals rebuild")
    sys.exit(1)


@totals.command("rebuild")
@click.argument("register", required=False)
def rebuild(register: str | None) -> None:
    """Пересчитать итоги по движениям: всех регистров или одного (REGISTER)."""
    from rich.progress import Progress

    from erp.cli import _fail, console, run
    from erp.platform.totals import rebuild_totals

    registers = all_registers()
    if register is not None:
        registers = [r for r in registers if r.name == register]
        if not registers:
            known = ", ".join(r.name for r in all_registers()) or "нет"
            _fail(f"нет регистра накопления «{register}» (есть: {known})")
    url = _context().url

    async def work(conn):
        counts = {}
        with Progress(console=console) as progress:
            task = progress.add_task("Пересчёт итогов", total=len(registers))
            for reg in registers:
                progress.update(task, description=f"Пересчёт итогов: {reg.title}")
                counts[reg.name] = await rebuild_totals(conn, reg)
                progress.advance(task)
        return counts

    counts = run(_with_connection(url, work))
    for name, rows in counts.items():
        parts = [f"по месяцам {rows.get('month', 0)}"]
        if "balance" in rows:
            parts.append(f"текущих {rows['balance']}")
        console.print(f"{name}: строк итогов {', '.join(parts)}")
    console.print(f"Итоги пересчитаны (регистров: {len(counts)}).")
