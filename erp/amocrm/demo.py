"""The demo's amoCRM: ``erp serve --demo`` runs the fake amoCRM beside the server and connects to it, so
the demo's exchange log is alive (budgets, notes, the widget's API, webhooks) without a real account.

The fake lives in memory, so every start gets a fresh one: the demo's leads are created in it, the
connection is made again (a previous fake's connection is replaced, a real account's never), the
webhook is registered, and every lead's total is queued, so the new fake shows the demo's budgets.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from erp.amocrm import oauth, outbox, webhooks
from erp.amocrm.fake import FakeAmo, FakeAmoThread
from erp.app.settings import Settings
from erp.platform.db import connect

TIMES = [f"{m // 60:02d}:{m % 60:02d}" for m in range(7 * 60, 22 * 60, 5)]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


async def _linked_elsewhere(conn) -> str | None:
    base_url = await conn.fetchval("SELECT base_url FROM amocrm_connections WHERE id = 1 AND client_id <> ''")
    return base_url if base_url and urlsplit(base_url).hostname not in LOOPBACK else None


async def _link(fake: FakeAmoThread, settings: Settings, database_url: str, public_url: str) -> int:
    conn = await connect(database_url)
    try:
        leads = [r["lead"] for r in await conn.fetch(
            "SELECT amocrm_lead_id AS lead FROM doc_requests WHERE amocrm_lead_id IS NOT NULL UNION"
            " SELECT amocrm_lead_id FROM doc_invoices WHERE amocrm_lead_id IS NOT NULL ORDER BY 1")]
        for lead in leads:
            fake.add_lead(lead, name=f"Пациент по сделке {lead}")
        await oauth.connect(conn, settings, base_url=fake.base_url, client_id=fake.client_id,
                            client_secret=fake.client_secret, redirect_uri=f"{public_url}/api/amocrm/oauth/callback",
                            code=fake.issue_code(), create_fields=True)
        await webhooks.register(conn, settings, public_url)
        async with conn.transaction():
            for lead in leads:
                await outbox.enqueue(conn, "budget", lead, payload={"action": "demo"})
        return len(leads)
    finally:
        await conn.close()


def start(settings: Settings, database_url: str, public_url: str, say=print) -> FakeAmoThread | None:
    """Run the fake amoCRM in a thread and connect the demo to it; ``None`` when a real account is connected."""

    async def real_account() -> str | None:
        conn = await connect(database_url)
        try:
            return await _linked_elsewhere(conn)
        finally:
            await conn.close()

    elsewhere = asyncio.run(real_account())
    if elsewhere:
        say(f"amoCRM: подключён настоящий аккаунт ({elsewhere}); фейковый amoCRM не запускается.")
        return None

    async def doctors() -> list[str]:
        conn = await connect(database_url)
        try:
            return [r["name"] for r in await conn.fetch(
                "SELECT name FROM cat_doctors WHERE active AND NOT deletion_mark ORDER BY name")]
        finally:
            await conn.close()

    fake = FakeAmo.start_in_thread(doctors=asyncio.run(doctors()) or ["—"], time_values=TIMES)
    leads = asyncio.run(_link(fake, settings, database_url, public_url))
    say(f"Фейковый amoCRM: {fake.base_url} (аккаунт {fake.subdomain}, сделок: {leads}); "
        f"журнал обмена: {public_url}/integrations/exchange-log, состояние фейка: {fake.base_url}/_fake/state")
    return fake
