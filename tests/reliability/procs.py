"""``erp serve`` and ``erp worker`` as real processes on one test database: started side by side,
killed with SIGKILL in the middle of their work, started again, stopped at the end. Everything
listens on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import SECRET, free_port


def erp_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of every process of a test: its database, and a worker inside ``erp serve`` too."""
    return {**os.environ, "DATABASE_URL": database_url, "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(data_dir),
            "ERP_HOST": "127.0.0.1", "ERP_WORKER_IN_SERVE": "1", "PYTHONUNBUFFERED": "1"}


def erp_cli(database_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """One ``erp`` command run to its end."""
    return subprocess.run([sys.executable, "-m", "erp.app.cli", *args], env=erp_env(database_url, data_dir),
                          capture_output=True, text=True, timeout=120)


class Erp:
    """One ``erp serve`` or ``erp worker`` that can be killed and started again (on the same port)."""

    def __init__(self, command: str, database_url: str, tmp_path: Path, name: str) -> None:
        self.command, self.name = command, name
        self.env = erp_env(database_url, tmp_path / "data")
        self.log = tmp_path / f"{name}.log"
        self.port = free_port() if command == "serve" else None
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        args = [self.command] + (["--port", str(self.port)] if self.port else [])
        with self.log.open("a") as out:
            out.write(f"--- start {self.starts + 1}\n")
            out.flush()
            self.proc = subprocess.Popen([sys.executable, "-m", "erp.app.cli", *args], env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT)
        self.starts += 1

    async def ready(self, within: float = 60.0) -> None:
        """Wait until the server answers ``/health`` or the worker has entered its job loop."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=1.0) as http:
            while time.monotonic() < deadline:
                if not self.running:
                    raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
                if self.port is None:
                    if self.log.read_text().split(f"--- start {self.starts}\n")[-1].count("Фоновые задания"):
                        return
                else:
                    try:
                        if (await http.get(f"{self.base_url}/health")).status_code == 200:
                            return
                    except httpx.HTTPError:
                        pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start within {within} s: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """``kill -9``: no shutdown, no cleanup, open transactions and in-flight calls cut off."""
        assert self.proc is not None and self.running, f"{self.name} is not running"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.running:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class Fleet:
    """The processes of one test; whatever still runs at the end is stopped."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.database_url, self.tmp_path = database_url, tmp_path
        self.all: list[Erp] = []

    def serve(self, name: str) -> Erp:
        return self._add(Erp("serve", self.database_url, self.tmp_path, name))

    def worker(self, name: str) -> Erp:
        return self._add(Erp("worker", self.database_url, self.tmp_path, name))

    def _add(self, proc: Erp) -> Erp:
        self.all.append(proc)
        return proc

    async def start(self, *procs: Erp) -> None:
        """Start side by side and wait for all of them."""
        for proc in procs:
            proc.start()
        await asyncio.gather(*(proc.ready() for proc in procs))

    def stop(self) -> None:
        for proc in self.all:
            if proc.running:
                proc.proc.terminate()
        for proc in self.all:
            proc.stop()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
