"""``erp export enterprise-data``: выгрузка в 1С:Бухгалтерию (EnterpriseData) в файл.

The same service as Администрирование → «Выгрузка в 1С:Бухгалтерию» (:mod:`erp.exchange.export`). The
file is written inside the export's transaction: a file that cannot be written leaves no log entry, so
the next «only what changed» export still sends everything this one would have.
"""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.group("export")
def export_group() -> None:
    """Выгрузка данных в другие программы."""


@export_group.command("enterprise-data")
@click.option("--org", "organization", required=True, help="Организация: код (id), ИНН или точное наименование.")
@click.option("--from", "start", required=True, help="Начало периода, ГГГГ-ММ-ДД.")
@click.option("--to", "end", required=True, help="Конец периода, ГГГГ-ММ-ДД.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Файл XML.")
@click.option("--all", "everything", is_flag=True, help="Выгрузить всё за период, не только изменённое.")
def enterprise_data(organization: str, start: str, end: str, out: Path, everything: bool) -> None:
    """Проведённые документы организации за период с контрагентами и номенклатурой — файл EnterpriseData 1.8
    для 1С:Бухгалтерии 8.3. Без --all выгружается только изменённое с прошлой выгрузки."""
    import asyncio

    from erp.app.cli import Context, _as_cli, _fail, console
    from erp.exchange import export
    from erp.platform.db import connect
    from erp.platform.errors import ErpError

    ctx = click.get_current_context().ensure_object(Context)
    if not out.parent.resolve().is_dir():
        _fail(f"Каталог {out.parent} не существует (export_bad_path)")
    url, tz = ctx.url, ctx.settings.tz

    async def work() -> tuple[export.ExportResult, list[dict]]:
        conn = await connect(url)
        try:
            chosen = await export.parse_request(conn, organization, start, end, everything)
            async with conn.transaction():
                result = await export.export(conn, chosen, tz)
                partial = out.with_name(f".{out.name}.part")
                partial.write_bytes(result.xml)
                os.replace(partial, out)
            return result, await export.withdrawn(conn, chosen.organization_id)
        finally:
            await conn.close()

    try:
        result, withdrawn = asyncio.run(_as_cli(work()))
    except ErpError as exc:  # with its code, for a script
        _fail(f"{exc.message} ({exc.code})")
    except OSError as exc:
        _fail(f"Не удалось записать {out}: {exc.strerror or exc} (export_bad_path)")
    counts = ", ".join(f"{export.KINDS[k]}: {n}" for k, n in result.counts.items() if n) or "ничего не изменилось"
    console.print(f"Сообщение № {result.message_no} записано в {out}: {counts}; без изменений {result.unchanged}.")
    for doc in withdrawn:
        console.print(f"[yellow]Внимание:[/] {doc['title']} № {doc['number']} выгружен в 1С, а здесь больше не проведён"
                      f" — отмените его проведение в 1С вручную (Ссылка {doc['ref']}).")
