"""Дебиторская задолженность по срокам (issue 15): what each client owes on invoices by days past due
(0–30, 31–60, 61–90, 90+), with a chart of the buckets and, drilled down from a row or a figure, the
invoices behind it, the overdue ones flagged. Both also come as Excel (``?format=xlsx``)."""

from __future__ import annotations

from litestar import Request, Response, get

from erp.services import receivables as queries
from ui import chart, context, excel, i18n
from ui.i18n import gettext as _
from ui.render import render
from ui.reports import _date, _names
from ui.supplier_debts import _ref


def _bucket_title(label: str) -> str:
    return _("более 90") if label == "90+" else label


def _bucket(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and int(raw) < len(queries.BUCKETS) else None


@get("/reports/receivables", name="ui_report_receivables")
async def ageing(request: Request, date: str | None = None, organization_id: str | None = None,
                 client_id: str | None = None, format: str = "html") -> Response:
    day, organization, client = _date(date, context.today(request), "date"), _ref(organization_id), _ref(client_id)
    settings = context.settings(request)
    async with context.acquire(request) as conn:
        report = await queries.ageing(conn, context.registry(request), day, settings.tz,
                                      settings.invoice_payment_days, organization, client)
    titles = [_bucket_title(b) for b in report.buckets]
    if format == "xlsx":
        rows = [[r.client, r.total, r.overdue, *r.buckets] for r in report.rows]
        rows.append([_("Итого"), report.total, report.overdue, *report.bucket_totals])
        return excel.response(_("Дебиторская задолженность по срокам"),
                              [_("Клиент"), _("Долг по счетам"), _("Просрочено"),
                               *(_("%(days)s дн.") % {"days": t} for t in titles)], rows, f"receivables-{day}.xlsx")
    svg = chart.bars([(_("%(days)s дн.") % {"days": t}, v) for t, v in zip(titles, report.bucket_totals, strict=True)],
                     i18n.money, title=_("Задолженность по срокам просрочки, руб.")) if report.rows else ""
    return render(request, "reports/receivables.html", section="reports", report=report, day=day, titles=titles,
                  organization_id=organization, client_id=client, chart=svg,
                  names=await _names(request, organizations=organization, clients=client))


@get("/reports/receivables/invoices", name="ui_report_receivable_invoices")
async def client_invoices(request: Request, client_id: str | None = None, date: str | None = None,
                          organization_id: str | None = None, overdue: str | None = None, bucket: str | None = None,
                          format: str = "html") -> Response:
    day, organization, client = _date(date, context.today(request), "date"), _ref(organization_id), _ref(client_id)
    late, chosen = overdue in ("1", "true", "on"), _bucket(bucket)
    settings = context.settings(request)
    found = None
    if client is not None:
        async with context.acquire(request) as conn:
            found = await queries.client_invoices(conn, context.registry(request), day, settings.tz,
                                                  settings.invoice_payment_days, client, organization, late, chosen)
    if format == "xlsx" and found is not None:
        tz = settings.tz
        rows = [[r.document, r.date.astimezone(tz).replace(tzinfo=None), r.organization, r.due_date,
                 r.amount_total, r.amount_due, r.days_past_due if r.overdue else 0, _bucket_title(r.bucket),
                 _("Да") if r.overdue else _("Нет")] for r in found.rows]
        rows.append([_("Итого"), None, "", None, None, found.total, None, "", ""])
        return excel.response(_("Счета клиента по срокам"),
                              [_("Счёт"), _("Дата"), _("Организация"), _("Оплатить до"), _("Сумма"),
                               _("Осталось оплатить"), _("Дней просрочки"), _("Интервал, дн."), _("Просрочен")],
                              rows, f"receivables-{client}-{day}.xlsx")
    return render(request, "reports/receivable_invoices.html", section="reports", found=found, day=day,
                  client_id=client, organization_id=organization, overdue=late, bucket=chosen,
                  bucket_title=_bucket_title,
                  names=await _names(request, organizations=organization, clients=client))


ROUTES = [ageing, client_invoices]
