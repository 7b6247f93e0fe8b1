"""Row 13 (issue 20): re-posting through the engine's batch call against one by one is measured on
the same documents in the same run, and both leave the same movements and totals that agree with
them. Rows 2a/2b name the statements they count."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from bench.posting import role

ROOT = Path(__file__).resolve().parents[2]


def test_row_13_times_batch_and_one_by_one_on_the_same_rows(postgres, tmp_path):
    rows_json = tmp_path / "rows.json"
    env = {**os.environ, "ERP_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "smoke", "--only", "batch_posting", "--database-url",
         postgres.admin_url, "--output", str(tmp_path / "BENCHMARKS.md"), "--json", str(rows_json), "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]

    (row,) = json.loads(rows_json.read_text())["rows"]
    assert row["id"] == "13" and row["built"]
    assert row["verdict"] in ("PASS", "MISS"), row  # the ratio against 2× depends on the machine
    assert isinstance(row["ratio"], float) and math.isfinite(row["ratio"]) and row["ratio"] > 0
    assert row["measured"].endswith("docs/s") and row["comparison"].startswith("one by one ")
    assert "movements identical after every re-post, batch or one by one" in row["note"]
    assert "check_totals: 0 differences" in row["note"]


def test_the_statements_counted_are_named():
    assert role("BEGIN;") == "BEGIN" and role("COMMIT") == "COMMIT"
    assert role('SELECT d.* FROM "doc_x" d WHERE d.id = $1 FOR UPDATE OF d') == "load and lock"
    assert role("WITH old_0 AS (DELETE FROM m RETURNING 1) SELECT 1") == "write"
    assert role("SELECT (SELECT ROW(t.name) FROM cat_warehouses AS t WHERE t.id = $1) AS n0") == "read"
