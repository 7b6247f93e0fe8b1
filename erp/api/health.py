"""``GET /health``: is the app up and can it reach the database."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Request, Response, get
from litestar.openapi import ResponseSpec


class HealthDown(msgspec.Struct):
    status: str
    database: bool
    message: str


@get("/health", summary="Состояние сервиса", tags=["Состояние сервиса"], security=[],
     responses={503: ResponseSpec(HealthDown, description="База данных недоступна", generate_examples=False)})
async def health(request: Request) -> Response:
    try:
        async with asyncio.timeout(3):
            async with request.app.state.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
        return Response({"status": "ok", "database": True}, status_code=200)
    except Exception:
        return Response({"status": "error", "database": False,
                         "message": "База данных недоступна"}, status_code=503)


ROUTES = [health]
