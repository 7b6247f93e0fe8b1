import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import SECRET

pytestmark = pytest.mark.e2e


def erp(*args, env=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "erp.app.cli", *args], capture_output=True,
                          text=True, input=stdin, env={**os.environ, **(env or {})}, timeout=120)


@pytest.fixture
def cli_env(database_url, tmp_path):
    return {"DATABASE_URL": database_url, "ERP_SECRET_KEY": SECRET,
            "ERP_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"], ["demo"], ["worker"],
                                     ["user"], ["user", "add"], ["user", "list"], ["totals"], ["totals", "check"],
                                     ["totals", "rebuild"], ["backup"], ["restore"], ["amocrm"]])
def test_every_command_has_help(command):
    r = erp(*command, "--help")
    assert r.returncode == 0
    assert "Usage:" in r.stdout and len(r.stdout.splitlines()) > 3


def test_user_add_from_stdin_and_list(cli_env):
    r = erp("user", "add", "olga", "--role", "accountant", env=cli_env, stdin="s3cret-pass\n")
    assert r.returncode == 0, r.stderr
    r = erp("user", "list", env=cli_env)
    assert "olga" in r.stdout and "accountant" in r.stdout
    r = erp("user", "add", "olga", "--role", "accountant", env=cli_env, stdin="s3cret-pass\n")
    assert r.returncode == 1 and "уже есть" in r.stderr
    r = erp("user", "add", "bad", "--role", "owner", env=cli_env, stdin="s3cret-pass\n")
    assert r.returncode == 2 and "owner" in r.stderr


async def _counts(url):
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        return {t["tablename"]: await conn.fetchval(f'SELECT count(*) FROM "{t["tablename"]}"')
                for t in tables if t["tablename"] != "login_attempts"}
    finally:
        await conn.close()


async def test_demo_is_idempotent_and_prints_the_login(cli_env, database_url):
    first = erp("demo", env=cli_env)
    assert first.returncode == 0, first.stderr
    assert "admin" in first.stderr and "пароль" in first.stderr
    after_first = await _counts(database_url)
    second = erp("demo", env=cli_env)
    assert second.returncode == 0, second.stderr
    assert await _counts(database_url) == after_first
    password = (Path(cli_env["ERP_DATA_DIR"]) / "demo_admin_password").read_text().strip()
    assert password in first.stderr.replace("\n", "")


def test_unreachable_database_is_one_paragraph_of_advice(tmp_path):
    r = erp("migrate", env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/nowhere",
                            "ERP_DATA_DIR": str(tmp_path)})
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "Не удалось подключиться к базе данных" in r.stderr
    assert "DATABASE_URL" in r.stderr


def test_real_server_answers(server):
    r = httpx.get(f"{server.base_url}/health")
    assert r.json() == {"status": "ok", "database": True}
    r = httpx.get(f"{server.base_url}/api/auth/me")
    assert r.status_code == 401


async def test_long_operations_show_a_progress_bar(postgres, tmp_path):
    name = f"erp_bar_{os.getpid()}"
    admin = await asyncpg.connect(postgres.admin_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    env = {"DATABASE_URL": postgres.url_of(name), "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(tmp_path),
           "FORCE_COLOR": "1", "COLUMNS": "120"}  # FORCE_COLOR: draw as on a terminal
    try:
        for command, title in ((["migrate"], "Миграции"), (["totals", "rebuild"], "Пересчёт итогов")):
            r = erp(*command, env=env)
            assert r.returncode == 0, r.stderr
            assert title in r.stderr and "━" in r.stderr and "100%" in r.stderr
    finally:
        admin = await asyncpg.connect(postgres.admin_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
