"""``erp serve --demo`` runs the fake amoCRM beside the server, connected, so the exchange log is alive."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.amocrm.conftest import eventually
from tests.conftest import SECRET, free_port

pytestmark = pytest.mark.e2e


def serve_demo(database_url: str, tmp_path, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(tmp_path)}
    with (tmp_path / "serve.log").open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "erp.app.cli", "serve", "--demo", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


async def test_the_demo_exchanges_with_its_fake_amocrm(database_url, tmp_path, admin):
    port = free_port()
    log = tmp_path / "serve.log"
    proc = serve_demo(database_url, tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    if (await http.get("/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.2)
            status = (await http.get("/api/amocrm/connection", headers=admin)).json()
            assert status["connected"] and status["base_url"].startswith("http://127.0.0.1:")
            assert "Фейковый amoCRM" in log.read_text()
            # the banner sends people to pages: the exchange log's page, not its API route
            assert f"{base}/integrations/exchange-log" in log.read_text()
            assert "/api/amocrm/exchange-log" not in log.read_text()

            async def delivered() -> list[dict]:
                page = await http.get("/api/amocrm/exchange-log", params={"state": "delivered", "direction": "out"},
                                      headers=admin)
                return page.json()["items"]

            items = await eventually(delivered, within=30)
            assert any(e["lead_id"] == 219219 and e["kind"] == "budget" for e in items), items
            fake_state = (await http.get(f"{status['base_url']}/_fake/state", params={"log": 0})).json()
            lead = next(x for x in fake_state["leads"] if x["id"] == 219219)
            assert lead["price"] > 0, "the demo's rendered services reached the lead's budget"
            assert fake_state["webhooks"][0]["destination"].startswith(f"{base}/api/amocrm/webhook/")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
