from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from erp.app.settings import Settings
from erp.auth.service import Principal, add_user, issue_token
from tests.pg import TestPostgres

SECRET = "test-secret-key-with-enough-entropy-0123456789"


@pytest.fixture(scope="session")
def postgres():
    pg = TestPostgres()
    asyncio.run(pg.create_template())
    yield pg
    pg.close()


@pytest.fixture
async def database_url(postgres: TestPostgres):
    name = await postgres.create_database()
    yield postgres.url_of(name)
    await postgres.drop_database(name)


@pytest.fixture
async def db(database_url: str):
    from erp.platform.db import connect

    conn = await connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=SECRET, timezone="Europe/Moscow",
                    data_dir=tmp_path / "data", run_worker_in_serve=False)


@pytest.fixture
async def app(settings: Settings, database_url: str):
    from erp.app.application import create_app

    return create_app(settings, database_url, pool_size=5)


@pytest.fixture
async def client(app):
    async with AsyncTestClient(app=app) as c:
        yield c


@contextlib.asynccontextmanager
async def concurrent_client(app):
    """An HTTP client on ``app`` in this event loop whose gathered requests really run at the same time.
    Litestar's ``AsyncTestClient`` hands each request to a portal thread and waits for its answer, so
    requests gathered on it run one after another and never race."""
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                 base_url="http://testserver.local") as http:
        yield http


class Users:
    """Creates users of each role and hands out their bearer headers."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._cache: dict[str, dict[str, str]] = {}

    async def headers(self, role: str) -> dict[str, str]:
        if role not in self._cache:
            username = f"{role}-user"
            user_id = await add_user(self.conn, username, role, "password-123")
            token = issue_token(Principal(user_id, username, role), SECRET, 3600)
            self._cache[role] = {"Authorization": f"Bearer {token}"}
        return self._cache[role]


@pytest.fixture
async def users(db) -> Users:
    return Users(db)


@pytest.fixture
async def admin(users: Users) -> dict[str, str]:
    return await users.headers("admin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, proc: subprocess.Popen, base_url: str, log: Path) -> None:
        self.proc, self.base_url, self.log = proc, base_url, log


@contextlib.contextmanager
def serving(database_url: str, tmp_path: Path, **env: str) -> Iterator[Server]:
    """A real ``erp serve`` process on a free port, on ``database_url``; ``env`` adds variables."""
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "DATABASE_URL": database_url, "ERP_SECRET_KEY": SECRET,
           "ERP_DATA_DIR": str(tmp_path / "data"), **env}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "erp.app.cli", "serve", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"erp serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(f"erp serve did not start: {log.read_text()}")
    try:
        yield Server(proc, base, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def server(database_url: str, tmp_path: Path):
    """A real ``erp serve`` process on a free port, on this test's database."""
    with serving(database_url, tmp_path) as s:
        yield s
