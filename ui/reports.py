"""Отчёты: stock balance, settlements, sales (with a chart) and invoices by
status. Each one also comes as an Excel workbook with the same filters
(``?format=xlsx``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from litestar import Request, Response, get

from erp.platform.dates import DateError, read_day, read_moment
from erp.platform.errors import ValidationError
from erp.services import reports as invoice_reports
from ui import chart, context, excel, i18n
from ui.i18n import gettext as _
from ui.queries import lists
from ui.queries import reports as report_queries
from ui.render import choice_label, render

REPORTS = (("stock", "Остатки товаров"), ("stock-turnover", "Оборотная ведомость по товарам"),
           ("item-history", "История товара"), ("purchase-needs", "Потребность в закупке"),
           ("settlements", "Взаиморасчёты с клиентами"),
           ("sales", "Продажи"), ("invoices", "Счета по статусу оплаты"), ("supplier-debts", "Долги поставщикам"),
           ("money", "Денежные средства"), ("money/flow", "Движение денежных средств"),
           ("receivables", "Дебиторская задолженность по срокам"), ("reconciliation", "Акт сверки взаиморасчётов"))
GROUP_TITLES = {"doctor": "Врач", "service": "Услуга", "client": "Клиент"}


def _date(raw: str | None, fallback: dt.date, field: str) -> dt.date:
    if not raw:
        return fallback
    try:
        day = read_day(raw)
        read_moment(day)  # a day whose end the registers can reach (up to 31.12.9998)
    except DateError as exc:
        raise ValidationError.field(field, str(exc)) from None
    return day


def _id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


async def _names(request: Request, **wanted: int | None) -> dict:
    async with context.acquire(request) as conn:
        return await lists.ref_names(conn, context.registry(request),
                                          {k: {v} for k, v in wanted.items() if v})


@get("/reports", name="ui_reports")
async def index(request: Request) -> Response:
    return render(request, "reports/index.html", section="reports", reports=REPORTS)


@get("/reports/stock", name="ui_report_stock")
async def stock(request: Request, date: str | None = None, warehouse_id: str | None = None,
                format: str = "html") -> Response:
    day, warehouse = _date(date, context.today(request), "date"), _id(warehouse_id)
    async with context.acquire(request) as conn:
        report = await report_queries.stock_balance(conn, context.registry(request), day, context.settings(request).tz,
                                                warehouse)
    if format == "xlsx":
        columns = ("quantity", "cost", "reserved", "available")
        rows = [[r["warehouse"], r["nomenclature"], *(r[c] for c in columns)] for r in report.rows]
        rows.append([_("Итого"), "", *(report.totals[c] for c in columns)])
        return excel.response(_("Остатки товаров"), [_("Склад"), _("Номенклатура"), _("Количество"),
                                                      _("Себестоимость"), _("В резерве"), _("Доступно")], rows,
                              f"stock-{day}.xlsx")
    return render(request, "reports/stock.html", section="reports", report=report, day=day, warehouse_id=warehouse,
                  names=await _names(request, warehouses=warehouse))


@get("/reports/settlements", name="ui_report_settlements")
async def settlements(request: Request, date: str | None = None, client_id: str | None = None,
                      format: str = "html") -> Response:
    day, client = _date(date, context.today(request), "date"), _id(client_id)
    async with context.acquire(request) as conn:
        report = await report_queries.settlements_balance(conn, context.registry(request), day,
                                                      context.settings(request).tz, client)
    if format == "xlsx":
        rows = [[r["client"], r["organization"], r["amount"]] for r in report.rows]
        rows.append([_("Итого"), "", report.totals["amount"]])
        return excel.response(_("Взаиморасчёты с клиентами"), [_("Клиент"), _("Организация"), _("Долг клиента")],
                              rows, f"settlements-{day}.xlsx")
    return render(request, "reports/settlements.html", section="reports", report=report, day=day, client_id=client,
                  names=await _names(request, clients=client))


@get("/reports/sales", name="ui_report_sales")
async def sales(request: Request, start: str | None = None, end: str | None = None, group: str = "doctor",
                format: str = "html") -> Response:
    today = context.today(request)
    first, last = _date(start, today.replace(day=1), "start"), _date(end, today, "end")
    async with context.acquire(request) as conn:
        report = await report_queries.sales_by(conn, context.registry(request), first, last,
                                           context.settings(request).tz, group)
    group_title = _(GROUP_TITLES.get(group, group))
    if format == "xlsx":
        columns = ("quantity", "amount", "vat", "cost", "margin", "margin_percent")
        rows = [[r["name"], *(r[c] for c in columns)] for r in report.rows]
        rows.append([_("Итого"), *(report.totals[c] for c in columns)])
        return excel.response(_("Продажи"), [group_title, _("Количество"), _("Сумма"), _("НДС"), _("Себестоимость"),
                                             _("Маржа"), _("Маржа, %")], rows, f"sales-{first}-{last}.xlsx")
    svg = chart.bars([(r["name"], r["amount"]) for r in report.rows[:20]], i18n.money,
                     title=_("Продажи по группе «%(group)s», руб.") % {"group": group_title}) if report.rows else ""
    return render(request, "reports/sales.html", section="reports", report=report, start=first, end=last,
                  group=group, groups=GROUP_TITLES, group_title=group_title, chart=svg)


@get("/reports/invoices", name="ui_report_invoices")
async def invoices(request: Request, status: str | None = None, client_id: str | None = None,
                   format: str = "html") -> Response:
    chosen, client = status or None, _id(client_id)
    async with context.acquire(request) as conn:
        rows = await invoice_reports.invoices(conn, chosen, client)
    totals = {k: sum((r[k] for r in rows), Decimal(0)) for k in ("amount_total", "amount_due")}
    if format == "xlsx":
        tz = context.settings(request).tz
        data = [[r["number"], r["date"].astimezone(tz).replace(tzinfo=None), r["client"], r["due_date"],
                 r["amount_total"], r["amount_due"], choice_label(r["status"])] for r in rows]
        data.append([_("Итого"), None, "", None, totals["amount_total"], totals["amount_due"], ""])
        return excel.response(_("Счета по статусу оплаты"), [_("Номер"), _("Дата"), _("Клиент"), _("Оплатить до"),
                                                              _("Сумма"), _("Осталось оплатить"), _("Статус")],
                              data, "invoices.xlsx")
    return render(request, "reports/invoices.html", section="reports", rows=rows, totals=totals, selected=chosen,
                  client_id=client, statuses=invoice_reports.STATUSES, names=await _names(request, clients=client))


ROUTES = [index, stock, settlements, sales, invoices]
