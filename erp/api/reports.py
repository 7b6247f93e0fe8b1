"""``/api/reports/...``: reports across documents and registers."""

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec
from litestar import Request, get

from erp.api.schemas import OptionalId
from erp.api.security import ANY_USER
from erp.platform.errors import ValidationError
from erp.services import purchase_needs, reports, supplier_debts


class InvoiceDue(msgspec.Struct):
    id: int
    number: str
    date: dt.datetime
    due_date: dt.date | None
    organization_id: int
    client_id: int
    client: str
    amocrm_lead_id: int | None
    amount_total: Decimal
    amount_due: Decimal
    status: Literal["unpaid", "partially_paid", "paid"]


@get("/api/reports/invoices", guards=[ANY_USER], tags=["Отчёты"], summary="Счета по статусу оплаты")
async def invoices(request: Request, status: Literal["unpaid", "partially_paid", "paid"] | None = None,
                   client_id: OptionalId = None,
                   organization_id: OptionalId = None) -> list[InvoiceDue]:
    async with request.app.state.pool.acquire() as conn:
        rows = await reports.invoices(conn, status, client_id, organization_id)
    tz = request.app.state.settings.tz
    return [msgspec.convert(r | {"date": r["date"].astimezone(tz)}, InvoiceDue, strict=False) for r in rows]


@get("/api/reports/supplier-debts", guards=[ANY_USER], tags=["Отчёты"], summary="Долги поставщикам",
     description="Долг каждой организации каждому поставщику на конец дня `date` (по умолчанию сегодня):"
                 " поступления товаров увеличивают его, оплаты поставщикам уменьшают. Погашенные долги не"
                 " показываются, аванс поставщику — отрицательный долг.")
async def supplier_debts_report(request: Request, date: str | None = None, organization_id: OptionalId = None,
                                supplier_id: OptionalId = None) -> supplier_debts.SupplierDebts:
    tz = request.app.state.settings.tz
    day = supplier_debts.report_day(date, "date", dt.datetime.now(tz).date())
    async with request.app.state.pool.acquire() as conn:
        return await supplier_debts.debts(conn, request.app.state.registry, day, tz, organization_id, supplier_id)


@get("/api/reports/supplier-debts/documents", guards=[ANY_USER], tags=["Отчёты"],
     summary="Долги поставщикам: документы",
     description="Расшифровка долга организации поставщику: долг на начало дня `start`, каждый документ"
                 " до конца дня `end` (по умолчанию сегодня; начало — по умолчанию 1 января того же года) с долгом"
                 " после него и долг на конец.")
async def supplier_debt_documents(request: Request, organization_id: OptionalId = None, supplier_id: OptionalId = None,
                                  start: str | None = None, end: str | None = None) -> supplier_debts.DebtDocuments:
    missing = {name: "обязательный параметр не передан" for name, value in
               (("organization_id", organization_id), ("supplier_id", supplier_id)) if value is None}
    if missing:
        raise ValidationError.fields(missing)
    tz = request.app.state.settings.tz
    last = supplier_debts.report_day(end, "end", dt.datetime.now(tz).date())
    first = supplier_debts.report_day(start, "start", last.replace(month=1, day=1))
    async with request.app.state.pool.acquire() as conn:
        return await supplier_debts.documents(conn, request.app.state.registry, organization_id, supplier_id,
                                              first, last, tz)


class PurchaseNeed(msgspec.Struct):
    warehouse_id: int
    warehouse: str
    nomenclature_id: int
    nomenclature: str
    unit: str | None
    minimum: Decimal
    balance: Decimal
    consumed: Decimal
    daily: Decimal
    suggested: Decimal
    supplier_id: int | None
    supplier: str | None
    price: Decimal | None


@get("/api/reports/purchase-needs", guards=[ANY_USER], tags=["Отчёты"], summary="Потребность в закупке",
     description="Товары, которых на складе доступно (остаток − резерв) меньше минимального остатка: доступно,"
                 " расход за `days` дней (по умолчанию 30), среднесуточный расход, предлагаемое количество заказа"
                 " на срок поставки `lead_days` дней (по умолчанию 7) и последний поставщик с ценой. "
                 + purchase_needs.FORMULA + ".")
async def purchase_needs_report(request: Request, days: str | None = None, lead_days: str | None = None,
                                warehouse_id: OptionalId = None) -> list[PurchaseNeed]:
    params = purchase_needs.parameters(days, lead_days, warehouse_id)
    async with request.app.state.pool.acquire() as conn:
        rows = await purchase_needs.needs(conn, params, dt.datetime.now(request.app.state.settings.tz))
    return [msgspec.convert(r, PurchaseNeed, strict=False) for r in rows]


ROUTES = [invoices, supplier_debts_report, supplier_debt_documents, purchase_needs_report]
