"""Demo data: an admin to log in with, then whatever the configuration adds.

Loading is idempotent: running it twice changes nothing. The admin's
generated password is kept in the data directory so it can be shown again.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from erp.auth.service import add_user

DemoStep = Callable[[asyncpg.Connection], Awaitable[None]]
STEPS: list[tuple[str, DemoStep]] = []
ADMIN = "admin"


def demo_step(title: str):
    """Register a step of the demo data; each must be idempotent."""

    def decorate(fn: DemoStep) -> DemoStep:
        STEPS.append((title, fn))
        return fn

    return decorate


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    created: bool


def _admin_password(data_dir: Path) -> str:
    path = data_dir / "demo_admin_password"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password)
    return password


async def ensure_admin(conn: asyncpg.Connection, data_dir: Path) -> DemoLogin:
    password = _admin_password(data_dir)
    exists = await conn.fetchval("SELECT 1 FROM users WHERE username = $1", ADMIN)
    if exists:
        return DemoLogin(ADMIN, password, created=False)
    await add_user(conn, ADMIN, "admin", password, full_name="Администратор")
    return DemoLogin(ADMIN, password, created=True)


def steps() -> list[tuple[str, DemoStep]]:
    from erp.demo import clinic, money  # noqa: F401  (register the clinic's demo steps, then its money and debts)

    return list(STEPS)
