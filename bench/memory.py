"""Memory row (9): resident memory of the ``erp serve`` process after the HTTP rows.

It runs after every HTTP module (``ORDER`` 90), so the process has served the
posting, slots and list benchmarks and holds whatever they left behind.
"""

from __future__ import annotations

from .core import Context, Row, limit

ORDER = 90
MB = 1024 * 1024


async def rows(ctx: Context) -> list[Row]:
    server = await ctx.server()
    rss = server.rss_bytes() / MB
    return [limit("9", "erp serve RSS after the HTTP rows", f"pid {server.pid}, after the HTTP posting, slots and "
                  "list rows", rss, "MB", at_most=250)]
