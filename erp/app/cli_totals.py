"""``erp totals``: проверка и пересчёт итогов регистров накопления.

``erp totals check`` compares every register's stored totals with the
recomputation from its movements, checks the balances against the registers'
balance control (no negative stock, no cost without quantity) and the
document numbers (unique per kind, prefix and year), and exits with 1 on any fault;
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
    from erp.app.cli import Context

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
    """Сверить итоги всех регистров с движениями, правила остатков (сейчас и на каждый момент истории)
    и нумерацию документов (код выхода 1 при нарушениях)."""
    from erp.app.cli import console, run
    from erp.platform.totals import check_balance_history, check_balance_rules, check_numbers, check_totals

    ctx = _context()
    url, registers, kinds = ctx.url, all_registers(), all_document_kinds()
    timezone = ctx.settings.timezone

    async def work(conn):
        differences = [d for reg in registers for d in await check_totals(conn, reg)]
        breaches = [b for reg in registers for b in await check_balance_rules(conn, reg)]
        breaches += [b for reg in registers for b in await check_balance_history(conn, reg)]
        numbers = [f for kind in kinds for f in await check_numbers(conn, kind, timezone)]
        return differences, breaches, numbers

    differences, breaches, numbers = run(_with_connection(url, work))
    if not (differences or breaches or numbers):
        console.print(f"Итоги сходятся с движениями (регистров: {len(registers)}), правила остатков соблюдены,"
                      f" номера документов уникальны (видов: {len(kinds)}).")
        return
    if differences:
        _print_differences(differences)
    if breaches:
        _print_breaches(breaches, {r.name: r for r in registers}, ctx.settings.tz)
    if numbers:
        _print_numbers(numbers, {k.name: k for k in kinds})
    sys.exit(1)


def all_document_kinds() -> list:
    """Every document kind of the configuration, by name."""
    from erp.configuration import registry

    return sorted(registry().documents.values(), key=lambda k: k.name)


def _print_differences(differences) -> None:
    from erp.app.cli import console

    table = Table("регистр", "итоги", "ключ", "поле", "хранится", "по движениям")
    for d in differences:
        key = ", ".join(f"{k}={v}" for k, v in d.key.items())
        table.add_row(d.register, _TOTALS.get(d.table, "текущие"), key, d.column,
                      str(d.stored), str(d.expected))
    Console().print(table)
    console.print(f"[bold red]Расхождений: {len(differences)}.[/] Исправить: erp totals rebuild")


_TOTALS = {"month": "по месяцам", "day": "по дням"}


def _print_breaches(breaches, registers, tz) -> None:
    from erp.app.cli import console

    table = Table("регистр", "ключ", "ресурс", "остаток", "нарушение")
    for b in breaches:
        register = registers[b.register]
        titles = {f.name: f.title or f.name for f in (*register.dimensions, *register.resources)}
        key = ", ".join(f"{titles[k]}={v}" for k, v in b.key.items())
        rule = f"не 0 при нулевом «{titles[b.pair]}» ({b.pair_value})" if b.pair else "отрицательный остаток"
        if b.moment is not None:  # below zero at a past moment, whatever it is now
            rule += f" на {b.moment.astimezone(tz):%d.%m.%Y %H:%M}"
        table.add_row(register.title, key, titles[b.resource], str(b.value), rule)
    Console().print(table)
    console.print(f"[bold red]Нарушений правил остатков: {len(breaches)}.[/] Остатки по движениям неверны:"
                  " найдите документы этих ключей и исправьте их")


def _print_numbers(faults, kinds) -> None:
    from erp.app.cli import console

    table = Table("вид документа", "префикс", "год", "номер", "id документов", "нарушение")
    for f in faults:
        problem = "номер повторяется" if f.problem == "duplicate" else "номер из серии другого года"
        table.add_row(kinds[f.kind].title, f.prefix, str(f.year), f.number, ", ".join(map(str, f.ids)), problem)
    Console().print(table)
    console.print(f"[bold red]Нарушений нумерации: {len(faults)}.[/]")


@totals.command("rebuild")
@click.argument("register", required=False)
def rebuild(register: str | None) -> None:
    """Пересчитать итоги по движениям: всех регистров или одного (REGISTER)."""
    from rich.progress import Progress

    from erp.app.cli import _fail, console, run
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
        if "day" in rows:
            parts.append(f"по дням {rows['day']}")
        if "balance" in rows:
            parts.append(f"текущих {rows['balance']}")
        console.print(f"{name}: строк итогов {', '.join(parts)}")
    console.print(f"Итоги пересчитаны (регистров: {len(counts)}).")
