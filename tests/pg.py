"""The test PostgreSQL: ``ERP_TEST_DATABASE_URL`` or an embedded server, a
migrated template database, and a fresh copy of it for every test."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


class TestPostgres:
    def __init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory | None = None
        url = os.environ.get("ERP_TEST_DATABASE_URL")
        if not url:
            from erp.app import embedded

            self._tmp = tempfile.TemporaryDirectory(prefix="erp-test-pg-")
            url = embedded.start(Path(self._tmp.name), database="postgres")
        self.admin_url = url
        self.template = f"erp_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.admin_url)

    async def create_template(self) -> None:
        from erp.app.migrate import migrate

        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{self.template}"')
        finally:
            await conn.close()
        await migrate(self.url_of(self.template))
        conn = await self._admin()
        try:
            # No connection may stay open to a template while it is copied.
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                self.template,
            )
        finally:
            await conn.close()

    def url_of(self, database: str) -> str:
        return with_database(self.admin_url, database)

    async def create_database(self) -> str:
        name = f"erp_t_{uuid.uuid4().hex[:12]}"
        conn = await self._admin()
        try:
            # WAL_LOG: FILE_COPY forces a checkpoint per database (0.2-2 s each here); the small
            # template goes through the WAL in about 0.1 s.
            await conn.execute(
                f'CREATE DATABASE "{name}" TEMPLATE "{self.template}" STRATEGY WAL_LOG'
            )
        finally:
            await conn.close()
        return name

    async def drop_database(self, name: str) -> None:
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def close(self) -> None:
        async def drop_template() -> None:
            await self.drop_database(self.template)

        try:
            asyncio.run(drop_template())
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()
