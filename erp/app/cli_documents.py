"""``erp documents repost``: перепроведение документов за период.

Re-posts every posted, unmarked document of the given kinds (all postable kinds
by default) dated within the period, in date order, through the engine's batch
API: each kind's batch holds or fails as a whole, and a refusal (a shortage, a
closed period) names the document. Movements are rebuilt from the documents as
they are now, e.g. after a correction of an earlier receipt's cost.
"""

from __future__ import annotations

import datetime as dt

import click


@click.group()
def documents() -> None:
    """Документы: групповая обработка."""


@documents.command("repost")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Начало периода, ГГГГ-ММ-ДД")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Конец периода, ГГГГ-ММ-ДД")
@click.option("--kind", "kinds", multiple=True, help="Вид документа (можно несколько); по умолчанию все проводимые")
def repost(start: dt.datetime, end: dt.datetime, kinds: tuple[str, ...]) -> None:
    """Перепровести проведённые документы за период (включительно), по датам."""
    from erp.app.cli import Context, _fail, console, run
    from erp.configuration import registry
    from erp.platform.db import connect
    from erp.platform.errors import ErpError
    from erp.platform.posting import Engine

    ctx = click.get_current_context().ensure_object(Context)
    reg = registry()
    unknown = [k for k in kinds if k not in reg.documents]
    if unknown:
        _fail(f"Неизвестные виды документов: {', '.join(unknown)}")
    if end < start:
        _fail("Конец периода раньше начала")
    chosen = [reg.documents[k] for k in kinds] if kinds else [k for k in reg.documents.values() if k.postable]
    engine = Engine(reg, ctx.settings)
    tz = ctx.settings.tz
    since = start.replace(tzinfo=tz)
    until = (end + dt.timedelta(days=1)).replace(tzinfo=tz)

    url = ctx.url  # resolved (and the server checked) before the event loop runs

    async def work() -> dict[str, int]:
        conn = await connect(url)
        try:
            counts = {}
            for kind in chosen:
                ids = [r["id"] for r in await conn.fetch(
                    f'SELECT id FROM "{kind.table}" WHERE posted AND NOT deletion_mark AND date >= $1 AND date < $2'
                    " ORDER BY date, id", since, until)]
                await engine.repost(conn, kind, ids)
                counts[kind.title] = len(ids)
            return counts
        finally:
            await conn.close()

    try:
        counts = run(work())
    except ErpError as exc:
        _fail(f"Перепроведение остановлено, ничего не изменено в этом виде документов: {exc.message}")
    for title, count in counts.items():
        console.print(f"{title}: перепроведено {count}")
