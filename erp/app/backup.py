"""Выгрузка и загрузка информационной базы: a copy of the whole database in
pg_dump's custom format (``-Fc``), and putting one back.

A backup is written beside its target and renamed into place when pg_dump
has finished, so a failed one never replaces an older good copy.

A restore replaces the database's contents in one transaction, as 1C's
"Загрузить информационную базу" replaces the base: pg_restore turns the copy
into SQL, and psql runs it after dropping and re-creating the ``public``
schema, with ``COMMIT`` sent only once pg_restore has read the whole copy. A
copy that turns out damaged halfway, or a statement the server refuses,
leaves the database as it was. Everything that can be checked first is
checked before anything is touched: the file, that it is a copy of an ERP
base, that the server is not older than the copy's, that the base is empty
or its replacement was asked for, and that nobody else is connected.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from erp.app.pg_tools import BackupError, Tools, for_server, installed, libpq_target
from erp.platform.db import connect

Progress = Callable[[str], None]  # called with what is being done, once per table
MAGIC = b"PGDMP"
_DUMPED_FROM = re.compile(r"Dumped from database version: (\d+)")
_MIGRATIONS_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE public migration ", re.M)
_TABLE_DATA = re.compile(r"^\d+; \d+ \d+ TABLE DATA ", re.M)
_DUMPING = re.compile(r'dumping contents of table "?([^"\s]+)"?')
_PREAMBLE_SET = re.compile(rb"^SET ([a-z_]+) = .*;\n$")
WIPE = (b"BEGIN;\nSET LOCAL lock_timeout = '10s';\n"
        b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")


@dataclass(frozen=True, slots=True)
class Server:
    """What a backup or a restore needs to know about the database first."""

    major: int
    tables: int
    documents: int
    others_connected: int
    settings: frozenset[str]


async def server_facts(url: str) -> Server:
    conn = await connect(url)
    try:
        major = int(await conn.fetchval("SHOW server_version_num")) // 10000
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        documents = 0
        for t in tables:
            if t["tablename"].startswith("doc_") and not t["tablename"].endswith("_lines"):
                documents += await conn.fetchval(f'SELECT count(*) FROM public."{t["tablename"]}"')
        others = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        settings = frozenset(r["name"] for r in await conn.fetch("SELECT name FROM pg_settings"))
    finally:
        await conn.close()
    return Server(major, len(tables), documents, others, settings)


def _tail(text: str, lines: int = 6) -> str:
    kept = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(kept[-lines:])


@dataclass(frozen=True, slots=True)
class Dumped:
    size: int
    tables: int
    tools: Tools


def backup(url: str, target: Path, server: Server, *, prefer: Path | None = None,
           progress: Progress = lambda _: None) -> Dumped:
    """Write the copy of the database at ``url`` to ``target`` (``pg_dump -Fc``)."""
    target = target.expanduser()
    if target.is_dir():
        raise BackupError(f"{target} — каталог; укажите имя файла копии, например {target / 'erp.dump'}",
                          code="target_is_directory")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise BackupError(f"Каталог {folder} не существует: создайте его или укажите другой путь",
                          code="target_not_writable")
    if not os.access(folder, os.W_OK):
        raise BackupError(f"Нет прав на запись в каталог {folder}", code="target_not_writable")
    tools = for_server(installed(), server.major, prefer)[0]
    dsn, env = libpq_target(url)
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=folder)
    os.close(fd)
    try:
        proc = subprocess.Popen([tools("pg_dump"), "--format=custom", "--verbose", f"--file={partial}",
                                 f"--dbname={dsn}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=env, text=True)
        messages, tables = [], 0
        assert proc.stderr is not None
        for line in proc.stderr:
            found = _DUMPING.search(line)
            if found:
                tables += 1
                progress(found.group(1).removeprefix("public."))
            elif "error" in line.lower() or "warning" in line.lower():
                messages.append(line.removeprefix("pg_dump: "))
        if proc.wait() != 0:
            raise BackupError(f"pg_dump {tools.major} завершился с ошибкой, копия не записана:\n"
                              f"{_tail(''.join(messages))}", code="dump_failed")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return Dumped(target.stat().st_size, tables, tools)


@dataclass(frozen=True, slots=True)
class Copy:
    """A backup file as pg_restore lists it."""

    path: Path
    tools: Tools  # the installation that reads it
    source_major: int
    tables: int


def _open_copy(path: Path) -> bytes:
    path = path.expanduser()
    if not path.exists():
        raise BackupError(f"Файл копии не найден: {path}", code="file_not_found")
    if path.is_dir():
        raise BackupError(f"{path} — каталог, а не файл копии", code="file_not_found")
    try:
        with path.open("rb") as fh:
            return fh.read(4096)
    except OSError as exc:
        raise BackupError(f"Нет доступа к файлу копии {path}: {exc.strerror}", code="file_unreadable") from exc


def inspect(path: Path, server: Server, prefer: Path | None = None) -> Copy:
    """Check that ``path`` is a copy of an ERP base that can go into this server."""
    head = _open_copy(path)
    if not head.startswith(MAGIC):
        if b"PostgreSQL database dump" in head:
            raise BackupError(f"{path} — текстовый SQL-дамп, а erp restore загружает копии, сделанные "
                              "командой erp backup (pg_dump -Fc). Текстовый дамп загружают через psql.",
                              code="not_a_dump")
        raise BackupError(f"{path} не является копией базы: это не файл pg_dump -Fc (erp backup)",
                          code="not_a_dump")
    candidates = sorted(installed(), key=lambda t: (prefer is None or t.bin != prefer.resolve(),
                                                          t.major != server.major, t.major))
    if not candidates:
        for_server([], server.major)  # raises the "not installed" error
    errors = []
    for tools in candidates:
        listed = subprocess.run([tools("pg_restore"), "--list", str(path)], capture_output=True, text=True)
        if listed.returncode == 0:
            break
        errors.append(listed.stderr)
    else:
        if all("unsupported version" in e for e in errors):
            versions = ", ".join(str(t.major) for t in candidates)
            raise BackupError(f"Копию {path} сделал pg_dump новее найденных здесь (версии {versions}). "
                              "Установите клиент PostgreSQL той версии, которой сделана копия, и повторите.",
                              code="dump_too_new")
        raise BackupError(f"Файл {path} повреждён или обрезан: {_tail(errors[0], 2)}", code="dump_damaged")
    toc = listed.stdout
    if not _MIGRATIONS_TABLE.search(toc):
        raise BackupError(f"{path} — копия другой базы, не ERP: в ней нет таблицы миграций", code="not_an_erp_dump")
    source = _DUMPED_FROM.search(toc)
    source_major = int(source.group(1)) if source else server.major
    if source_major > server.major:
        raise BackupError(f"Копия снята с PostgreSQL {source_major}, а сервер базы — PostgreSQL {server.major}: "
                          "в более старую версию PostgreSQL её не загрузить. Загрузите её в сервер версии "
                          f"{source_major} или новее.", code="server_older_than_dump")
    return Copy(path, tools, source_major, len(_TABLE_DATA.findall(toc)))


def refuse_busy(server: Server, replace: bool) -> None:
    """Refuse to touch a base that others use, or a non-empty one unless its replacement was asked for."""
    if server.others_connected:
        raise BackupError(f"К базе подключены другие сеансы ({server.others_connected}): остановите erp serve "
                          "и erp worker и повторите загрузку.", code="database_in_use")
    if server.tables and not replace:
        raise BackupError(f"База не пуста (таблиц: {server.tables}, документов: {server.documents}). Загрузка "
                          "заменит всё её содержимое копией; чтобы подтвердить, повторите с --force.",
                          code="database_not_empty")


def _feed(source, sink, known: frozenset[str], restore: subprocess.Popen, failed: list[str]) -> None:
    """Copy pg_restore's SQL into psql inside the transaction, committing only a complete copy.
    The preamble's ``SET`` of a parameter this server lacks (``transaction_timeout`` below
    PostgreSQL 17, from a newer pg_restore) is left out: it only resets a timeout to its default."""
    try:
        sink.write(WIPE)
        for line in source:
            setting = _PREAMBLE_SET.match(line)
            if setting and setting.group(1).decode() not in known:
                continue
            sink.write(line)
            if line.startswith(b"-- Name:"):  # the first object: the preamble is over
                break
        shutil.copyfileobj(source, sink, 1 << 16)
        if restore.wait() == 0:
            sink.write(b"COMMIT;\n")
        else:
            failed.append("restore")
    except BrokenPipeError:  # psql stopped at an error; the transaction is rolled back
        restore.kill()
    finally:
        with contextlib.suppress(BrokenPipeError):
            sink.close()


def restore(url: str, copy: Copy, server: Server, progress: Progress = lambda _: None) -> None:
    """Replace the contents of the database at ``url`` with ``copy``, in one transaction."""
    dsn, env = libpq_target(url)
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        reader = subprocess.Popen([copy.tools("pg_restore"), "--no-owner", "--no-privileges", "--file=-",
                                   str(copy.path)], stdout=subprocess.PIPE, stderr=restore_err)
        psql = subprocess.Popen([copy.tools("psql"), "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--pset=pager=off",
                                 f"--dbname={dsn}", "--file=-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=psql_err, env=env)
        failed: list[str] = []
        feeder = threading.Thread(target=_feed, args=(reader.stdout, psql.stdin, server.settings, reader, failed),
                                  daemon=True)
        feeder.start()
        assert psql.stdout is not None
        for line in psql.stdout:
            if line.startswith(b"COPY "):
                progress("данные")
        code = psql.wait()
        feeder.join()
        reader.wait()
        psql_err.seek(0)
        restore_err.seek(0)
        psql_text = psql_err.read().decode(errors="replace")
        restore_text = restore_err.read().decode(errors="replace")
    if failed or reader.returncode not in (0, -9):
        raise BackupError(f"Файл {copy.path} повреждён или обрезан, база осталась прежней: "
                          f"{_tail(restore_text, 2)}", code="dump_damaged")
    if code != 0:
        errors = [ln for ln in psql_text.splitlines() if "ERROR" in ln or "ОШИБКА" in ln] or [psql_text]
        raise BackupError(f"Сервер отверг копию, база осталась прежней: {_tail(chr(10).join(errors), 3)}",
                          code="restore_failed")
