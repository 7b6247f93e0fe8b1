"""Issue 9, acceptance point 4: every route of the app, walked as each of the five callers.

The table is :mod:`tests.security.authorization_table`. The first test proves it lists exactly the
app's routes (a new route fails it until someone decides who may call it). The second walks every
cell against real objects: allowed calls are let through (a GET answers 2xx), refused ones get 401,
403 or the login page, and a refused call writes nothing (no table changes).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import httpx

from erp.app.settings import Settings
from tests.amocrm import conftest as amocrm_fixtures
from tests.clinic import conftest as clinic_fixtures
from tests.printing import test_email as email_fixtures
from tests.security.authorization_table import AUTH, LOGIN, NO, OK, PRINCIPALS, ROUTES
from tests.security.matrix_world import build_world, make_callers, send

fake, connected = amocrm_fixtures.fake, amocrm_fixtures.connected
smtp_server = email_fixtures.smtp_server
api, clinic = clinic_fixtures.api, clinic_fixtures.clinic

SKIPPED_METHODS = {"OPTIONS", "HEAD"}  # CORS preflights and HEAD carry no data; Litestar adds them to every route
TYPED = re.compile(r":\w+}")
DUMMY = {"form": "invoice", "secret": "s", "file_path": "app.css", "path": "openapi.yaml"}
AUTH_CODES = {"missing_token", "invalid_token", "token_expired", "token_revoked", "token_missing"}


def app_routes(app) -> set[tuple[str, str]]:
    return {(method, TYPED.sub("}", route.path)) for route in app.routes
            for method in getattr(route, "route_handler_map", {}) if method not in SKIPPED_METHODS}


def routed(app, method: str, path: str) -> tuple[str, str]:
    """The app route that serves a row, found by the app's own router."""
    concrete = re.sub(r"\{(\w+)\}", lambda m: DUMMY.get(m.group(1), "1"), path)
    *_, template = app.asgi_router.handle_routing(concrete, method)
    return method, template


def test_the_table_lists_every_route_of_the_app_and_no_other(tmp_path: Path):
    from erp.app.application import create_app

    settings = Settings(database_url="postgresql://unused", secret_key="k" * 40, timezone="Europe/Moscow",
                        data_dir=tmp_path, run_worker_in_serve=False)
    app = create_app(settings, "postgresql://unused")
    listed, stale = set(), []
    for method, path, *cells in ROUTES:
        assert len(cells) == len(PRINCIPALS), path
        try:
            listed.add(routed(app, method, path))
        except Exception as exc:  # the router's NotFound / MethodNotAllowed
            stale.append(f"{method} {path}: {type(exc).__name__}")
    assert not stale, "rows the app has no route for:\n" + "\n".join(stale)
    missing = sorted(app_routes(app) - listed)
    assert not missing, "routes missing from the authorization table:\n" + "\n".join(f"{m} {p}" for m, p in missing)
    assert len(ROUTES) == len({(m, p) for m, p, *_ in ROUTES}), "a row appears twice"


def outcome(r: httpx.Response) -> str:
    for step in [*r.history, r]:
        target = step.headers.get("location", "") or step.headers.get("hx-redirect", "")
        if target.startswith("/login") and (300 <= step.status_code < 400 or step.status_code == 401):
            return LOGIN
    return str(r.status_code) if r.status_code in (401, 403) else OK


def error_code(r: httpx.Response) -> str | None:
    try:
        return r.json().get("code")
    except ValueError:
        return None


def verdict(want, method: str, path: str, r: httpx.Response) -> str | None:
    """What is wrong with the answer ``r`` to a caller the table gives ``want``, or None."""
    if r.status_code >= 500:
        return f"{r.status_code} {r.text[:300]}"
    if isinstance(want, int):
        return None if r.status_code == want else f"{r.status_code}, expected {want}"
    got = outcome(r)
    if got != want:
        return f"{got} ({r.status_code} {r.text[:200]!r}), expected {want}"
    if want == OK and method == "GET" and not 200 <= r.status_code < 300:
        return f"an allowed GET answered {r.status_code} {r.text[:300]}"
    if path.startswith("/api/") and want == AUTH and error_code(r) not in AUTH_CODES:
        return f"401 without a reason code: {r.text[:200]}"
    if path.startswith("/api/") and want == NO and error_code(r) != "forbidden_role":
        return f"403 not from the role guard: {r.text[:200]}"
    return None


async def fingerprint_of(db):
    """A function that reads every table's row count and newest row version (sessions: their count and
    content): it changes whenever anything is inserted, updated or deleted in this database."""
    tables = await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                            " AND tablename <> 'ui_sessions' ORDER BY 1")
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*), max(xmin::text::bigint) FROM \"{t}\""
                             for t in (r["tablename"] for r in tables))
    # Sessions without their sliding-expiry clock: any request of a session idle for a while refreshes
    # last_seen_at (erp/websession/store.py), refused or not; what it holds must not change.
    sql += (" UNION ALL SELECT 'ui_sessions', count(*), ('x' || left(md5(coalesce(string_agg("
            "token_hash || user_id || data::text, ',' ORDER BY token_hash), '')), 15))::bit(60)::bigint"
            " FROM ui_sessions")

    async def fingerprint() -> list:  # sorted: UNION ALL gives no order, only the values count
        return sorted(tuple(r) for r in await db.fetch(sql))

    return fingerprint


async def test_every_route_answers_each_caller_as_the_table_says(app, client, users, db, settings, fake, connected,
                                                                   api, clinic, smtp_server):
    world = await build_world(api, clinic, db, settings, app.state.registry, smtp_server.port)
    callers = await make_callers(client, users, fake)
    fingerprint = await fingerprint_of(db)
    wrong: list[str] = []
    tally: Counter[str] = Counter()

    async def check(who, want, method, path, **variant) -> None:
        before = await fingerprint() if want in (NO, AUTH, LOGIN) else None
        r = await send(client, callers[who], method, path, world, **variant)
        problem = verdict(want, method, path, r)
        if problem is None and before is not None and (method, path) != ("POST", "/logout"):
            after = await fingerprint()
            problem = None if after == before else (f"refused, yet {sorted(set(after) - set(before))} changed"
                                                    f" (was {sorted(set(before) - set(after))})")
        label = f"{method} {path} as {who}" + "".join(f" ({k})" for k in variant)
        tally["cells"] += 1
        tally[f"{want} {'2xx/3xx' if r.status_code < 400 else r.status_code}"] += 1
        if problem:
            wrong.append(f"{label}: {problem}")

    for method, path, *cells in ROUTES:
        for who, want in zip(PRINCIPALS, cells, strict=True):
            await check(who, want, method, path)
            if want == LOGIN and path not in ("/logout",):
                await check(who, want, method, path, htmx=True)
        if path.startswith("/api/") and not path.startswith("/api/amocrm/widget/") and cells[-1] == AUTH:
            # the widget's JWT is not a bearer token either
            await check("widget", AUTH, method, path, bearer=callers["widget"].widget_token())
    print("authorization matrix:", len(ROUTES), "routes ×", len(PRINCIPALS), "callers;", dict(sorted(tally.items())))
    assert not wrong, f"{len(wrong)} of {tally['cells']} cells differ from the table:\n" + "\n".join(wrong)
    assert smtp_server.messages, "the allowed «Отправить клиенту» calls reached the mailbox"
