"""Fixtures of the web UI tests: a browser-like client per role (logged in
through the login form, with its session and CSRF cookies) and a small clinic."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.clinic.conftest import Api, Clinic, api, clinic  # noqa: F401  (fixtures reused by the UI tests)

PASSWORD = "password-123"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has a CSRF token"
    return found.group(1)


class Browser:
    """The in-process app as a browser sees it: cookies, forms, CSRF."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = ""

    async def get(self, path: str, status: int = 200, **kwargs):
        r = await self.client.get(path, **kwargs)
        assert r.status_code == status, f"GET {path}: {r.status_code} {r.text[:2000]}"
        if "text/html" in r.headers.get("content-type", "") and "_csrf_token" in r.text:
            self.token = csrf_of(r.text)
        return r

    async def post(self, path: str, data: dict | list | None = None, status: int = 303, htmx: bool = False,
                   csrf: bool = True, **kwargs):
        if not self.token:
            await self.get("/login")
        body = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            body.append(("_csrf_token", self.token))
        headers = {"HX-Request": "true"} if htmx else {}
        kwargs.setdefault("follow_redirects", False)
        r = await self.client.post(path, data=_encode(body), headers=headers, **kwargs)
        assert r.status_code == status, f"POST {path}: {r.status_code} {r.text[:3000]}"
        return r

    async def login(self, username: str, password: str = PASSWORD):
        await self.get("/login")
        return await self.post("/login", {"username": username, "password": password})


def _encode(pairs: list[tuple[str, object]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append("" if value is None else str(value))
    return out


@pytest.fixture
async def browser(client, users) -> Browser:
    """An admin, logged in through the login form."""
    await users.headers("admin")
    b = Browser(client)
    await b.login("admin-user")
    return b


@pytest.fixture
async def login_as(client, users):
    """``await login_as("manager")``: another browser (its own cookies) on the same app, logged in as that role."""
    async def make(role: str, username: str | None = None, password: str = PASSWORD) -> Browser:
        if username is None:
            await users.headers(role)
        b = Browser(another_browser(client))
        await b.login(username or f"{role}-user", password)
        return b

    return make


def another_browser(client) -> httpx.AsyncClient:
    """A second cookie jar on the running app (the app starts once per test). It shares the
    test client's transport, which the test client closes."""
    return httpx.AsyncClient(transport=client._transport, base_url=client.base_url, follow_redirects=True)


DAY = "2030-01-14"  # a Monday, far from today: calendar tests do not depend on the clock


async def schedule_month(rest: Api, ids: Clinic, day: str = DAY, post: bool = True) -> dict:
    """A posted WorkSchedule: Ефимова 08:15–13:00 and Ишаева 08:00–16:00 on ``day``."""
    return await rest.create("work-schedules", {
        "date": f"{day[:8]}01T00:00:00", "month": f"{day[:8]}01",
        "lines": [{"doctor_id": ids.efimova, "day": day, "start": "08:15", "end": "13:00"},
                  {"doctor_id": ids.ishaeva, "day": day, "start": "08:00", "end": "16:00"}]}, post=post)


def form_of(html: str, action: str) -> str:
    """The HTML of the form that posts to ``action``."""
    start = html.index(f'action="{action}"')
    return html[html.rindex("<form", 0, start):html.index("</form>", start)]
