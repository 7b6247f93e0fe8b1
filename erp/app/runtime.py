"""Finding the database: the given ``DATABASE_URL``, or the embedded server."""

from __future__ import annotations

import asyncio

from erp.app.settings import Settings
from erp.platform.db import connect


def database_url(settings: Settings) -> str:
    """The URL to use; starts the embedded PostgreSQL when none is configured."""
    if settings.database_url:
        return settings.database_url
    from erp.app import embedded

    return embedded.start(settings.data_dir)


async def check_reachable(url: str) -> None:
    """Raise :class:`DatabaseUnavailable` with advice when ``url`` does not answer."""
    conn = await connect(url)
    await conn.close()


def check_reachable_sync(url: str) -> None:
    asyncio.run(check_reachable(url))
