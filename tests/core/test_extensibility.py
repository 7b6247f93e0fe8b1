"""Adding a document kind and a register takes one new module each, and no edit
of the engine; the platform core never imports the configuration."""

import ast
import re
import sys
import textwrap
from pathlib import Path

from litestar.testing import AsyncTestClient

import erp
from erp.platform.ddl import create_tables
from erp.platform.metadata import Registry

REGISTER_MODULE = '''
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

visits = AccumulationRegister("visits", kind="turnover", title="Визиты",
                              dimensions=(Field("room", "int", required=True),),
                              resources=(Field("count", "quantity"),))
'''

DOCUMENT_MODULE = '''
from erp.platform.document import DocumentKind
from erp.platform.fields import Field
from plugin_pkg.visits import visits


def movements(doc, _inputs):
    return {visits: [visits.turnover(doc.date, room=doc.room, count=1)]}


visit_logs = DocumentKind("visit-logs", "Журнал визитов", header=(Field("room", "int", "Кабинет", required=True),),
                          registers=(visits,), movements=movements)
'''


async def test_a_new_document_and_register_are_one_module_each(tmp_path, db, settings, database_url, users):
    package = tmp_path / "plugin_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "visits.py").write_text(textwrap.dedent(REGISTER_MODULE))
    (package / "visit_log.py").write_text(textwrap.dedent(DOCUMENT_MODULE))
    sys.path.insert(0, str(tmp_path))
    try:
        registry = Registry().discover("plugin_pkg")
    finally:
        sys.path.remove(str(tmp_path))
    assert set(registry.documents) == {"visit-logs"} and set(registry.registers) == {"visits"}
    await create_tables(db, registry.tables(), extra=registry.extra_ddl())
    from erp.app.application import create_app

    h = await users.headers("accountant")
    async with AsyncTestClient(app=create_app(settings, database_url, registry=registry)) as client:
        for room in (3, 3, 5):
            r = await client.post("/api/documents/visit-logs?post=true", json={"room": room}, headers=h)
            assert r.status_code == 201, r.text
        today = r.json()["date"][:10]
        counts = (await client.get(f"/api/registers/visits/turnovers?start={today}&end={today}", headers=h)).json()
    assert {row["room"]: row["count"] for row in counts} == {3: "2.000", 5: "1.000"}


def _imports(path: Path) -> list[str]:
    """Every absolute module an ``import`` or ``from ... import`` in the file names, at any depth of the AST."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            # ``from erp import api`` and ``from ui import lists`` import a module by its attribute name
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names


def _offenders(packages: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    root = Path(erp.__file__).parent.parent
    found = []
    for package in packages:
        folder = root.joinpath(*package.split("."))
        assert folder.is_dir(), package
        for path in sorted(folder.rglob("*.py")):
            found += [f"{path.relative_to(root)}: {name}" for name in _imports(path)
                      if any(name == f or name.startswith(f + ".") for f in forbidden)]
    return found


def test_the_platform_core_never_imports_the_configuration():
    forbidden = ("erp.catalogs", "erp.documents", "erp.registers", "erp.configuration", "erp.demo",
                 "erp.amocrm", "erp.printing", "erp.services", "erp.app", "erp.api", "ui")
    assert _offenders(("erp.platform",), forbidden) == []


def test_the_configuration_and_the_services_never_import_the_api_or_the_ui():
    assert _offenders(("erp.catalogs", "erp.documents", "erp.registers", "erp.services"), ("erp.api", "ui")) == []


def test_the_import_rules_see_an_offending_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from erp import api\n\ndef f():\n    import ui.queries.lists\n    from uuid import uuid4\n")
    names = _imports(module)
    assert "erp.api" in names and "ui.queries.lists" in names and "uuid" in names


_SQL = re.compile(r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|CREATE\s+(UNIQUE\s+)?"
                  r"(INDEX|TABLE)|ALTER\s+TABLE|DO\s+\$\$)", re.IGNORECASE | re.DOTALL)


def _sql_strings(path: Path) -> list[str]:
    return [f"{path.name}:{node.lineno}" for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value)]


def test_the_documents_declare_what_they_read_and_say_no_sql():
    """A kind's reads are typed needs, its indexes and no-overlap rules declarations: no SQL in erp/documents."""
    folder = Path(erp.__file__).parent / "documents"
    assert [s for path in sorted(folder.glob("*.py")) for s in _sql_strings(path)] == []


def test_the_sql_rule_sees_sql(tmp_path):
    module = tmp_path / "kind.py"
    module.write_text('Q = "SELECT id FROM cat_clients"\nD = """DO $$ BEGIN END $$"""\nok = "Выбрать из списка"\n')
    assert _sql_strings(module) == ["kind.py:1", "kind.py:2"]
