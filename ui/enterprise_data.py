"""Администрирование → «Выгрузка в 1С:Бухгалтерию» (administrators and accountants): an organization's
posted documents of a period, with their clients and items, as an EnterpriseData file to download
(:mod:`erp.exchange.export`, the service ``erp export enterprise-data`` calls too), and the export log
with what each export sent."""

from __future__ import annotations

from litestar import Request, Response, Router, get, post

from erp.api.security import allow
from erp.exchange import export
from erp.platform.errors import ValidationError
from ui import context
from ui.formdata import errors_from
from ui.queries.lists import organizations_and_accounts
from ui.render import render

BASE = "/admin/enterprise-data"


async def _page(request: Request, values: dict[str, str], *, status: int = 200, errors=None,
                export_id: int | None = None) -> Response:
    async with context.acquire(request) as conn:
        organizations, _accounts = await organizations_and_accounts(conn)
        log = await export.exports(conn)
        sent = await export.sent_objects(conn, export_id) if export_id else []
        withdrawn = await export.withdrawn(conn)
    return render(request, "admin/enterprise_data.html", status=status, section="admin", values=values,
                  organizations=organizations, log=log, sent=sent, shown=export_id, withdrawn=withdrawn,
                  errors=errors or errors_from({}))


@get("/", name="ui_enterprise_data")
async def export_page(request: Request, export_id: int | None = None) -> Response:
    today = context.today(request)
    values = {"organization": "", "start": today.replace(day=1).isoformat(), "end": today.isoformat(),
              "only_changed": "on"}
    return await _page(request, values, export_id=export_id if export_id and 0 < export_id < 2**63 else None)


@post("/", name="ui_enterprise_data_export", status_code=200)
async def make_export(request: Request) -> Response:
    form = await context.form_data(request)
    values = {name: str(form.get(name, "")).strip() for name in ("organization", "start", "end", "only_changed")}
    tz = context.settings(request).tz
    try:
        async with context.acquire(request) as conn:
            chosen = await export.parse_request(conn, values["organization"], values["start"], values["end"],
                                                everything=not values["only_changed"])
            result = await export.export(conn, chosen, tz)
    except ValidationError as exc:
        return await _page(request, values, status=exc.status, errors=errors_from(exc.details))
    return Response(result.xml, media_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{result.filename}"',
        "X-Export-Id": str(result.export_id), "X-Objects-Sent": str(result.sent)})


ROUTES = [Router(BASE, route_handlers=[export_page, make_export], guards=[allow("admin", "accountant")])]
