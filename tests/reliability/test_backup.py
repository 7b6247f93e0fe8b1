"""Acceptance point 7: ``erp backup FILE`` and ``erp restore FILE``
(выгрузка и загрузка информационной базы) through pg_dump and pg_restore.

A clinic's December (goods received, services rendered, an invoice and its
payments) is backed up with the real CLI and restored into a new, empty
database: its balances, turnovers and invoice report are the same there,
``erp totals check`` is clean, and the next document and the next catalog
item continue the numbering and the ids. Bad files, a non-empty or busy
base and a copy damaged halfway are refused with a Russian message, and the
base stays as it was."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from erp.app import embedded
from erp.app.application import create_app
from erp.app.backup import inspect, server_facts
from erp.app.cli import main
from erp.app.pg_tools import BackupError, Tools, for_server, libpq_target
from erp.auth.service import add_user
from erp.platform.db import connect
from tests.clinic.conftest import Api, counts, make_clinic
from tests.clinic.test_invoices_payments import invoice, pay
from tests.clinic.test_service_rendering import receipt, rendering
from tests.conftest import SECRET
from tests.pg import TestPostgres

pytestmark = pytest.mark.e2e


def erp(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The real ``erp`` command, as an administrator runs it."""
    env = {**os.environ, "DATABASE_URL": url, "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(data_dir),
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "erp.app.cli", *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)


async def until_alone(url: str, seconds: float = 10.0) -> None:
    """Wait until no other client session is connected to the base at ``url``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    for _ in range(int(seconds / 0.05)):  # polling the server: there is no event to wait on
        if not (others := (await server_facts(url)).others_connected) or loop.time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert others == 0, f"{others} sessions still connected after {seconds} s"


@pytest.fixture
async def api(client, admin) -> Api:
    return Api(client, admin)


@pytest.fixture
async def empty_database(postgres: TestPostgres):
    """A database as an administrator creates it for a restore: nothing in it (not even migrations)."""
    name = f"erp_restore_{uuid.uuid4().hex[:10]}"
    conn = await connect(postgres.admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield postgres.url_of(name)
    await postgres.drop_database(name)


@asynccontextmanager
async def api_on(url: str, settings, headers: dict[str, str]):
    async with AsyncTestClient(app=create_app(settings.with_(database_url=url), url, pool_size=2)) as client:
        yield Api(client, headers)


async def reports(api: Api) -> dict:
    """What an accountant compares: every balance, December's sales, the invoices and the documents."""
    out = {name: await api.balance(name) for name in ("stock", "settlements", "invoice-payments")}
    out["sales"] = await api.turnovers("sales", start="2021-12-01", end="2021-12-31")
    out["invoices"] = await api.get("/api/reports/invoices")
    for kind in ("goods-receipts", "service-renderings", "invoices", "payments"):
        out[kind] = [(d["number"], d["posted"]) for d in (await api.get(f"/api/documents/{kind}"))["items"]]
    return out


async def test_a_backup_restores_into_an_empty_database_with_the_same_reports(
        api, settings, admin, database_url, empty_database, tmp_path):
    clinic = await make_clinic(api)
    await receipt(api, clinic, (clinic.goods, "10", "11.00"), (clinic.goods, "5", "14.00"))
    first = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"},
        {"nomenclature_id": clinic.goods, "quantity": "3", "price": "25"}), post=True)
    await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.service, "quantity": "2", "price": "1500"}, date="2021-12-23T10:00:00"),
        post=True)
    bill = await api.create("invoices", invoice(
        clinic, {"nomenclature_id": clinic.service, "quantity": "2", "price": "1500"}), post=True)
    await api.create("payments", pay(clinic, "1000.00", bill["id"]), post=True)
    await api.create("payments", pay(clinic, "75.00", method="cash"), post=True)
    before = await reports(api)
    assert before["stock"] and before["settlements"] and before["invoice-payments"] and before["sales"]

    copy = tmp_path / "clinic.dump"
    made = erp(database_url, tmp_path / "data", "backup", str(copy))
    assert made.returncode == 0, made.stderr
    assert "Копия базы записана" in made.stderr and copy.read_bytes().startswith(b"PGDMP")
    loaded = erp(empty_database, tmp_path / "data", "restore", str(copy))
    assert loaded.returncode == 0, loaded.stderr
    assert "База загружена" in loaded.stderr

    async with api_on(empty_database, settings, admin) as restored:
        assert await reports(restored) == before
        # The numbering and the ids go on where the copy stopped.
        third = await restored.create("service-renderings", rendering(
            clinic, {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"},
            date="2021-12-24T10:00:00"), post=True)
        assert third["number"] == first["number"][:-1] + "3" and third["id"] > first["id"]
        newcomer = await restored.item("clients", {"name": "Петров Пётр Петрович", "kind": "person"})
        assert newcomer["id"] > clinic.supplier
    checked = erp(empty_database, tmp_path / "data", "totals", "check")
    assert checked.returncode == 0 and "Итоги сходятся" in checked.stderr, checked.stderr


async def in_process(url: str, data_dir: Path, *args: str):
    """An ``erp`` command in this process (in a thread: it runs its own event loop), the same command
    without an interpreter's start-up for each case."""
    env = {"DATABASE_URL": url, "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


def cut_inside_the_data(copy: Path, tools: Tools) -> bytes:
    """The copy cut halfway through its table data, past its table of contents: pg_restore lists it
    and starts to restore, and finds it short only later."""
    data = copy.read_bytes()
    probe = copy.with_suffix(".probe")
    lo, hi = 0, len(data)  # the shortest prefix that lists is in (lo, hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        probe.write_bytes(data[:mid])
        listed = subprocess.run([tools("pg_restore"), "--list", str(probe)], capture_output=True)
        lo, hi = (lo, mid) if listed.returncode == 0 else (mid, hi)
    assert hi < len(data) - 16, "the copy has table data after its contents"
    return data[:(hi + len(data)) // 2]


async def test_bad_copies_and_a_busy_or_non_empty_base_are_refused_and_change_nothing(
        postgres, database_url, empty_database, tmp_path):
    data_dir = tmp_path / "data"
    conn = await connect(database_url)
    try:
        await add_user(conn, "before-backup", "manager", "password-123")
    finally:
        await conn.close()
    copy = tmp_path / "base.dump"
    assert erp(database_url, data_dir, "backup", str(copy)).returncode == 0
    foreign = tmp_path / "foreign.dump"  # a copy of a database that is not an ERP base
    assert erp(empty_database, data_dir, "backup", str(foreign)).returncode == 0
    conn = await connect(database_url)
    try:
        await add_user(conn, "after-backup", "manager", "password-123")
        unchanged = await counts(conn), await conn.fetch("SELECT username FROM users ORDER BY 1")
    finally:
        await conn.close()

    text = tmp_path / "notes.txt"
    text.write_text("Это не копия базы\n")
    sql = tmp_path / "plain.sql"
    sql.write_text("--\n-- PostgreSQL database dump\n--\n")
    server = await server_facts(database_url)
    short = tmp_path / "short.dump"
    short.write_bytes(cut_inside_the_data(copy, inspect(copy, server).tools))
    inspect(short, server)  # it passes every check made before the base is touched

    cases = [
        ((str(tmp_path / "missing.dump"), "--force"), "Файл копии не найден"),
        ((str(tmp_path), "--force"), "каталог, а не файл копии"),
        ((str(text), "--force"), "не является копией базы"),
        ((str(sql), "--force"), "текстовый SQL-дамп"),
        ((str(foreign), "--force"), "копия другой базы, не ERP"),
        ((str(copy),), "База не пуста"),
        ((str(short), "--force"), "повреждён или обрезан, база осталась прежней"),
    ]
    for args, message in cases:
        result = await in_process(database_url, data_dir, "restore", *args)
        assert (result.exit_code, message in result.stderr, "Traceback" in result.stderr) == (1, True, False), (
            args, result.stderr, result.exception)

    # A closed session leaves the server's list a moment after the client hangs up (the failed
    # pg_restore above, say): wait for the base to be quiet, then leave exactly one session open.
    await until_alone(database_url)
    busy = await connect(database_url)  # erp serve left running, say
    try:
        result = await in_process(database_url, data_dir, "restore", str(copy), "--force")
        assert result.exit_code == 1 and "подключены другие сеансы (1)" in result.stderr, result.stderr
        assert (await counts(busy), await busy.fetch("SELECT username FROM users ORDER BY 1")) == unchanged
    finally:
        await busy.close()

    result = await in_process(database_url, data_dir, "backup", str(tmp_path / "no-such-folder" / "x.dump"))
    assert result.exit_code == 1 and "не существует" in result.stderr

    # With --force the copy replaces the base: the user added after the backup is gone.
    result = await in_process(database_url, data_dir, "restore", str(copy), "--force")
    assert result.exit_code == 0, result.stderr
    conn = await connect(database_url)
    try:
        names = [r["username"] for r in await conn.fetch("SELECT username FROM users ORDER BY 1")]
    finally:
        await conn.close()
    assert "before-backup" in names and "after-backup" not in names


def test_without_a_suitable_pg_dump_the_message_says_what_to_install():
    with pytest.raises(BackupError) as missing:
        for_server([], 15)
    assert missing.value.code == "pg_dump_missing" and "postgresql-client-15" in missing.value.message
    with pytest.raises(BackupError) as old:
        for_server([Tools(Path("/usr/lib/postgresql/14/bin"), 14)], 16)
    assert old.value.code == "pg_dump_too_old" and "postgresql-client-16" in old.value.message
    wheel, debian15, debian17 = (Tools(Path(p), m) for p, m in (("/wheel", 18), ("/deb/15", 15), ("/deb/17", 17)))
    assert for_server([wheel, debian17, debian15], 15)[0] == debian15
    assert for_server([wheel, debian17, debian15], 16)[0] == debian17
    assert for_server([wheel, debian17, debian15], 15, prefer=Path("/wheel"))[0] == wheel


async def test_a_copy_made_by_the_wheels_newer_pg_dump_restores_into_this_server(
        database_url, empty_database, tmp_path):
    """Against PostgreSQL 15 (ERP_TEST_DATABASE_URL) this is the upgrade path an administrator takes by
    mistake: pg_dump 18 on a 15 server. pg_restore 15 cannot read its archive, pg_restore 18 can, and its
    SQL sets transaction_timeout, which PostgreSQL 15 does not know."""
    copy = tmp_path / "by-pg_dump-18.dump"
    dsn, env = libpq_target(database_url)
    await asyncio.to_thread(subprocess.run, [str(embedded.binaries() / "pg_dump"), "--format=custom",
                                             f"--file={copy}", f"--dbname={dsn}"], check=True, env=env)
    result = await in_process(empty_database, tmp_path / "data", "restore", str(copy))
    assert result.exit_code == 0, result.stderr
    assert "База загружена" in result.stderr and "pg_restore 18" in result.stderr
    conn = await connect(empty_database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM migration") > 0
    finally:
        await conn.close()
