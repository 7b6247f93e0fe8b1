"""Отчёты по складу (issue 16 point 8): «Оборотная ведомость по товарам» and, drilled down from
one of its rows, «История товара». Each also comes as an Excel workbook (``?format=xlsx``)."""

from __future__ import annotations

from litestar import Request, Response, get

from ui import context, excel
from ui.i18n import gettext as _
from ui.queries import stock_reports as queries
from ui.render import render
from ui.reports import _date, _id, _names


@get("/reports/stock-turnover", name="ui_report_stock_turnover")
async def stock_turnover(request: Request, start: str | None = None, end: str | None = None,
                         warehouse_id: str | None = None, format: str = "html") -> Response:
    today = context.today(request)
    first, last = _date(start, today.replace(day=1), "start"), _date(end, today, "end")
    warehouse = _id(warehouse_id)
    async with context.acquire(request) as conn:
        report = await queries.stock_turnover(conn, context.registry(request), first, last,
                                              context.settings(request).tz, warehouse)
    if format == "xlsx":
        rows = [[r["warehouse"], r["nomenclature"], r["unit"], *(r[c] for c in queries.COLUMNS)] for r in report.rows]
        rows += [[_("Итого"), "", t["unit"], *(t[c] for c in queries.COLUMNS)] for t in report.by_unit]
        heads = [f"{_(stage)}: {_(what)}" for stage in ("Начальный остаток", "Приход", "Расход", "Конечный остаток")
                 for what in ("Количество", "Себестоимость")]
        return excel.response(_("Оборотная ведомость по товарам"), [_("Склад"), _("Номенклатура"), _("Единица"),
                                                                     *heads], rows,
                              f"stock-turnover-{first}-{last}.xlsx")
    return render(request, "reports/stock_turnover.html", section="reports", report=report, start=first, end=last,
                  warehouse_id=warehouse, names=await _names(request, warehouses=warehouse))


@get("/reports/item-history", name="ui_report_item_history")
async def item_history(request: Request, nomenclature_id: str | None = None, start: str | None = None,
                       end: str | None = None, warehouse_id: str | None = None, format: str = "html") -> Response:
    today = context.today(request)
    first, last = _date(start, today.replace(day=1), "start"), _date(end, today, "end")
    item, warehouse = _id(nomenclature_id), _id(warehouse_id)
    history = None
    if item is not None:
        async with context.acquire(request) as conn:
            history = await queries.item_history(conn, context.registry(request), item, first, last,
                                                 context.settings(request).tz, warehouse)
    if format == "xlsx" and history is not None:
        tz = context.settings(request).tz
        rows = [[r["period"].astimezone(tz).replace(tzinfo=None), r["document"], r["warehouse"], r["receipt"],
                 r["expense"], r["cost"], r["quantity_after"], r["cost_after"]] for r in history["rows"]]
        return excel.response(_("История товара"), [_("Дата"), _("Документ"), _("Склад"), _("Приход"), _("Расход"),
                                                     _("Себестоимость"), _("Остаток"), _("Сумма остатка")], rows,
                              f"item-history-{item}-{first}-{last}.xlsx")
    return render(request, "reports/item_history.html", section="reports", history=history, start=first, end=last,
                  nomenclature_id=item, warehouse_id=warehouse,
                  names=await _names(request, warehouses=warehouse, nomenclature=item))


ROUTES = [stock_turnover, item_history]
