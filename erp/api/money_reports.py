"""``/api/reports/money…`` and ``/api/reports/receivables…``: «Денежные средства» (balances, cash flow by
item, the documents behind a figure) and the receivables ageing (by client, the invoices behind a row)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from litestar import Request, get

from erp.api.schemas import OptionalId
from erp.api.security import ANY_USER
from erp.platform.errors import ValidationError
from erp.services import money_report, receivables
from erp.services.supplier_debts import report_day

AccountKind = Literal["cash-desks", "bank-accounts"]


def _today(request: Request) -> dt.date:
    return dt.datetime.now(request.app.state.settings.tz).date()


def _period(request: Request, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """The period of a report: ``end`` defaults to today, ``start`` to the first day of the end's month."""
    last = report_day(end, "end", _today(request))
    return report_day(start, "start", last.replace(day=1)), last


def _required(**values: object) -> None:
    missing = {name: "обязательный параметр не передан" for name, value in values.items() if value is None}
    if missing:
        raise ValidationError.fields(missing)


@get("/api/reports/money", guards=[ANY_USER], tags=["Отчёты"], summary="Денежные средства: остатки",
     description="Остаток денег в каждой кассе и на каждом банковском счёте организаций на конец дня `date`"
                 " (по умолчанию сегодня). Пустые кассы и счета не показываются.")
async def money_balances(request: Request, date: str | None = None,
                         organization_id: OptionalId = None) -> money_report.MoneyBalances:
    day = report_day(date, "date", _today(request))
    async with request.app.state.pool.acquire() as conn:
        return await money_report.balances(conn, request.app.state.registry, day, request.app.state.settings.tz,
                                           organization_id)


@get("/api/reports/money/flow", guards=[ANY_USER], tags=["Отчёты"],
     summary="Денежные средства: движение по статьям",
     description="Движение денег за период с начала дня `start` (по умолчанию первое число месяца конца) до конца"
                 " дня `end` (по умолчанию сегодня): по каждой кассе и счёту остаток на начало, поступления,"
                 " списания и остаток на конец, поступления и списания — по статьям движения денежных средств;"
                 " `items` — все статьи вместе.")
async def money_flow(request: Request, start: str | None = None, end: str | None = None,
                     organization_id: OptionalId = None) -> money_report.CashFlow:
    first, last = _period(request, start, end)
    async with request.app.state.pool.acquire() as conn:
        return await money_report.cash_flow(conn, request.app.state.registry, first, last,
                                            request.app.state.settings.tz, organization_id)


@get("/api/reports/money/documents", guards=[ANY_USER], tags=["Отчёты"],
     summary="Денежные средства: документы",
     description="Расшифровка кассы или банковского счёта организации: остаток на начало дня `start`, документы"
                 " до конца дня `end` (по умолчанию как у движения) и остаток на конец. Только документы статьи"
                 " `cash_flow_item_id` (или без статьи: `without_item=true`) и только поступления (`direction=in`)"
                 " или списания (`direction=out`), когда они указаны.")
async def money_documents(request: Request, organization_id: OptionalId = None, account_kind: AccountKind | None = None,
                          account_id: OptionalId = None, start: str | None = None, end: str | None = None,
                          cash_flow_item_id: OptionalId = None, without_item: bool = False,
                          direction: Literal["in", "out"] | None = None) -> money_report.MoneyDocuments:
    _required(organization_id=organization_id, account_kind=account_kind, account_id=account_id)
    assert organization_id is not None and account_kind is not None and account_id is not None
    first, last = _period(request, start, end)
    async with request.app.state.pool.acquire() as conn:
        return await money_report.documents(conn, request.app.state.registry, organization_id, account_kind,
                                            account_id, first, last, request.app.state.settings.tz,
                                            item=cash_flow_item_id, without_item=without_item, direction=direction)


@get("/api/reports/receivables", guards=[ANY_USER], tags=["Отчёты"],
     summary="Дебиторская задолженность по срокам",
     description="Что клиенты должны по проведённым счетам на конец дня `date` (по умолчанию сегодня), по"
                 " интервалам просрочки от «Оплатить до» (0–30, 31–60, 61–90, более 90 дней; срок которых не"
                 " наступил — в 0–30). Счёт без «Оплатить до» нужно оплатить через `payment_days` дней после его"
                 " даты.")
async def receivables_ageing(request: Request, date: str | None = None, organization_id: OptionalId = None,
                             client_id: OptionalId = None) -> receivables.Ageing:
    day = report_day(date, "date", _today(request))
    settings = request.app.state.settings
    async with request.app.state.pool.acquire() as conn:
        return await receivables.ageing(conn, request.app.state.registry, day, settings.tz,
                                        settings.invoice_payment_days, organization_id, client_id)


@get("/api/reports/receivables/invoices", guards=[ANY_USER], tags=["Отчёты"],
     summary="Дебиторская задолженность по срокам: счета клиента",
     description="Неоплаченные счета клиента на конец дня `date` со сроком оплаты, днями просрочки, интервалом и"
                 " признаком просрочки; `overdue=true` — только просроченные, `bucket` — только интервала с этим"
                 " номером (0 — 0–30, 1 — 31–60, 2 — 61–90, 3 — более 90).")
async def receivables_invoices(request: Request, client_id: OptionalId = None, date: str | None = None,
                               organization_id: OptionalId = None, overdue: bool = False,
                               bucket: int | None = None) -> receivables.ClientInvoices:
    bad_bucket = bucket is not None and not 0 <= bucket < len(receivables.BUCKETS)
    if client_id is None or bad_bucket:  # every wrong parameter named at once
        raise ValidationError.fields({**({"client_id": "обязательный параметр не передан"} if client_id is None
                                         else {}),
                                      **({"bucket": f"номер интервала от 0 до {len(receivables.BUCKETS) - 1}"}
                                         if bad_bucket else {})})
    day = report_day(date, "date", _today(request))
    settings = request.app.state.settings
    async with request.app.state.pool.acquire() as conn:
        return await receivables.client_invoices(conn, request.app.state.registry, day, settings.tz,
                                                 settings.invoice_payment_days, client_id, organization_id,
                                                 overdue, bucket)


ROUTES = [money_balances, money_flow, money_documents, receivables_ageing, receivables_invoices]
