"""``/api/reports/...``: reports across documents and registers."""

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec
from litestar import Request, get

from erp.api.schemas import OptionalId
from erp.api.security import ANY_USER
from erp.services import reports


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


ROUTES = [invoices]
