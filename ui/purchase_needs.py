"""Отчёт «Потребность в закупке» (issue 16 point 7): goods below their minimum per warehouse, with
the average daily consumption and a suggested quantity (erp/services/purchase_needs.py); Excel
with the same parameters (``?format=xlsx``); «Создать заказ поставщику» makes the drafts of the
chosen rows and opens the order (or the list, when several suppliers or warehouses make several)."""

from __future__ import annotations

import datetime as dt

from litestar import Request, Response, get, post
from litestar.response import Redirect

from erp.platform.errors import ErpError
from erp.printing import defaults as document_defaults
from erp.services import purchase_needs as service
from ui import context, excel
from ui.forms import engine_for
from ui.i18n import gettext as _
from ui.render import render
from ui.reports import _id, _names

BASE = "/reports/purchase-needs"


async def _report(request: Request, params: service.Parameters) -> list[dict]:
    async with context.acquire(request) as conn:
        return await service.needs(conn, params, dt.datetime.now(context.settings(request).tz))


async def _page(request: Request, params: service.Parameters, rows: list[dict], *, supplier_id: int | None = None,
                organization_id: int | None = None, chosen: set[str] | None = None, errors: dict | None = None,
                message: str = "", status: int = 200) -> Response:
    if organization_id is None:
        async with context.acquire(request) as conn:
            organization_id = await document_defaults.default_organization(conn)
    names = await _names(request, warehouses=params.warehouse_id, clients=supplier_id,
                         organizations=organization_id)
    return render(request, "reports/purchase_needs.html", section="reports", rows=rows, params=params,
                  supplier_id=supplier_id, organization_id=organization_id, names=names, formula=service.FORMULA,
                  chosen=chosen if chosen is not None else {r["key"] for r in rows}, errors=errors or {},
                  message=message, status=status, limits=(service.DAYS_MAX, service.LEAD_MAX))


@get(BASE, name="ui_report_purchase_needs")
async def purchase_needs(request: Request, days: str | None = None, lead_days: str | None = None,
                         warehouse_id: str | None = None, format: str = "html") -> Response:
    params = service.parameters(days, lead_days, _id(warehouse_id))
    rows = await _report(request, params)
    if format == "xlsx":
        data = [[r["warehouse"], r["nomenclature"], r["unit"], r["minimum"], r["balance"], r["consumed"], r["daily"],
                 r["suggested"], r["supplier"] or ""] for r in rows]
        return excel.response(_("Потребность в закупке"), [
            _("Склад"), _("Номенклатура"), _("Единица"), _("Минимальный остаток"), _("Доступно"),
            _("Расход за период"), _("Среднесуточный расход"), _("Предлагается заказать"),
            _("Последний поставщик")], data, f"purchase-needs-{params.days}.xlsx")
    return await _page(request, params, rows)


@post(f"{BASE}/order", name="ui_report_purchase_order")
async def make_order(request: Request) -> Response:
    kind = context.registry(request).documents["supplier-orders"]
    context.require_write(request, kind)
    form = await context.form_data(request)
    params = service.parameters(form.get("days"), form.get("lead_days"), _id(form.get("warehouse_id")))
    supplier, organization = _id(form.get("supplier_id")), _id(form.get("organization_id"))
    picked = form.get("row") or []
    chosen = {str(v) for v in (picked if isinstance(picked, list) else [picked])}
    rows = await _report(request, params)
    try:
        drafts = service.order_drafts(rows, chosen, supplier, organization)
        engine = await engine_for(request)
        async with context.acquire(request) as conn:
            made = await engine.create_many(conn, kind, drafts, author_id=request.scope["user"].user_id)
    except ErpError as exc:
        fields = exc.details.get("fields", {}) if isinstance(exc.details, dict) else {}
        return await _page(request, params, rows, supplier_id=supplier, organization_id=organization, chosen=chosen,
                           errors={k: _(v) for k, v in fields.items()}, message=_(exc.message), status=exc.status)
    if len(made) == 1:
        return Redirect(f"/documents/supplier-orders/{made[0].id}", status_code=303)
    return Redirect("/documents/supplier-orders", status_code=303)


ROUTES = [purchase_needs, make_order]
