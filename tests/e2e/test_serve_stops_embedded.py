"""Issue 14, point 27: ``erp serve`` stops the embedded PostgreSQL it started, on SIGINT and on SIGTERM.

Run as root (as here), the server runs under its own user ``embedded_postgres``; it is stopped all the
same. After the process exits, no postgres process of that data directory remains and nothing listens
on the server's socket; a user of the server that died without a word (``kill -9``) does not keep it
running for ever.
"""

from __future__ import annotations

import json
import signal
import socket
import tempfile
from pathlib import Path

import psutil
import pytest

from tests.conftest import free_port
from tests.e2e.test_serve import _start, _wait_healthy

pytestmark = pytest.mark.e2e


def _postgres_of(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def _socket_of(pgdata: Path) -> Path:
    """The Unix socket the embedded server listens on (it listens on no TCP port: ``-h ''``)."""
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    return Path(lines[4]) / f".s.PGSQL.{lines[3]}"


def _listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
        return True


def _serve_then(sig: signal.Signals, data: Path, log: Path) -> int:
    port = free_port()
    proc = _start(["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                  {"ERP_DATA_DIR": str(data), "ERP_WORKER_IN_SERVE": "0"}, log)
    try:
        _wait_healthy(proc, f"http://127.0.0.1:{port}", log)
        pgdata = data / "pgdata"
        listening_on = _socket_of(pgdata)
        assert _listening(listening_on) and _postgres_of(pgdata), "the embedded server runs"
        proc.send_signal(sig)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    leftovers = _postgres_of(pgdata)
    for leftover in leftovers:  # do not leave them to the next test
        leftover.kill()
    assert leftovers == [], f"{sig.name}: the embedded PostgreSQL outlived erp serve\n{log.read_text()}"
    assert not _listening(listening_on), f"{sig.name}: something still listens on {listening_on}"
    return proc.returncode


def test_serve_stops_its_embedded_postgres_on_sigterm_and_sigint(tmp_path):
    # Not under tmp_path: the embedded server (not root) must be able to read its files (see test_serve.py).
    holder = tempfile.TemporaryDirectory(prefix="erp-serve-stop-")
    data = Path(holder.name) / "data"
    try:
        code = _serve_then(signal.SIGTERM, data, tmp_path / "term.log")
        assert code == 0, (tmp_path / "term.log").read_text()
        # a user of the server killed with -9 stays in the wheel's list; it must not keep the server alive
        handles = data / "pgdata" / ".handle_pids.json"
        dead = psutil.Popen(["true"])
        dead.wait()
        handles.write_text(json.dumps([dead.pid]))
        _serve_then(signal.SIGINT, data, tmp_path / "int.log")
    finally:
        holder.cleanup()
