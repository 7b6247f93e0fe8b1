"""``erp bench seed`` makes the skewed history of row 4c (issue 20): keys of a long history and keys of
a short one, each with exactly the movements asked for, on a warehouse of their own (the other keys'
history is untouched), spread over the years, with totals that agree with the movements."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from erp.app.cli import main
from erp.platform.db import connect
from tests.conftest import SECRET

COUNTS = """
SELECT warehouse_id, nomenclature_id, count(*) AS n, min(period) AS first, max(period) AS last
FROM reg_stock_movements GROUP BY 1, 2 ORDER BY 1, 2
"""


def test_seed_makes_keys_of_long_and_short_history(postgres, tmp_path):
    name = asyncio.run(postgres.create_database())
    url = postgres.url_of(name)
    env = {"DATABASE_URL": url, "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    try:
        done = CliRunner(env=env).invoke(main, [
            "bench", "seed", "--movements", "2000", "--keys", "20", "--years", "2", "--long-keys", "3",
            "--long-movements", "5000", "--short-keys", "7", "--short-movements", "40"])
        assert done.exit_code == 0, done.output
        assert "расхождений 0" in done.output

        async def counts():
            conn = await connect(url)
            try:
                return await conn.fetch(COUNTS)
            finally:
                await conn.close()

        rows = asyncio.run(counts())
    finally:
        asyncio.run(postgres.drop_database(name))
    warehouses = sorted({r["warehouse_id"] for r in rows})
    assert len(warehouses) == 11  # the clinic's 10 and the long history's own
    skewed = [r for r in rows if r["warehouse_id"] == warehouses[-1]]
    assert sorted(r["n"] for r in skewed) == [40] * 7 + [5000] * 3
    assert sum(r["n"] for r in rows if r["warehouse_id"] != warehouses[-1]) == 2000  # the rest as asked
    for r in skewed:  # every key's history spans the two years, not a burst
        assert (r["last"] - r["first"]).days > 365, r
