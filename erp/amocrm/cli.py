"""``erp amocrm ...``: commands around the amoCRM integration.

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


if __name__ == "__main__":
    amocrm()
