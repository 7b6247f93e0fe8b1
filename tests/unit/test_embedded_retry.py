"""A first ``initdb`` that fails leaves a data directory without ``PG_VERSION``; the embedded server
empties it and initialises it again instead of failing every test of the run (seen once on a new machine)."""

import subprocess
import sys
import tempfile
from pathlib import Path

START = """
import sys
from pathlib import Path
from erp.app import embedded
url = embedded.start(Path(sys.argv[1]), database="postgres")
print(url)
"""


def test_a_data_directory_left_by_a_failed_initdb_is_initialised_again():
    with tempfile.TemporaryDirectory(prefix="erp-retry-") as root:
        pgdata = Path(root) / "pgdata"
        pgdata.mkdir()
        (pgdata / "left-over").write_text("an interrupted initdb")  # initdb refuses a non-empty directory
        done = subprocess.run([sys.executable, "-c", START, root], capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "postgresql://" in done.stdout
        assert (pgdata / "PG_VERSION").exists() and not (pgdata / "left-over").exists()
        assert "initdb failed" in done.stderr, "the first failure is logged with the directory's owner"
        # the process stopped its server on exit: nothing is left running on this directory
        running = subprocess.run(["pgrep", "-f", f"-D {pgdata}"], capture_output=True, text=True)
        assert running.stdout.strip() == ""
