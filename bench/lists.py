"""List rows (6a–6c): pages of the ServiceRenderings list through HTTP.

The list holds the generator's ServiceRenderings (1 000 000 at full size)
plus every document the posting rows wrote. For each filter (none, one
client, the quarter around the median date) the first, the middle and the last page of 50 are
fetched through ``GET /api/documents/service-renderings``. A page further in
is reached with the cursor a user would hold there: the keyset of the row
before it, ``(date, id)``, found once with an ``OFFSET`` query outside the
clock. Pages are requested in turn (first, middle, last, first, ...) and the
row reports the worst of the three p95s.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from erp.platform import keyset

from .core import Context, Row, limit, ms, percentile, thousands
from .datasets import renderings
from .http import latencies

ORDER = 70
PAGE = 50


async def _cursor(conn, table: str, where: str, args: list[Any], position: int) -> str | None:
    """The cursor after which the list continues at row ``position`` (0-based)."""
    if position <= 0:
        return None
    row = await conn.fetchrow(f'SELECT date, id FROM "{table}"{where} ORDER BY date DESC, id DESC'
                              f" OFFSET {position - 1} LIMIT 1", *args)
    return keyset.encode([row["date"], row["id"]])


def _page_check(last: bool):
    def check(response: httpx.Response) -> bool:
        body = response.json()
        return len(body["items"]) > 0 and (body["next"] is None) == last

    return check


async def rows(ctx: Context) -> list[Row]:
    await renderings(ctx)
    server = await ctx.server()
    kind = ctx.registry.documents["service-renderings"]
    samples = ctx.pick(smoke=20, full=100)
    async with ctx.connection() as conn:  # OFFSET into a million rows may take a while
        client_id = await conn.fetchval(f'SELECT client_id FROM "{kind.table}" GROUP BY client_id'
                                        " ORDER BY count(*) DESC, client_id LIMIT 1")
        middle = await conn.fetchval(f'SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY date) FROM "{kind.table}"')
        tz = ctx.settings.tz
        start = middle.astimezone(tz).date().replace(day=1)
        end = (start + dt.timedelta(days=92)).replace(day=1) - dt.timedelta(days=1)
        cases = [
            ("6a", "List, keyset pages first/middle/last, HTTP p95", "all", {}, "", []),
            ("6b", "List filtered by client, first/middle/last, HTTP p95", f"client {client_id}",
             {"client_id": client_id}, " WHERE client_id = $1", [client_id]),
            ("6c", "List filtered by period, first/middle/last, HTTP p95", f"{start:%d.%m.%Y}–{end:%d.%m.%Y}",
             {"start": start.isoformat(), "end": end.isoformat()}, " WHERE date >= $1 AND date < $2",
             [dt.datetime.combine(start, dt.time(), tz),
              dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)]),
        ]
        plans = []
        for row_id, title, label, params, where, args in cases:
            total = await conn.fetchval(f'SELECT count(*) FROM "{kind.table}"{where}', *args)
            pages = [(name, await _cursor(conn, kind.table, where, args, position), last)
                     for name, position, last in (("first", 0, total <= PAGE), ("middle", total // 2, False),
                                                  ("last", max(total - PAGE, 0), True))]
            plans.append((row_id, title, label, params, total, pages))
    everything = plans[0][4]
    out = []
    path = f"/api/documents/{kind.name}"
    async with server.client() as client:
        for row_id, title, label, params, total, pages in plans:
            times: dict[str, list[float]] = {name: [] for name, _, _ in pages}
            for round_no in range(samples + 3):  # the pages in turn; three rounds of warm-up
                for name, cursor, last in pages:
                    query = {**params, "limit": PAGE, **({"after": cursor} if cursor else {})}
                    took = await latencies(client, [(path, query)], check=_page_check(last), warmup=0)
                    if round_no >= 3:
                        times[name] += took
            p95 = {name: percentile(t, 95) for name, t in times.items()}
            out.append(limit(row_id, title, f"{thousands(total)} of {thousands(everything)} ServiceRenderings "
                                            f"({label}), pages of {PAGE}, {samples} GETs per page",
                             ms(max(p95.values())), "ms", at_most=50,
                             comparison="p95 " + " / ".join(f"{n} {ms(v):.1f}" for n, v in p95.items()) + " ms"))
    return out
