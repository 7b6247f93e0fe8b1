"""One LIKE escaper (issue 21, point 9): typed text becomes a LIKE pattern in one
function, :func:`erp.platform.listing.like_pattern`, and only
:mod:`erp.platform.listing` writes ``LIKE``/``ILIKE``. A second hand-made escaper is
how a search starts to treat ``%`` as "anything" on one screen and not on another."""

import ast
import re
from pathlib import Path

import erp
from erp.platform.listing import like_pattern

ROOT = Path(erp.__file__).parent.parent
THE_BUILDER = Path("erp/platform/listing.py")
LIKE = re.compile(r"\bI?LIKE\b")
WILDCARDS = ("%", "_", "\\")
ESCAPER = re.compile(r"escape_?like|like_?escape|like_?pattern", re.I)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of string statements (docstrings and the like): prose, not SQL."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}


def offences(path: Path) -> list[str]:
    """What in ``path`` builds a LIKE pattern or writes LIKE by itself."""
    tree = ast.parse(path.read_text())
    prose = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and ESCAPER.search(node.name):
            found.append(f"{node.lineno}: defines {node.name}()")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "replace"
              and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in WILDCARDS):
            found.append(f"{node.lineno}: escapes {node.args[0].value!r} by hand")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose
              and LIKE.search(node.value)):
            found.append(f"{node.lineno}: writes LIKE in {node.value.strip()[:60]!r}")
    return found


def sources() -> list[Path]:
    """Every module of the product; migrations are history, left as they ran."""
    return [p for folder in ("erp", "ui") for p in sorted((ROOT / folder).rglob("*.py"))
            if "migrations" not in p.relative_to(ROOT).parts[:-1]
            and not any(part.endswith("_migrations") for part in p.parts)]


def test_only_the_list_builder_escapes_a_like_pattern_or_writes_like():
    found = {str(p.relative_to(ROOT)): offences(p) for p in sources() if p.relative_to(ROOT) != THE_BUILDER}
    assert {path: problems for path, problems in found.items() if problems} == {}


def test_the_list_builder_has_exactly_one_escaper():
    escapers = [line for line in offences(ROOT / THE_BUILDER) if "defines" in line]
    assert [line.split("defines ")[1] for line in escapers] == ["like_pattern()"]


def test_the_escaper_keeps_every_wildcard_a_letter():
    assert like_pattern("50%") == "%50\\%%"
    assert like_pattern("a_b\\c", prefix=True) == "a\\_b\\\\c%"


def test_the_rule_sees_a_hand_made_escaper(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""Search with LIKE in prose is fine."""\n\n'
                      "def _escape_like(text):\n    return text.replace('%', '\\\\%')\n\n\n"
                      "SQL = f'SELECT id FROM cat_clients WHERE name ILIKE $1'\n")
    found = offences(module)
    assert len(found) == 3 and "defines _escape_like()" in found[0] and "ILIKE" in found[2], found
