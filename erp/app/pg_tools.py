"""PostgreSQL's client programs (pg_dump, pg_restore, psql) and which of the
installed ones to run against a given server.

pg_dump must be at least as new as the server it dumps, and a newer one
writes settings an older server does not know (``SET transaction_timeout``
from pg_dump 17 on): the programs whose major version is the server's own are
the right ones, the nearest newer ones the next best. The embedded server's
wheel brings its own (PostgreSQL 18); Debian keeps each installed version in
``/usr/lib/postgresql/<major>/bin``; others come from ``PATH``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from erp.platform.errors import ErpError

DEBIAN_GLOB = "/usr/lib/postgresql/*/bin"
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


class BackupError(ErpError):
    """A backup or a restore that cannot be done; ``code`` says why."""

    code = "backup_failed"


@dataclass(frozen=True, slots=True)
class Tools:
    """One installation's client programs."""

    bin: Path
    major: int

    def __call__(self, program: str) -> str:
        return str(self.bin / program)


def version_of(bin_dir: Path) -> int | None:
    """The major version of ``bin_dir``'s pg_dump, or ``None`` when there is no working one."""
    program = bin_dir / "pg_dump"
    if not program.is_file():
        return None
    try:
        out = subprocess.run([str(program), "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = _VERSION.search(out)
    return int(found.group(1)) if found else None


def installed() -> list[Tools]:
    """Every installation with pg_dump, pg_restore and psql, each directory once: the embedded
    server's wheel, Debian's versions and the one on ``PATH``."""
    from erp.app import embedded

    dirs = sorted(Path("/").glob(DEBIAN_GLOB.lstrip("/")))
    with contextlib.suppress(ImportError):  # no wheel for this platform: an external server only
        dirs.insert(0, embedded.binaries())
    on_path = shutil.which("pg_dump")
    if on_path:
        real = Path(on_path).resolve()
        if real.name == "pg_dump":  # Debian's /usr/bin/pg_dump is a wrapper script: its versions are above
            dirs.append(real.parent)
    found, seen = [], set()
    for d in dirs:
        d = d.resolve()
        if d in seen or not all((d / p).is_file() for p in ("pg_dump", "pg_restore", "psql")):
            continue
        seen.add(d)
        major = version_of(d)
        if major is not None:
            found.append(Tools(d, major))
    return found


def _install_hint(major: int) -> str:
    return (f"Установите клиент PostgreSQL {major} (в Debian/Ubuntu: apt install postgresql-client-{major}) "
            "и повторите.")


def for_server(found: list[Tools], server_major: int, prefer: Path | None = None) -> list[Tools]:
    """The installations that can dump a server of ``server_major``, best first: ``prefer`` (the
    embedded server's own), then the server's own major version, then the nearest newer ones."""
    usable = [t for t in found if t.major >= server_major]
    if not usable:
        if not found:
            raise BackupError(f"Не найдены программы PostgreSQL (pg_dump, pg_restore, psql). "
                              f"{_install_hint(server_major)}", code="pg_dump_missing")
        versions = ", ".join(str(t.major) for t in sorted(found, key=lambda t: t.major))
        raise BackupError(f"Сервер базы — PostgreSQL {server_major}, а найденный pg_dump старше (версии "
                          f"{versions}): он не может выгрузить более новый сервер. {_install_hint(server_major)}",
                          code="pg_dump_too_old")
    return sorted(usable, key=lambda t: (prefer is None or t.bin != prefer.resolve(), t.major))


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The database URL for libpq without its password, and the environment carrying the password
    (``PGPASSWORD``), so that it never appears on a command line or in a message."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    password = unquote(parts.password) if parts.password else None
    for key, value in query:
        if key == "password":
            password = value
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    kept = urlencode([(k, v) for k, v in query if k != "password"], safe="/", quote_via=quote)
    clean = urlunsplit((parts.scheme, netloc, parts.path, kept, parts.fragment))
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return clean, env
