"""Главное: the home page — today's appointments, unpaid invoices, low stock
and failed exchange events, each a link to where it can be dealt with."""

from __future__ import annotations

import datetime as dt

from litestar import Request, Response, get

from ui import context, integrations
from ui.queries import lists
from ui.render import render


@get("/", name="ui_home")
async def home(request: Request) -> Response:
    day = context.today(request)
    async with context.acquire(request) as conn:
        board = await lists.dashboard(conn, context.registry(request),
                                           dt.datetime.combine(day, dt.time(), context.settings(request).tz))
    failed = await integrations.failed_events(request, limit=10)
    return render(request, "home.html", section="home", day=day, board=board, failed=failed)


ROUTES = [home]
