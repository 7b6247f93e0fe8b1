"""Rows whose capability is not built yet (issue 20): they say "not built (reason)", are neither PASS
nor MISS, and the summary counts them apart; once a module measures them they are ordinary rows."""

from __future__ import annotations

import pytest

import bench.core
from bench.core import SKELETON, Expected, Row, Target, merge
from bench.runner import verdicts

BUILT = {"11": "client_card", "12": "client_import", "13": "batch_posting", "14": "inventory_count"}
LATER = Expected("99", "teleport", "Телепортация пациента", Target("<=", 1, "≤ 1 s"), planned="no teleport yet")


@pytest.fixture
def with_a_planned_row(monkeypatch):
    monkeypatch.setattr(bench.core, "SKELETON", (*SKELETON, LATER))


def test_the_new_capabilities_rows_have_their_modules():
    by_id = {e.id: e for e in SKELETON}
    assert {i: by_id[i].module for i in BUILT} == BUILT and not any(by_id[i].planned for i in BUILT)
    assert {e.id for e in SKELETON} >= {"4c", "4e"}
    assert all(e.module != "balances" for e in SKELETON if e.id in ("4c", "4e"))  # the old 4c is gone


def test_a_planned_row_without_its_module_is_not_built_and_not_counted(with_a_planned_row):
    present = {e.module for e in SKELETON}
    rows = merge([], present, {})
    later = next(r for r in rows if r.id == "99")
    assert later.verdict == "not built (no teleport yet)"
    assert not later.built and later.ratio is None
    measured = [Row(id="a", title="", target=Target("<=", 1, ""), ratio=0.5),
                Row(id="b", title="", target=Target("<=", 1, ""), ratio=2.0), later,
                Row(id="c", title="", target=Target("<=", 1, "")).unmeasured("error: boom")]
    assert verdicts(measured) == "1 PASS, 1 MISS, 1 not built, 1 not measured"


def test_a_planned_row_its_module_measures_is_an_ordinary_row(with_a_planned_row):
    row = Row(id="99", title=LATER.title, target=LATER.target, ratio=0.5)
    (merged,) = [r for r in merge([row], {LATER.module}, {}) if r.id == "99"]
    assert merged.built and merged.verdict == "PASS"
    assert Row(id="x", title="", target=LATER.target).not_built("later").verdict == "not built (later)"
