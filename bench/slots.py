"""Free slots rows (5a, 5b): 50 doctors working a day with 500 posted Requests on it.

5a times ``GET /api/schedule/slots?date=`` as an accountant's UI calls it
(bearer token); 5b times the amoCRM widget's ``GET /api/amocrm/widget/slots``
with a disposable token (a JWT signed HS256 with the integration's client
secret, as amoCRM sends it) against a connection saved for the run. Each
answer must list every doctor, and each doctor must have lost the slots
that overlap their Requests.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

import httpx
import jwt

from .clinic import volumes
from .core import Context, Row, limit, ms, percentile
from .datasets import slots_day
from .http import floor_p95, floor_text, latencies

ORDER = 60
WIDGET = "/api/amocrm/widget/slots"


def starts(minutes: int) -> int:
    """Start times of ``minutes``-long visits in 08:00–20:00 on the 5-minute grid."""
    return (12 * 60 - minutes) // 5 + 1


def _complete(doctors: int, minutes: int):
    """Every doctor is listed, and their Requests took some (not all) of their start times."""
    def check(response: httpx.Response) -> bool:
        found = response.json().get("doctors", [])
        return len(found) == doctors and all(0 < len(d["slots"]) < starts(minutes) for d in found)

    return check


async def rows(ctx: Context) -> list[Row]:
    day = await slots_day(ctx)
    clinic = await ctx.clinic()
    server = await ctx.server()
    v = volumes(ctx.size)
    samples = ctx.pick(smoke=60, full=400)
    workload = (f"{len(clinic.doctors)} doctors working, {v.requests} posted Requests that day; "
                f"{samples} sequential GETs")
    floor = await floor_p95(ctx, samples)
    async with server.client() as client:
        times = await latencies(client, [("/api/schedule/slots", {"date": day.isoformat(), "duration": 40})] * samples,
                                check=_complete(len(clinic.doctors), 40))
    out = [limit("5a", "Free slots, HTTP p95", workload, ms(percentile(times, 95)), "ms", at_most=15,
                 comparison=floor_text(floor), note=f"p50 {ms(percentile(times, 50)):.2f} ms")]
    out.append(await widget_row(ctx, day, workload, samples, len(clinic.doctors)))
    return out


async def widget_row(ctx: Context, day: dt.date, workload: str, samples: int, doctors: int) -> Row:
    server = await ctx.server()
    blank = Row(id="5b", title="Free slots, amoCRM widget with JWT, HTTP p95", workload=workload,
                target=limit("5b", "", "", 0.0, "ms", at_most=25).target)
    async with server.client() as client:
        if (await client.get(WIDGET, params={"date": day.isoformat()})).status_code == 404:
            return blank.not_built("the widget endpoint is not built yet (404)")
        try:
            token_for = await _connect_account(ctx)
        except Exception as exc:  # the amoCRM area may not store connections yet
            return blank.unmeasured(f"no amoCRM connection could be saved: {type(exc).__name__}: {exc}"[:200])
        probe = await client.get(WIDGET, params={"date": day.isoformat()}, headers={"X-Auth-Token": token_for()})
        if probe.status_code != 200:
            return blank.unmeasured(f"the widget refused the benchmark's token: {probe.status_code} {probe.text[:120]}")
        times = []
        check = _complete(doctors, ctx.settings.default_appointment_minutes)
        for i in range(samples + 5):
            headers = {"X-Auth-Token": token_for()}  # a disposable token is fresh for every call
            started = time.perf_counter()
            response = await client.get(WIDGET, params={"date": day.isoformat()}, headers=headers)
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or not check(response):
                raise AssertionError(f"widget slots: {response.status_code} {response.text[:300]}")
            if i >= 5:
                times.append(elapsed)
    return limit("5b", blank.title, workload + "; X-Auth-Token JWT (HS256)", ms(percentile(times, 95)), "ms",
                 at_most=25, note=f"p50 {ms(percentile(times, 50)):.2f} ms")


async def _connect_account(ctx: Context):
    """Save an amoCRM connection for the run; a function minting the widget's disposable tokens."""
    from erp.amocrm import connection

    secret = secrets.token_urlsafe(32)
    account_id, subdomain = 31_000_001, "benchclinic"
    redirect = "https://erp.bench.test/api/amocrm/oauth/callback"
    pool = await ctx.pool()
    async with pool.acquire() as conn:
        await connection.save(conn, ctx.settings.secret_key, base_url=f"https://{subdomain}.amocrm.ru",
                              client_id="bench-client", client_secret=secret, redirect_uri=redirect,
                              account_id=account_id, subdomain=subdomain,
                              tokens={"access_token": "bench-access", "refresh_token": "bench-refresh",
                                      "expires_in": 86400})

    def token_for() -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": f"https://{subdomain}.amocrm.ru", "aud": "https://erp.bench.test", "jti": secrets.token_hex(8),
            "iat": now, "nbf": now, "exp": now + 60, "account_id": account_id, "subdomain": subdomain,
            "client_uuid": "bench-client", "user_id": 1, "is_admin": True}
        return jwt.encode(claims, secret, algorithm="HS256")

    return token_for
