"""«Долги поставщикам» (issue 15): what each organization owes each supplier on a date, with a chart
of the biggest debts and, drilled down from a row, the documents that made the debt. Both also come
as an Excel workbook (``?format=xlsx``)."""

from __future__ import annotations

from litestar import Request, Response, get

from erp.api.schemas import MAX_ID
from erp.services import supplier_debts as queries
from ui import chart, context, excel, i18n
from ui.i18n import gettext as _
from ui.render import render
from ui.reports import _date, _names

CHART_ROWS = 15


def _ref(raw: str | None) -> int | None:
    """A picker's id; anything that is not an id (empty, text, beyond bigint) means «any»."""
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) <= MAX_ID else None


@get("/reports/supplier-debts", name="ui_report_supplier_debts")
async def supplier_debts(request: Request, date: str | None = None, organization_id: str | None = None,
                         supplier_id: str | None = None, format: str = "html") -> Response:
    day, organization, supplier = _date(date, context.today(request), "date"), _ref(organization_id), _ref(supplier_id)
    async with context.acquire(request) as conn:
        report = await queries.debts(conn, context.registry(request), day, context.settings(request).tz,
                                     organization, supplier)
    if format == "xlsx":
        rows = [[r.organization, r.supplier, r.amount] for r in report.rows]
        rows.append([_("Итого"), "", report.total])
        return excel.response(_("Долги поставщикам"), [_("Организация"), _("Поставщик"), _("Долг поставщику")],
                              rows, f"supplier-debts-{day}.xlsx")
    biggest = sorted((r for r in report.rows if r.amount > 0), key=lambda r: -r.amount)[:CHART_ROWS]
    svg = chart.bars([(r.supplier, r.amount) for r in biggest], i18n.money,
                     title=_("Самые большие долги поставщикам, руб.")) if biggest else ""
    return render(request, "reports/supplier_debts.html", section="reports", report=report, day=day,
                  organization_id=organization, supplier_id=supplier, chart=svg,
                  start=day.replace(month=1, day=1),
                  names=await _names(request, organizations=organization, clients=supplier))


@get("/reports/supplier-debts/documents", name="ui_report_supplier_debt_documents")
async def supplier_debt_documents(request: Request, organization_id: str | None = None,
                                  supplier_id: str | None = None, start: str | None = None, end: str | None = None,
                                  format: str = "html") -> Response:
    last = _date(end, context.today(request), "end")
    first = _date(start, last.replace(month=1, day=1), "start")
    organization, supplier = _ref(organization_id), _ref(supplier_id)
    history = None
    if organization is not None and supplier is not None:
        async with context.acquire(request) as conn:
            history = await queries.documents(conn, context.registry(request), organization, supplier, first, last,
                                              context.settings(request).tz)
    if format == "xlsx" and history is not None:
        tz = context.settings(request).tz
        rows = [[r.date.astimezone(tz).replace(tzinfo=None), r.document, r.increase, r.decrease, r.balance]
                for r in history.rows]
        rows.insert(0, [None, _("Начальный остаток"), None, None, history.opening])
        rows.append([None, _("Конечный остаток"), None, None, history.closing])
        return excel.response(_("Расчёты с поставщиком"), [_("Дата"), _("Документ"), _("Увеличение долга"),
                                                           _("Уменьшение долга"), _("Долг")], rows,
                              f"supplier-debt-{organization}-{supplier}-{first}-{last}.xlsx")
    return render(request, "reports/supplier_debt_documents.html", section="reports", history=history, start=first,
                  end=last, organization_id=organization, supplier_id=supplier,
                  names=await _names(request, organizations=organization, clients=supplier))


ROUTES = [supplier_debts, supplier_debt_documents]
