"""Fixtures of the web UI tests: a browser-like client per role (logged in
through the login form, with its session and CSRF cookies) and a small clinic;
for the tests in real Chromium, a real ``erp serve`` on its own database and
one browser, both per test module."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.clinic.conftest import Api, Clinic, api, clinic  # noqa: F401  (fixtures reused by the UI tests)
from tests.conftest import SECRET, free_port

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
        if "text/html" in r.headers.get("content-type", "") and CSRF.search(r.text):
            # An error page rendered before the CSRF middleware (a body too large, the database down)
            # carries no token, and keeps the one the browser has.
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


# ---------- real Chromium against a real erp serve ----------

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
BROWSER_PASSWORD = "browser-pass-1"


class Served:
    """The server and what the API created on it."""

    def __init__(self, base_url: str, rest: httpx.Client, ids: dict[str, int]) -> None:
        self.base_url, self.api, self.ids = base_url, rest, ids

    def create(self, kind: str, data: dict, post: bool = True) -> dict:
        r = self.api.post(f"/api/documents/{kind}", json=data, params={"post": "true"} if post else None)
        assert r.status_code == 201, r.text
        return r.json()


def _item(rest: httpx.Client, catalog: str, data: dict) -> int:
    r = rest.post(f"/api/catalogs/{catalog}", json=data)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _seed(rest: httpx.Client) -> dict[str, int]:
    ids = {
        "org": _item(rest, "organizations", {"name": "Клиника «Здоровье»", "inn": "7707083893", "kpp": "773601001",
                                            "address": "Москва, ул. Тверская, 1", "director": "Смирнов А.А.",
                                            "chief_accountant": "Кузнецова Т.В.", "vat_rate": "none"}),
        "efimova": _item(rest, "doctors", {"name": "Ефимова Е.В.", "specialty": "Терапевт"}),
        "ishaeva": _item(rest, "doctors", {"name": "Ишаева М.И.", "specialty": "Врач УЗИ"}),
        "warehouse": _item(rest, "warehouses", {"name": "Основной склад"}),
        "client": _item(rest, "clients", {"name": "Иванов Иван Иванович", "kind": "person"}),
        "supplier": _item(rest, "clients", {"name": "ООО «МедСнаб»", "kind": "company"}),
        "service": _item(rest, "nomenclature", {"name": "Приём терапевта", "kind": "service", "price": "1500",
                                               "duration_minutes": 30}),
        "goods": _item(rest, "nomenclature", {"name": "Шприц 5 мл", "kind": "goods", "price": "25"}),
    }
    lines = [{"doctor_id": ids[d], "day": f"2030-01-{day:02d}", "start": start, "end": end}
             for day in range(14, 19) for d, start, end in (("efimova", "08:00", "13:00"),
                                                            ("ishaeva", "09:00", "16:00"))]
    r = rest.post("/api/documents/work-schedules", params={"post": "true"},
                 json={"date": "2030-01-01T00:00:00", "month": "2030-01-01", "lines": lines})
    assert r.status_code == 201, r.text
    return ids


def in_thread(coro):
    """Run a coroutine to the end: Playwright's sync API keeps an event loop in this thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="module")
def served(postgres, tmp_path_factory):
    """``erp serve`` on its own database, with users from the CLI and a served from the API."""
    name = in_thread(postgres.create_database())
    data = tmp_path_factory.mktemp("ui-serve")
    env = {**os.environ, "DATABASE_URL": postgres.url_of(name), "ERP_SECRET_KEY": SECRET,
           "ERP_DATA_DIR": str(data), "ERP_WORKER_IN_SERVE": "0"}
    for username, role in (("anna", "admin"), ("maria", "manager")):
        subprocess.run([sys.executable, "-m", "erp.app.cli", "user", "add", username, "--role", role],
                       input=f"{BROWSER_PASSWORD}\n", text=True, env=env, check=True, capture_output=True)
    port = free_port()
    log = (data / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "erp.app.cli", "serve", "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError((data / "serve.log").read_text())
        time.sleep(0.1)
    token = httpx.post(f"{base}/api/auth/token", json={"username": "anna", "password": BROWSER_PASSWORD}).json()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token['access_token']}"}) as rest:
        yield Served(base, rest, _seed(rest))
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    in_thread(postgres.drop_database(name))


@pytest.fixture(scope="module")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("ERP_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def login(chromium, served: Served, username: str = "anna"):
    """A new page, logged in through the login form."""
    from playwright.sync_api import expect

    page = chromium.new_page(viewport={"width": 1360, "height": 860}, locale="ru-RU", timezone_id="Europe/Moscow")
    page.set_default_timeout(10_000)
    page.goto(f"{served.base_url}/login")
    page.get_by_label("Пользователь").fill(username)
    page.get_by_label("Пароль").fill(BROWSER_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("h1")).to_contain_text("Главное")
    return page


def pick(page, field: str, typed: str, option: str, scope=None) -> None:
    """A reference picker: type, wait for the options, choose one."""
    from playwright.sync_api import expect

    box = (scope or page).get_by_label(field, exact=True)
    box.fill(typed)
    picker = box.locator("xpath=ancestor::*[@data-picker][1]")
    picker.locator("[role=option]", has_text=option).first.click()
    expect(box).to_have_value(option)
