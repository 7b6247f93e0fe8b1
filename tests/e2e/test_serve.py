"""``erp serve`` as the README's first command runs it: no DATABASE_URL, so an
embedded PostgreSQL in the data directory, migrated on start, with the demo
data and the administrator's login printed; and on an empty external database."""

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.e2e

_ERP_VARS = ("DATABASE_URL", "ERP_SECRET_KEY", "ERP_TEST_DATABASE_URL", "ERP_HOST", "ERP_PORT")


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if k not in _ERP_VARS}
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "erp.app.cli", *args], stdout=out, stderr=subprocess.STDOUT,
                                env={**clean, "COLUMNS": "200", **env})


def _wait_healthy(proc: subprocess.Popen, base: str, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"erp serve exited with {proc.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"erp serve did not answer: {log.read_text()}")


def _stop(proc: subprocess.Popen) -> int:
    proc.terminate()
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(10)


def test_serve_demo_on_the_embedded_database_prints_a_login_that_works(tmp_path):
    # Not under tmp_path: another pytest starting on the machine makes that tree private again, and the
    # embedded server (which does not run as root) could no longer read its own files.
    holder = tempfile.TemporaryDirectory(prefix="erp-serve-demo-")
    data = Path(holder.name) / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    proc = _start(["serve", "--demo", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                  {"ERP_DATA_DIR": str(data)}, log)
    try:
        _wait_healthy(proc, base, log)
        out = log.read_text()
        found = re.search(r"логин\s+(\S+),\s+пароль\s+(\S+)", out)
        assert found, out
        username, password = found.groups()
        token = httpx.post(f"{base}/api/auth/token", json={"username": username, "password": password})
        assert token.status_code in (200, 201), token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        doctors = httpx.get(f"{base}/api/catalogs/doctors", headers=headers).json()
        assert {"Ефимова Е.В.", "Ишаева М.И."} <= {d["name"] for d in doctors["items"]}
        # Both worker processes answer on the one port.
        assert all(httpx.get(f"{base}/health").json()["database"] for _ in range(6))
        assert (data / "pgdata" / "postmaster.pid").exists()
        assert (data / "secret_key").read_text().strip()
    finally:
        code = _stop(proc)
    assert code == 0, log.read_text()
    # The embedded server stops with the process that started it.
    deadline = time.monotonic() + 20
    while (data / "pgdata" / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (data / "pgdata" / "postmaster.pid").exists()
    holder.cleanup()


async def _sql(url: str, *statements: str) -> list:
    conn = await asyncpg.connect(url)
    try:
        return [await conn.fetchval(q) for q in statements]
    finally:
        await conn.close()


def test_serve_migrates_an_empty_database_on_start(postgres, tmp_path):
    name = f"erp_empty_{os.getpid()}_{free_port()}"
    asyncio.run(_sql(postgres.admin_url, f'CREATE DATABASE "{name}"'))
    url = postgres.url_of(name)
    port = free_port()
    log = tmp_path / "serve.log"
    proc = _start(["serve", "--port", str(port)],
                  {"DATABASE_URL": url, "ERP_DATA_DIR": str(tmp_path / "data"), "ERP_WORKER_IN_SERVE": "0"}, log)
    try:
        _wait_healthy(proc, f"http://127.0.0.1:{port}", log, seconds=60)
        applied, catalogs = asyncio.run(_sql(
            url, "SELECT count(*) FROM migration",
            "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'cat_%'"))
        from erp.app.migrate import known

        assert applied == len(known())
        assert catalogs > 0
        assert httpx.get(f"http://127.0.0.1:{port}/api/catalogs/doctors").status_code == 401
    finally:
        _stop(proc)
        asyncio.run(_sql(postgres.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
