"""The ``erp`` command line."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import signal
import sys

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from erp.app.settings import Settings, SettingsError, load_settings
from erp.platform import audit
from erp.platform.errors import DatabaseUnavailable, ErpError

console = Console(stderr=True)


def _fail(message: str) -> None:
    console.print(f"[bold red]Ошибка:[/] {message}")
    sys.exit(1)


class Context:
    def __init__(self) -> None:
        try:
            self.settings: Settings = load_settings()
        except SettingsError as exc:
            _fail(str(exc))
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            from erp.app.runtime import check_reachable_sync, database_url

            try:
                url = database_url(self.settings)
            except Exception as exc:  # the embedded server could not start
                _fail(
                    f"Не удалось запустить встроенный PostgreSQL в {self.settings.data_dir}: {exc}. "
                    "Проверьте права на каталог (ERP_DATA_DIR) и свободное место, "
                    "или задайте DATABASE_URL существующего сервера."
                )
            try:
                check_reachable_sync(url)
            except DatabaseUnavailable as exc:
                _fail(exc.message)
            self._url = url
        return self._url


pass_ctx = click.make_pass_decorator(Context, ensure=True)


async def _as_cli(coro):
    """What a command changes, the audit log names ``cli:<os user>`` as the author."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no such user in the container's passwd
        who = str(os.getuid())
    with audit.acting_as(audit.Actor(None, f"cli:{who}")):
        return await coro


def run(coro):
    try:
        return asyncio.run(_as_cli(coro))
    except DatabaseUnavailable as exc:
        _fail(exc.message)
    except ErpError as exc:
        _fail(exc.message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Подробный журнал.")
def main(verbose: bool) -> None:
    """ERP для клиник: учёт в стиле 1С, связанный с amoCRM.

    Без DATABASE_URL команды запускают встроенный PostgreSQL в каталоге
    данных (ERP_DATA_DIR).
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def _migrate(url: str) -> list[str]:
    from erp.app.migrate import applied, known, migrate

    before = set(await applied(url))
    todo = [m for m in known() if m not in before]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Миграции", total=max(len(todo), 1))
        await migrate(url)
        progress.update(task, completed=max(len(todo), 1))
    return todo


@main.command()
@pass_ctx
def migrate(ctx: Context) -> None:
    """Применить все миграции базы данных."""
    done = run(_migrate(ctx.url))
    console.print(f"Миграции применены: {len(done)} новых." if done else "База уже актуальна.")


async def _demo(ctx: Context) -> None:
    from erp import demo
    from erp.platform.db import connect

    conn = await connect(ctx.url)
    try:
        steps = demo.steps()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Демо-данные", total=len(steps) + 1)
            async with conn.transaction():
                login = await demo.ensure_admin(conn, ctx.settings.data_dir)
                progress.advance(task)
                for title, step in steps:
                    progress.update(task, description=title)
                    await step(conn)
                    progress.advance(task)
    finally:
        await conn.close()
    state = "создан" if login.created else "уже был"
    console.print(f"Администратор ({state}): логин [bold]{login.username}[/], "
                  f"пароль [bold]{login.password}[/]")


@main.command()
@pass_ctx
def demo(ctx: Context) -> None:
    """Загрузить демо-данные (повторный запуск ничего не меняет)."""
    run(_migrate(ctx.url))
    run(_demo(ctx))


@main.command()
@click.option("--demo", "with_demo", is_flag=True, help="Загрузить демо-данные перед запуском.")
@click.option("--host", default=None, help="Адрес (по умолчанию ERP_HOST или 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Порт (по умолчанию ERP_PORT или 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Число процессов веб-сервера.")
@pass_ctx
def serve(ctx: Context, with_demo: bool, host: str | None, port: int | None, workers: int) -> None:
    """Запустить веб-сервер (миграции применяются при старте)."""
    import uvicorn

    url = ctx.url
    run(_migrate(url))
    if with_demo:
        run(_demo(ctx))
    host = host or ctx.settings.host
    port = port or ctx.settings.port
    if with_demo:  # the fake amoCRM beside the demo, so its exchange log is alive
        from erp.amocrm import demo as amocrm_demo

        amocrm_demo.start(ctx.settings, url, f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}",
                          console.print)
    os.environ["DATABASE_URL"] = url
    console.print(banner(host, port))
    uvicorn.run("erp.app.asgi:create", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False, timeout_graceful_shutdown=5)


def banner(host: str, port: int) -> str:
    """What ``erp serve`` says at start: the pages a person opens (the API's description last)."""
    base = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"
    return (f"Сервер: {base}/ — вход {base}/login, расписание {base}/schedule, документы {base}/documents, "
            f"журнал обмена с amoCRM {base}/integrations/exchange-log; описание API: {base}/schema/swagger")


@main.command()
@pass_ctx
def worker(ctx: Context) -> None:
    """Выполнять фоновые задания (обмен с amoCRM и обслуживание)."""
    from erp.app.jobs import registered, run_worker
    from erp.platform.db import create_pool

    url = ctx.url

    async def go() -> None:
        import erp.configuration  # noqa: F401  (registers the configuration's jobs)

        pool = await create_pool(url, max_size=4)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print(f"Фоновые задания: {', '.join(registered())}")
        try:
            await run_worker(pool, ctx.settings, url, stop)
        finally:
            await pool.close()

    run(go())


@main.group()
def user() -> None:
    """Пользователи."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "accountant", "manager"]), required=True,
              help="Роль пользователя.")
@click.option("--full-name", default="", help="ФИО.")
@pass_ctx
def user_add(ctx: Context, name: str, role: str, full_name: str) -> None:
    """Добавить пользователя. Пароль читается из приглашения или из stdin."""
    if sys.stdin.isatty():
        password = getpass.getpass("Пароль: ")
        if getpass.getpass("Ещё раз: ") != password:
            _fail("пароли не совпадают")
    else:
        password = sys.stdin.readline().rstrip("\n")
    from erp.auth.service import add_user
    from erp.platform.db import connect

    url = ctx.url

    async def go() -> int:
        await _migrate(url)
        conn = await connect(url)
        try:
            return await add_user(conn, name, role, password, full_name)
        finally:
            await conn.close()

    user_id = run(go())
    console.print(f"Пользователь {name} ({role}) создан, id {user_id}.")


@user.command("list")
@pass_ctx
def user_list(ctx: Context) -> None:
    """Показать пользователей."""
    from erp.auth.service import list_users
    from erp.platform.db import connect

    url = ctx.url

    async def go():
        conn = await connect(url)
        try:
            return await list_users(conn)
        finally:
            await conn.close()

    table = Table("id", "логин", "ФИО", "роль", "активен")
    for row in run(go()):
        table.add_row(str(row["id"]), row["username"], row["full_name"], row["role"],
                      "да" if row["active"] else "нет")
    Console().print(table)


def _add_groups() -> None:
    from erp.amocrm.cli import amocrm
    from erp.app.cli_backup import backup, restore
    from erp.app.cli_documents import documents
    from erp.app.cli_exchange import export_group
    from erp.app.cli_totals import totals

    main.add_command(totals)
    main.add_command(documents)
    main.add_command(export_group)
    main.add_command(backup)
    main.add_command(restore)
    main.add_command(amocrm)
    try:
        from bench.cli import bench
    except ModuleNotFoundError as exc:  # the benchmarks live in the repository, not in the installed package
        if exc.name != "bench":
            raise
    else:
        main.add_command(bench)


_add_groups()

if __name__ == "__main__":
    main()
