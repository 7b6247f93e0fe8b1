"""``erp amocrm ...``: commands around the amoCRM integration.

``connect`` exchanges an authorization code and resolves the lead fields, ``status`` shows the
account, the tokens, the queue and the failed events, ``fields`` resolves the fields again,
``webhook register`` subscribes our webhook, ``resume`` lifts a pause, ``widget-zip`` builds the
widget's archive for amoCRM. Each is a thin shell over a service of :mod:`erp.amocrm`.

``erp amocrm fake`` runs the fake amoCRM (:mod:`erp.amocrm.fake`) until Ctrl-C, for the demo and for
tests and benchmarks that need it in a separate process. It prints the base URL to configure as the
amoCRM address, the integration's credentials and a single-use authorization code; more codes come
from ``POST {base}/_fake/codes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click

from erp.amocrm.fake import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeAmo


@click.group(name="amocrm", context_settings={"help_option_names": ["-h", "--help"]})
def amocrm() -> None:
    """Интеграция с amoCRM."""


@amocrm.command(name="fake")
@click.option("--port", type=int, default=8765, show_default=True, help="Порт (0 — любой свободный).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Адрес, на котором слушать.")
@click.option("--client-id", default=DEFAULT_CLIENT_ID, show_default=True, help="ID интеграции.")
@click.option("--client-secret", default=DEFAULT_CLIENT_SECRET, show_default=True,
              help="Секретный ключ интеграции.")
@click.option("--redirect-uri", default=None, help="Ожидаемый redirect_uri (по умолчанию любой).")
@click.option("--subdomain", default="clinic", show_default=True, help="Поддомен аккаунта.")
@click.option("--account-id", type=int, default=31_000_001, show_default=True, help="ID аккаунта.")
@click.option("--doctor", "doctors", multiple=True, help="Значение списка «Врач» (можно несколько раз).")
@click.option("--rate-limit", type=click.IntRange(min=0), default=7, show_default=True,
              help="Запросов в секунду до 429 (0 — без ограничения).")
@click.option("--page-size", type=int, default=2, show_default=True,
              help="Полей на странице GET /api/v4/leads/custom_fields.")
@click.option("--lead", "leads", type=int, multiple=True, help="Создать сделку с этим ID (можно несколько раз).")
def fake(port: int, host: str, client_id: str, client_secret: str, redirect_uri: str | None, subdomain: str,
         account_id: int, doctors: tuple[str, ...], rate_limit: int, page_size: int, leads: tuple[int, ...]) -> None:
    """Запустить фейковый amoCRM (API v4 и OAuth 2.0) до Ctrl-C.

    Настройки сбоев и состояние — через POST /_fake/config и GET /_fake/state.
    """
    knobs: dict = {"rate_limit": rate_limit or None, "custom_fields_page_size": page_size}
    if doctors:
        knobs["doctors"] = list(doctors)
    try:
        instance = FakeAmo(client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri,
                           subdomain=subdomain, account_id=account_id, **knobs)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    for lead_id in leads:
        instance.add_lead(lead_id)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(instance, host, port))


async def _serve(instance: FakeAmo, host: str, port: int) -> None:
    try:
        await instance.start(port=port, host=host)
    except OSError as exc:
        raise click.ClickException(f"Не удалось занять {host}:{port}: {exc}") from exc
    try:
        code = instance.issue_code()
        click.echo("Фейковый amoCRM запущен.")
        click.echo(f"  base_url:           {instance.base_url}")
        click.echo(f"  client_id:          {instance.client_id}")
        click.echo(f"  client_secret:      {instance.client_secret}")
        click.echo(f"  redirect_uri:       {instance.redirect_uri or '(любой)'}")
        click.echo(f"  subdomain:          {instance.subdomain}")
        click.echo(f"  account_id:         {instance.account_id}")
        click.echo(f"  authorization code: {code}")
        click.echo(f"  ещё код:            curl -X POST {instance.base_url}/_fake/codes")
        click.echo(f"  состояние:          {instance.base_url}/_fake/state")
        click.echo("Ctrl-C — остановить.", nl=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await instance.stop()


def _context():
    from erp.app.cli import Context

    return click.get_current_context().ensure_object(Context)


def _with_db(work):
    """Run ``work(conn, settings)`` on the configured database (migrated first)."""
    from erp.app.cli import run
    from erp.app.migrate import migrate
    from erp.platform.db import connect

    ctx = _context()
    url = ctx.url

    async def go():
        await migrate(url)
        conn = await connect(url)
        try:
            return await work(conn, ctx.settings)
        finally:
            await conn.close()

    return run(go())


def _moment(value) -> str:
    """A moment in the clinic's time zone (ERP_TIMEZONE)."""
    return value.astimezone(_context().settings.tz).strftime("%d.%m.%Y %H:%M:%S") if value else "—"


def _print_status(status: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console()
    if not status["connected"]:
        out.print("amoCRM не подключён: erp amocrm connect --help")
    else:
        table = Table(show_header=False, box=None)
        table.add_row("Аккаунт", f"{status['subdomain']} (id {status['account_id']}), {status['base_url']}")
        table.add_row("Интеграция", f"client_id {status['client_id']}, redirect_uri {status['redirect_uri']}")
        table.add_row("Токен действует до", _moment(status["token_expires_at"]))
        table.add_row("Токены обновлены", _moment(status["token_refreshed_at"]))
        fields = ", ".join(f"{name}: {fid}" for name, fid in status["fields"].items()) or "не найдены"
        table.add_row("Поля сделки", fields)
        out.print(table)
        if status["alert"]:
            out.print(f"[bold red]Обмен приостановлен:[/] {status['alert']['message']}")
    queue = status["queue"]
    out.print(f"Очередь: ожидают {queue['pending']}, отправляются {queue['in_flight']}, "
              f"доставлено {queue['delivered']}, с ошибкой {queue['failed']}"
              + (f"; самое старое ожидает с {_moment(status['oldest_pending_at'])}" if status["oldest_pending_at"]
                 else ""))
    if status["failed_events"]:
        table = Table("id", "вид", "сделка/контакт", "попыток", "ошибка", title="События с ошибкой")
        for e in status["failed_events"]:
            whose = str(e["lead_id"]) if e["lead_id"] is not None else f"контакт {e.get('contact_id')}"
            table.add_row(str(e["id"]), e["kind"], whose, str(e["attempts"]), e["last_error"])
        out.print(table)


@amocrm.command(name="connect")
@click.option("--base-url", required=True, help="Адрес аккаунта, например https://clinic.amocrm.ru.")
@click.option("--client-id", required=True, help="ID интеграции.")
@click.option("--client-secret", prompt="Секретный ключ интеграции", hide_input=True,
              help="Секретный ключ интеграции (без опции спрашивается).")
@click.option("--redirect-uri", required=True, help="Redirect URI интеграции (наш адрес).")
@click.option("--code", required=True, help="Код авторизации (одноразовый, живёт 20 минут).")
@click.option("--create-fields", is_flag=True, help="Создать недостающие поля сделки в amoCRM.")
def connect(base_url: str, client_id: str, client_secret: str, redirect_uri: str, code: str,
            create_fields: bool) -> None:
    """Подключить аккаунт amoCRM: обменять код на токены, прочитать аккаунт и найти поля сделки."""
    from erp.amocrm import oauth

    status = _with_db(lambda conn, settings: oauth.connect(
        conn, settings, base_url=base_url, client_id=client_id, client_secret=client_secret,
        redirect_uri=redirect_uri, code=code, create_fields=create_fields))
    click.echo(f"amoCRM подключён: {status['subdomain']} (id {status['account_id']}).")
    _print_status(status)


@amocrm.command(name="status")
def status() -> None:
    """Аккаунт, срок токена, очередь обмена и события с ошибкой."""
    from erp.amocrm import connection

    _print_status(_with_db(lambda conn, _settings: connection.status(conn)))


@amocrm.command(name="fields")
@click.option("--create-fields", is_flag=True, help="Создать недостающие поля сделки в amoCRM.")
def fields_command(create_fields: bool) -> None:
    """Найти поля сделки заново (после изменений в amoCRM)."""
    from erp.amocrm import oauth

    found = _with_db(lambda conn, settings: oauth.refresh_fields(conn, settings, create=create_fields))
    for name, info in found.items():
        click.echo(f"  {name}: id {info['id']} ({info['type']})")


@amocrm.command(name="resume")
def resume() -> None:
    """Возобновить обмен после паузы (403 от amoCRM или отозванные токены)."""
    from erp.amocrm import connection

    done = _with_db(lambda conn, _settings: connection.resume(conn))
    click.echo("Обмен возобновлён." if done else "Обмен не был приостановлен.")


@amocrm.group(name="webhook")
def webhook() -> None:
    """Вебхуки amoCRM."""


@webhook.command(name="register")
@click.option("--public-url", default=None,
              help="Наш адрес, доступный amoCRM (по умолчанию — источник redirect URI).")
def webhook_register(public_url: str | None) -> None:
    """Подписать наш адрес на события «сделка сменила этап» и «сделка удалена»."""
    from erp.amocrm import webhooks

    result = _with_db(lambda conn, settings: webhooks.register(conn, settings, public_url))
    click.echo(f"Вебхук зарегистрирован: {result['destination']} ({', '.join(result['settings'])}).")


@amocrm.command(name="widget-zip")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default="widget.zip",
              show_default=True, help="Куда записать архив.")
def widget_zip(out: str) -> None:
    """Собрать архив виджета для загрузки в amoCRM."""
    from pathlib import Path

    from erp.amocrm.widget_zip import build

    names = build(Path(out))
    click.echo(f"Архив {out}: {len(names)} файлов ({', '.join(names)}).")


if __name__ == "__main__":
    amocrm()
