"""Row 11 (issues 17 and 20): the client card of a client with many documents is timed through a real
``erp serve`` at smoke size, and each answer it timed was the whole card of that client."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_row_11_times_the_client_card(postgres, tmp_path):
    rows_json = tmp_path / "rows.json"
    env = {**os.environ, "ERP_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "smoke", "--only", "client_card", "--database-url",
         postgres.admin_url, "--output", str(tmp_path / "BENCHMARKS.md"), "--json", str(rows_json), "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]

    (row,) = json.loads(rows_json.read_text())["rows"]
    assert row["id"] == "11" and row["built"]
    assert row["verdict"] in ("PASS", "MISS"), row  # 50 ms against this machine's load
    assert isinstance(row["ratio"], float) and math.isfinite(row["ratio"]) and row["ratio"] > 0
    assert row["measured"].endswith("ms") and row["comparison"].startswith("HTTP floor (/health)")
    assert row["workload"].startswith("100 documents of one client") and "/api/clients/{id}/summary" in row["workload"]
