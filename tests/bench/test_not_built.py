"""Rows whose capability is not built yet (issue 20): they say "not built (reason)", are neither PASS
nor MISS, and the summary counts them apart; once a module measures them they are ordinary rows."""

from __future__ import annotations

from bench.core import SKELETON, Row, Target, merge
from bench.runner import verdicts

PLANNED = {e.id: e for e in SKELETON if e.planned}


def test_the_new_capabilities_rows_are_planned():
    assert set(PLANNED) == {"11", "14"}  # 12 and 13 are built (bench/client_import.py, bench/batch_posting.py)
    assert {e.id for e in SKELETON} >= {"4c", "4e"}
    assert all(e.module != "balances" for e in SKELETON if e.id in ("4c", "4e"))  # the old 4c is gone


def test_a_planned_row_without_its_module_is_not_built_and_not_counted():
    present = {e.module for e in SKELETON if not e.planned}
    rows = merge([], present, {})
    card = next(r for r in rows if r.id == "11")
    assert card.verdict == f"not built ({PLANNED['11'].planned})"
    assert not card.built and card.ratio is None
    measured = [Row(id="a", title="", target=Target("<=", 1, ""), ratio=0.5),
                Row(id="b", title="", target=Target("<=", 1, ""), ratio=2.0), card,
                Row(id="c", title="", target=Target("<=", 1, "")).unmeasured("error: boom")]
    assert verdicts(measured) == "1 PASS, 1 MISS, 1 not built, 1 not measured"


def test_a_planned_row_its_module_measures_is_an_ordinary_row():
    expected = PLANNED["14"]
    row = Row(id="14", title=expected.title, target=expected.target, ratio=3.0)
    (merged,) = [r for r in merge([row], {expected.module}, {}) if r.id == "14"]
    assert merged.built and merged.verdict == "PASS"
    assert Row(id="x", title="", target=expected.target).not_built("later").verdict == "not built (later)"
