"""``erp backup FILE`` and ``erp restore FILE``: выгрузка и загрузка
информационной базы (see :mod:`erp.app.backup`).

Without ``DATABASE_URL`` both run the embedded server's own pg_dump,
pg_restore and psql. ``erp restore`` into a base that is not empty replaces
all of it, so it asks first (or wants ``--force`` when there is nobody to
ask), and it refuses while ``erp serve`` or ``erp worker`` is connected.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn


def _context() -> Any:
    from erp.app.cli import Context

    return click.get_current_context().ensure_object(Context)


def _embedded_bin(ctx) -> Path | None:
    """The embedded server's programs, when the base is the embedded one."""
    if ctx.settings.database_url:
        return None
    from erp.app import embedded

    return embedded.binaries()


def _progress(console) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    console=console, transient=True)


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} МБ".replace(".", ",")


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
def backup(file: Path) -> None:
    """Выгрузить базу в файл FILE (pg_dump, формат custom)."""
    from erp.app import backup as bk
    from erp.app.cli import console, run
    from erp.app.pg_tools import BackupError

    ctx = _context()
    url = ctx.url
    try:
        server = run(bk.server_facts(url))
        with _progress(console) as progress:
            task = progress.add_task("Выгрузка", total=server.tables or None)

            def step(table: str) -> None:
                progress.update(task, advance=1, description=f"Выгрузка: {table}")

            done = bk.backup(url, file, server, prefer=_embedded_bin(ctx), progress=step)
    except BackupError as exc:
        _fail(exc.message)
    console.print(f"Копия базы записана: {file} ({_megabytes(done.size)}, таблиц: {done.tables}, "
                  f"pg_dump {done.tools.major}).")


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Заменить содержимое непустой базы без вопроса.")
def restore(file: Path, force: bool) -> None:
    """Загрузить базу из копии FILE, сделанной erp backup.

    Всё содержимое базы заменяется копией в одной транзакции: при ошибке база
    остаётся прежней. Непустую базу заменяет только после подтверждения
    (или с --force); erp serve и erp worker нужно остановить.
    """
    from erp.app import backup as bk
    from erp.app.cli import _migrate, console, run
    from erp.app.pg_tools import BackupError

    ctx = _context()
    url = ctx.url
    try:
        server = run(bk.server_facts(url))
        copy = bk.inspect(file, server, _embedded_bin(ctx))
        if server.tables and not force and sys.stdin.isatty():
            force = click.confirm(f"База не пуста (документов: {server.documents}). Заменить всё её содержимое "
                                  f"копией {file}?", default=False, err=True)
            if not force:
                _fail("загрузка отменена, база не изменена")
        bk.refuse_busy(server, force)
        with _progress(console) as progress:
            task = progress.add_task("Загрузка таблиц", total=copy.tables or None)
            bk.restore(url, copy, server, progress=lambda _what: progress.advance(task))
    except BackupError as exc:
        _fail(exc.message)
    done = run(_migrate(url))
    migrated = f"; применено миграций: {len(done)}" if done else ""
    console.print(f"База загружена из {file} (таблиц с данными: {copy.tables}, pg_restore {copy.tools.major}"
                  f"{migrated}).")


def _fail(message: str) -> None:
    from erp.app.cli import _fail as fail

    fail(message)
