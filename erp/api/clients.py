"""``/api/clients/{id}/summary``: the client card (Карточка клиента) as JSON."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get
from litestar.params import Parameter

from erp.api.schemas import Id
from erp.api.security import ANY_USER
from erp.services import client_card


@get("/api/clients/{client_id:int}/summary", guards=[ANY_USER], tags=["Клиенты"], summary="Карточка клиента",
      description="Приёмы (предстоящие и прошедшие) со статусом, оказания услуг, счета со статусом оплаты и "
                  "остатком к оплате, оплаты, долг по организациям, продажи за период (по умолчанию с начала "
                  "года), сформированные и отправленные документы. Каждый список — последние `limit` "
                  "документов, `counts` — сколько их всего.")
async def summary(request: Request, client_id: Id,
                  start: Annotated[str | None, Parameter(description="Начало периода продаж, ГГГГ-ММ-ДД")] = None,
                  end: Annotated[str | None, Parameter(description="Конец периода продаж, ГГГГ-ММ-ДД")] = None,
                  limit: Annotated[int, Parameter(ge=1, le=client_card.MAX_LIMIT)] = client_card.DEFAULT_LIMIT,
                  ) -> client_card.Summary:
    first, last = client_card.read_period(start, end)
    async with request.app.state.pool.acquire() as conn:
        return await client_card.summary(conn, request.app.state.engine.registry, client_id,
                                          tz=request.app.state.settings.tz, start=first, end=last, limit=limit)


ROUTES = [summary]
