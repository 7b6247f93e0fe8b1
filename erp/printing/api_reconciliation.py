"""REST of the reconciliation act (Акт сверки взаиморасчётов).

- ``GET  /api/reconciliation-acts?counterparty_id=&organization_id=&start=&end=&side=clients|suppliers``
  — the act as JSON; ``&format=pdf`` — its PDF (kept in the generated documents registry);
  ``&format=html`` — the preview
- ``POST /api/reconciliation-acts/send`` — email the PDF to the counterparty (or to ``to``)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.params import JSONBody, QueryParameter

from erp.api.schemas import OptionalId
from erp.api.security import ANY_USER
from erp.platform.db import in_transaction
from erp.services.reconciliation import ActQuery, Reconciliation, read_query

from . import reconciliation, render
from .api import Sent, pdf_response

TAGS = ["Печать и документы"]


class ActRowOut(msgspec.Struct):
    date: dt.date
    kind: str
    id: int
    document: str
    debit: Decimal
    credit: Decimal


class ActOut(msgspec.Struct):
    side: str
    start: dt.date
    end: dt.date
    organization_id: int
    organization: str
    counterparty_id: int
    counterparty: str
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal
    rows: list[ActRowOut]
    balance_text: str


class SendAct(msgspec.Struct, forbid_unknown_fields=True):
    counterparty_id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
    start: str | None = None
    end: str | None = None
    side: str = "clients"
    organization_id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)] | None = None
    to: str | None = None


def _out(act: Reconciliation) -> ActOut:
    return ActOut(act.side, act.start, act.end, act.organization_id, act.organization.name, act.counterparty_id,
                  act.counterparty.name, act.opening, act.debit, act.credit, act.closing,
                  [ActRowOut(r.date, r.kind, r.id, r.document, r.debit, r.credit) for r in act.rows],
                  reconciliation.ActPrint(act).balance_text)


def _query(request: Request, counterparty_id, organization_id, start, end, side) -> ActQuery:
    today = dt.datetime.now(request.app.state.settings.tz).date()
    return read_query(counterparty_id, organization_id, start, end, side, today)


@get("/api/reconciliation-acts", guards=[ANY_USER], tags=TAGS, summary="Акт сверки взаиморасчётов",
     description="С клиентом (`side=clients`, регистр «Взаиморасчёты с клиентами») или с поставщиком "
                 "(`side=suppliers`, «Расчёты с поставщиками») за период `start`–`end` (ГГГГ-ММ-ДД; по умолчанию "
                 "с начала года по сегодня). Дебет — долг контрагента растёт, кредит — уменьшается. "
                 "`format=pdf` — PDF (сохраняется в реестре сформированных документов), `format=html` — просмотр.",
     opt={"media_types": {"200": ("application/json", "application/pdf", "text/html")}})
async def reconciliation_act(request: Request, counterparty_id: OptionalId = None,
                             organization_id: OptionalId = None, start: str | None = None, end: str | None = None,
                             side: str | None = None,
                             format_: Annotated[Literal["json", "pdf", "html"],
                                                QueryParameter(name="format")] = "json") -> Response:
    query = _query(request, counterparty_id, organization_id, start, end, side)
    state = request.app.state
    tz = state.settings.tz
    if format_ == "pdf":
        printed = await in_transaction(state.pool, lambda conn: reconciliation.pdf(
            conn, state.registry, query, tz, user_id=getattr(request.user, "user_id", None)))
        return pdf_response(printed.content, printed.file_name, (printed.generated_id,))
    async with state.pool.acquire() as conn:
        if format_ == "html":
            text = await reconciliation.preview(conn, state.registry, query, tz)
            return Response(text, media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": render.preview_policy()})
        act = await reconciliation.build(conn, state.registry, query, tz)
    return Response(msgspec.json.encode(_out(act)), media_type="application/json")


@post("/api/reconciliation-acts/send", guards=[ANY_USER], tags=TAGS, status_code=200,
      summary="Отправить акт сверки контрагенту",
      description="PDF акта по эл. почте контрагента (или на `to`) через SMTP из настроек; сохраняется в реестре "
                  "сформированных документов с адресом.")
async def send_reconciliation_act(request: Request, data: JSONBody[SendAct]) -> Sent:
    query = _query(request, data.counterparty_id, data.organization_id, data.start, data.end, data.side)
    state = request.app.state
    async with state.pool.acquire() as conn:
        sent = await reconciliation.send(conn, state.registry, query, state.settings.tz, to=data.to,
                                         user_id=getattr(request.user, "user_id", None),
                                         secret_key=state.settings.secret_key)
    return Sent(**sent)


ROUTES = [reconciliation_act, send_reconciliation_act]
