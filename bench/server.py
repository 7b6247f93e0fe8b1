"""A real ``erp serve`` process for the HTTP rows, and what it costs in memory.

The server runs as a subprocess on a free port with ``DATABASE_URL`` set to
the benchmark database (so it starts no embedded PostgreSQL and migrates
nothing new), with its background jobs inside as in production. The
benchmark talks to it with httpx clients as an admin with a bearer token.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from .core import Context


@dataclass
class Server:
    base_url: str
    proc: subprocess.Popen
    headers: dict[str, str]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_bytes(self) -> int:
        """Resident memory of the server process (Linux ``/proc``)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("VmRSS not found")

    def client(self, **kwargs) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        return httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=60, limits=limits, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def bearer_headers(ctx: Context, role: str = "admin") -> dict[str, str]:
    """A user of ``role`` created for the run, and its bearer header."""
    import secrets

    from erp.auth.service import Principal, add_user, issue_token

    pool = await ctx.pool()
    username = f"bench-{role}-{secrets.token_hex(3)}"
    async with pool.acquire() as conn:
        user_id = await add_user(conn, username, role, secrets.token_urlsafe(16))
    token = issue_token(Principal(user_id, username, role), ctx.settings.secret_key, 24 * 3600)
    return {"Authorization": f"Bearer {token}"}


def _spawn(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "erp.app.cli", "serve", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)


async def start_server(ctx: Context) -> Server:
    port = free_port()
    log = ctx.work_dir / "serve.log"
    env = {**os.environ, "DATABASE_URL": ctx.database_url, "ERP_SECRET_KEY": ctx.settings.secret_key,
           "ERP_DATA_DIR": str(ctx.work_dir / "serve-data"), "ERP_TIMEZONE": ctx.settings.timezone}
    proc = await asyncio.to_thread(_spawn, port, env, log)
    server = Server(f"http://127.0.0.1:{port}", proc, await bearer_headers(ctx), log)

    async def stop() -> None:
        proc.terminate()
        try:
            await asyncio.to_thread(proc.wait, 10)
        except subprocess.TimeoutExpired:
            proc.kill()

    ctx.on_close(stop)
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=server.base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"erp serve exited: {log.read_text()[-2000:]}")
            try:
                if (await client.get("/health")).status_code == 200:
                    ctx.log(f"erp serve pid {proc.pid} on {server.base_url}")
                    return server
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"erp serve did not answer in 60 s: {log.read_text()[-2000:]}")
