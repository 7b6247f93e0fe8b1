"""«Денежные средства» (issue 15): the money in each cash desk and bank account on a date (with a chart),
the cash flow of a period by cash-flow item, and, drilled down from any figure, the documents behind it.
Each page also comes as an Excel workbook (``?format=xlsx``)."""

from __future__ import annotations

from litestar import Request, Response, get

from erp.services import money_report as queries
from ui import chart, context, excel, i18n
from ui.i18n import gettext as _
from ui.render import render
from ui.reports import _date, _names
from ui.supplier_debts import _ref

CHART_ROWS = 15
DIRECTIONS = ("in", "out")


def _kind_title(kind: str) -> str:
    return _(queries.KIND_TITLES.get(kind, kind))


def _item_name(found) -> str:
    """A cash-flow item's name; «Без статьи» in the reader's language."""
    return found.cash_flow_item if found.cash_flow_item_id is not None else _(queries.NO_ITEM)


@get("/reports/money", name="ui_report_money")
async def money_balances(request: Request, date: str | None = None, organization_id: str | None = None,
                         format: str = "html") -> Response:
    day, organization = _date(date, context.today(request), "date"), _ref(organization_id)
    async with context.acquire(request) as conn:
        report = await queries.balances(conn, context.registry(request), day, context.settings(request).tz,
                                        organization)
    if format == "xlsx":
        rows = [[r.organization, _kind_title(r.account_kind), r.account, r.amount] for r in report.rows]
        rows.append([_("Итого"), "", "", report.total])
        return excel.response(_("Денежные средства"), [_("Организация"), _("Вид счёта"), _("Касса или счёт"),
                                                        _("Остаток")], rows, f"money-{day}.xlsx")
    shown = sorted((r for r in report.rows if r.amount > 0), key=lambda r: -r.amount)[:CHART_ROWS]
    svg = chart.bars([(r.account, r.amount) for r in shown], i18n.money,
                     title=_("Остатки денежных средств, руб.")) if shown else ""
    return render(request, "reports/money.html", section="reports", report=report, day=day,
                  organization_id=organization, chart=svg, start=day.replace(month=1, day=1),
                  kind_title=_kind_title, names=await _names(request, organizations=organization))


@get("/reports/money/flow", name="ui_report_money_flow")
async def money_flow(request: Request, start: str | None = None, end: str | None = None,
                     organization_id: str | None = None, format: str = "html") -> Response:
    last = _date(end, context.today(request), "end")
    first, organization = _date(start, last.replace(day=1), "start"), _ref(organization_id)
    async with context.acquire(request) as conn:
        report = await queries.cash_flow(conn, context.registry(request), first, last, context.settings(request).tz,
                                         organization)
    if format == "xlsx":
        rows: list[list] = []
        for a in report.accounts:
            rows.append([a.organization, f"{_kind_title(a.account_kind)}: {a.account}", a.opening, a.incoming,
                         a.outgoing, a.closing])
            rows.extend(["", f"    {_item_name(i)}", None, i.incoming, i.outgoing, None] for i in a.items)
        rows.append([_("Итого"), "", report.opening, report.incoming, report.outgoing, report.closing])
        return excel.response(_("Движение денежных средств"),
                              [_("Организация"), _("Касса или счёт, статья"), _("Остаток на начало"),
                               _("Поступление"), _("Списание"), _("Остаток на конец")], rows,
                              f"money-flow-{first}-{last}.xlsx")
    spent = sorted((i for i in report.items if i.outgoing > 0), key=lambda i: -i.outgoing)[:CHART_ROWS]
    svg = chart.bars([(_item_name(i), i.outgoing) for i in spent], i18n.money,
                     title=_("Списания по статьям, руб.")) if spent else ""
    return render(request, "reports/money_flow.html", section="reports", report=report, start=first, end=last,
                  organization_id=organization, chart=svg, kind_title=_kind_title, item_name=_item_name,
                  names=await _names(request, organizations=organization))


@get("/reports/money/documents", name="ui_report_money_documents")
async def money_documents(request: Request, organization_id: str | None = None, account_kind: str | None = None,
                          account_id: str | None = None, start: str | None = None, end: str | None = None,
                          cash_flow_item_id: str | None = None, without_item: str | None = None,
                          direction: str | None = None, format: str = "html") -> Response:
    last = _date(end, context.today(request), "end")
    first = _date(start, last.replace(day=1), "start")
    organization, account = _ref(organization_id), _ref(account_id)
    kind = account_kind if account_kind in queries.KINDS else None
    item, bare = _ref(cash_flow_item_id), without_item in ("1", "true", "on")
    way = direction if direction in DIRECTIONS else None
    history = None
    if organization is not None and kind is not None and account is not None:
        async with context.acquire(request) as conn:
            history = await queries.documents(conn, context.registry(request), organization, kind, account, first,
                                              last, context.settings(request).tz, item=item, without_item=bare,
                                              direction=way)
    if format == "xlsx" and history is not None:
        tz = context.settings(request).tz
        rows: list[list] = [[None, _("Начальный остаток"), None, None, None, history.opening]]
        rows.extend([r.date.astimezone(tz).replace(tzinfo=None), r.document, _item_name(r), r.incoming,
                     r.outgoing, r.balance] for r in history.rows)
        rows.append([None, _("Итого по документам"), None, history.incoming, history.outgoing, None])
        rows.append([None, _("Конечный остаток"), None, None, None, history.closing])
        return excel.response(_("Движения по кассе или счёту"),
                              [_("Дата"), _("Документ"), _("Статья"), _("Поступление"), _("Списание"), _("Остаток")],
                              rows, f"money-documents-{kind}-{account}-{first}-{last}.xlsx")
    return render(request, "reports/money_documents.html", section="reports", history=history, start=first,
                  end=last, organization_id=organization, account_kind=kind, account_id=account, item=item,
                  without_item=bare, direction=way, kind_title=_kind_title, item_name=_item_name,
                  names=await _names(request, organizations=organization))


ROUTES = [money_balances, money_flow, money_documents]
