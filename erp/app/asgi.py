"""The ASGI entry point for ``erp serve`` (one or several uvicorn workers).

The parent process has already resolved and migrated the database and put
its URL into ``DATABASE_URL``."""

from __future__ import annotations

from litestar import Litestar

from erp.app.settings import load_settings


def create() -> Litestar:
    from erp.app.application import create_app

    settings = load_settings()
    assert settings.database_url, "erp serve sets DATABASE_URL before starting workers"
    return create_app(settings, settings.database_url, with_worker=settings.run_worker_in_serve)
