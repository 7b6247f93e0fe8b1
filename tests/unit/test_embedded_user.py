"""The embedded server's system user is made once, however many processes start it at once (pytest's
workers on a new machine: the wheel's own check-then-useradd let the second one fail every test)."""

import os
import pwd
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from erp.app.embedded import ensure_system_user

NAME = f"erp_probe_{os.getpid()}"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="only root makes system users")
def test_eight_processes_make_one_user_and_none_fails():
    try:
        with ProcessPoolExecutor(8) as pool:
            results = list(pool.map(ensure_system_user, [NAME] * 8))
        assert results == [None] * 8
        assert pwd.getpwnam(NAME).pw_name == NAME
        entries = [line for line in Path("/etc/passwd").read_text().splitlines() if line.startswith(f"{NAME}:")]
        assert len(entries) == 1
        ensure_system_user(NAME)  # once it exists, nothing to do
    finally:
        subprocess.run(["userdel", NAME], capture_output=True)
