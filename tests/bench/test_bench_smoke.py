"""The benchmark suite keeps working: ``python -m bench --size smoke`` runs end
to end against the test PostgreSQL, writes the table with the date, the
machine and the command, and every row of the acceptance table is there with
a number for its ratio (whether a target is met depends on the machine, so
the verdicts are not asserted), except the rows whose capability is not built
yet: those say "not built (reason)", count as neither PASS nor MISS, and the
summary counts them apart."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from bench.core import SKELETON

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_size_runs_end_to_end(postgres, tmp_path):
    table, rows_json = tmp_path / "BENCHMARKS.md", tmp_path / "rows.json"
    env = {**os.environ, "ERP_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "smoke", "--database-url", postgres.admin_url,
         "--output", str(table), "--json", str(rows_json), "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]

    rows = {row["id"]: row for row in json.loads(rows_json.read_text())["rows"]}
    assert {e.id for e in SKELETON} <= set(rows)
    present = {p.stem for p in (ROOT / "bench").glob("*.py")}
    for expected in SKELETON:
        row = rows[expected.id]
        if expected.planned and expected.module not in present:
            assert row["verdict"] == f"not built ({expected.planned})" and row["ratio"] is None, row
            continue
        if expected.module not in present:
            assert row["verdict"] == "not measured (module missing)"
            continue
        if "not built yet" in row["verdict"]:  # the feature it times belongs to an area still at work
            continue
        assert isinstance(row["ratio"], float) and math.isfinite(row["ratio"]), row
        assert row["verdict"] in ("PASS", "MISS"), row

    unbuilt = sum(r["verdict"].startswith("not built") for r in rows.values())
    assert unbuilt >= sum(1 for e in SKELETON if e.planned and e.module not in present)
    verdicts = [r["verdict"] for r in rows.values()]
    summary = (f"- Verdicts: {verdicts.count('PASS')} PASS, {verdicts.count('MISS')} MISS, {unbuilt} not built, "
               f"{len(verdicts) - verdicts.count('PASS') - verdicts.count('MISS') - unbuilt} not measured")

    text = table.read_text()
    assert summary in text
    assert "- Date: " in text and "- Machine: " in text and "PostgreSQL " in text and "- Load average" in text
    assert "- Command: `python -m bench --size smoke" in text
    for expected in SKELETON:
        assert f"| {expected.id} | " in text
    assert rows["10b"]["measured"] == "0 differences" and rows["10c"]["measured"] == "0 differences"
