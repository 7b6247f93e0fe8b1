"""Finding the database: the given ``DATABASE_URL``, or the embedded server."""

from __future__ import annotations

import asyncio

from erp.platform.db import connect
from erp.settings import Settings


def database_url(settings: Settings) -> str:
    """The URL to use; starts the embedded PostgreSQL when none is configured."""
    if settings.database_url:
        return settings.database_url
    from erp import embedded

    return embedded.start(settings.data_dir)


async def check_reachable(url: str) -> None:
    """Raise :class:`DatabaseUnavailable` with advice when ``url`` does not answer."""
    conn = await connect(url)
    await conn.close()


def check_reachable_sync(url: str) -> None:
    asyncio.run(check_reachable(url))
