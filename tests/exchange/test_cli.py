"""``erp export enterprise-data --org --from --to --out FILE [--all]`` (issue 19, point 3): the same export
as the admin page, written to a file that validates; the organization by its INN as well as its id; a
second run without changes sends nothing, ``--all`` everything again under the same references; bad
input is a Russian message with its code, exit 1, and neither a file nor a log entry."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from tests.conftest import SECRET

from .conftest import objects, valid
from .test_enterprise_data import documents


async def erp(env: dict, *args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "erp.app.cli", *args],
                                   capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


async def test_the_command_writes_a_valid_file_and_re_exports_only_changes(api, clinic, database_url, tmp_path,
                                                                            db):
    docs = await documents(api, clinic)
    env = {"DATABASE_URL": database_url, "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(tmp_path / "data"),
           "COLUMNS": "200"}
    period = ("--from", "2026-11-01", "--to", "2026-11-30")
    first = tmp_path / "first.xml"
    r = await erp(env, "export", "enterprise-data", "--org", "7707083893", *period, "--out", str(first))
    assert r.returncode == 0, r.stderr
    assert "Сообщение № 1" in r.stderr and "Контрагенты: 2" in r.stderr
    sent = objects(valid(first.read_bytes()))
    assert len(sent) == 9

    second = tmp_path / "second.xml"
    r = await erp(env, "export", "enterprise-data", "--org", str(clinic.org), *period, "--out", str(second))
    assert r.returncode == 0 and "ничего не изменилось" in r.stderr
    assert objects(valid(second.read_bytes())) == []
    r = await erp(env, "export", "enterprise-data", "--org", str(clinic.org), *period, "--all", "--out", str(second))
    assert r.returncode == 0
    assert objects(valid(second.read_bytes())) == sent

    exports = await db.fetchval("SELECT count(*) FROM enterprise_data_exports")
    for args, message in (
            (("--org", str(clinic.org), "--from", "2026-11-30", "--to", "2026-11-01"),
             "конец периода раньше его начала (exchange_bad_period)"),
            (("--org", str(clinic.org), "--from", "2026-11-01", "--to", "10000-01-01"), "(exchange_bad_date)"),
            (("--org", "Нет такой", *period), "организация «Нет такой» не найдена (exchange_unknown_organization)")):
        bad = tmp_path / "bad.xml"
        r = await erp(env, "export", "enterprise-data", *args, "--out", str(bad))
        assert r.returncode == 1 and message in " ".join(r.stderr.split()), r.stderr
        assert not bad.exists()
    r = await erp(env, "export", "enterprise-data", "--org", str(clinic.org), *period,
                  "--out", str(tmp_path / "no-such-dir" / "x.xml"))
    assert r.returncode == 1 and "export_bad_path" in r.stderr
    assert await db.fetchval("SELECT count(*) FROM enterprise_data_exports") == exports
    assert (await db.fetchval("SELECT author FROM enterprise_data_exports ORDER BY id LIMIT 1")).startswith("cli:")

    await api.post(f"/api/documents/payments/{docs['cash']['id']}/unpost")
    r = await erp(env, "export", "enterprise-data", "--org", str(clinic.org), *period, "--out", str(second))
    assert r.returncode == 0 and "больше не проведён" in " ".join(r.stderr.split()), r.stderr


async def test_the_command_has_help():
    r = await erp({}, "export", "enterprise-data", "--help")
    assert r.returncode == 0 and "--all" in r.stdout and "EnterpriseData" in r.stdout
