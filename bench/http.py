"""Timing HTTP requests against the real server, one at a time.

Latency rows send their requests sequentially from one httpx client with
keep-alive, after a warm-up, and take percentiles. Every response is checked
(status and a predicate), so a fast error can never pass for a fast answer.
The HTTP floor of the machine, ``GET /health`` timed the same way, is the
usual comparison: it shows how much of a figure is the HTTP stack itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from .core import Context, fmt, ms, percentile


class BadResponse(AssertionError):
    pass


async def latencies(client: httpx.AsyncClient, requests: Sequence[tuple[str, dict[str, Any]]], *,
                    headers: dict[str, str] | None = None, check: Callable[[httpx.Response], bool] | None = None,
                    warmup: int = 5) -> list[float]:
    """Seconds per request, ``requests`` being (path, query) pairs sent in order after ``warmup`` of them."""
    for path, params in list(requests[:warmup]):
        await _get(client, path, params, headers, check)
    out = []
    for path, params in requests:
        started = time.perf_counter()
        await _get(client, path, params, headers, check)
        out.append(time.perf_counter() - started)
    return out


async def _get(client: httpx.AsyncClient, path: str, params: dict[str, Any], headers: dict[str, str] | None,
               check: Callable[[httpx.Response], bool] | None) -> httpx.Response:
    response = await client.get(path, params=params, headers=headers)
    if response.status_code != 200 or (check is not None and not check(response)):
        raise BadResponse(f"GET {path} {params}: {response.status_code} {response.text[:300]}")
    return response


async def floor_p95(ctx: Context, samples: int) -> float:
    """p95 of ``GET /health`` in seconds, measured now."""
    server = await ctx.server()
    async with server.client() as client:
        times = await latencies(client, [("/health", {})] * samples)
    return percentile(times, 95)


def floor_text(seconds: float) -> str:
    return f"HTTP floor (/health) p95 {fmt(ms(seconds), 'ms')}"
