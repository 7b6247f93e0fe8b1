"""Issue 14, point 6: a webhook is all or nothing, and amoCRM's 64-bit lead ids fit everywhere.

amoCRM's ids are 64-bit: a lead id over 2³¹ is an ordinary lead, kept in ``amocrm_lead_id`` (bigint)
of Requests and Invoices. A webhook's leads are released in one transaction, so a failure in the middle
of one leaves nothing half done.
"""

from __future__ import annotations

from urllib.parse import urlencode

from erp.amocrm import webhooks
from tests.amocrm.conftest import request_for_lead
from tests.amocrm.test_webhooks import hook, inbound, posted

LEAD = 219219
BIG_LEAD = 31_000_000_000  # over int4, as amoCRM's ids grow


def two_lost(fake, *lead_ids: int | str) -> bytes:
    pairs = []
    for n, lead_id in enumerate(lead_ids):
        pairs += [(f"leads[status][{n}][id]", str(lead_id)), (f"leads[status][{n}][status_id]", "143")]
    pairs += [("account[id]", str(fake.account_id))]
    return urlencode(pairs).encode()


async def test_a_webhook_with_a_64_bit_lead_id_releases_every_lead(client, db, settings, engine, clinic, fake,
                                                                  connected):
    small = await request_for_lead(db, engine, clinic, LEAD, post=True)
    big = await request_for_lead(db, engine, clinic, BIG_LEAD, starts="2021-12-22T10:05:00", post=True)
    assert await db.fetchval("SELECT amocrm_lead_id FROM doc_requests WHERE id = $1", big.id) == BIG_LEAD
    over = await hook(client, db, settings, two_lost(fake, LEAD, 2**63))
    assert over.status_code == 422 and over.json()["code"] == "webhook_malformed", over.text
    assert await posted(db, small.id) and await inbound(db) == [], "a body with a bad id changes nothing"
    r = await hook(client, db, settings, two_lost(fake, LEAD, BIG_LEAD))
    assert r.status_code == 200, r.text
    assert r.json()["released_leads"] == [LEAD, BIG_LEAD]
    assert not await posted(db, small.id) and not await posted(db, big.id)
    assert [e["lead_id"] for e in await inbound(db)] == [LEAD, BIG_LEAD]


async def test_a_failure_in_the_middle_of_a_webhook_undoes_its_first_part(client, db, settings, engine, clinic,
                                                                          fake, connected, monkeypatch):
    first = await request_for_lead(db, engine, clinic, LEAD, post=True)
    release = webhooks._release

    async def failing_on_the_second(conn, engine_, lead_id, kind, reason):
        if lead_id == BIG_LEAD:
            raise RuntimeError("the database went away in the middle")
        return await release(conn, engine_, lead_id, kind, reason)

    monkeypatch.setattr(webhooks, "_release", failing_on_the_second)
    r = await hook(client, db, settings, two_lost(fake, LEAD, BIG_LEAD))
    assert r.status_code == 500
    assert await posted(db, first.id), "the first lead's Request is not released alone"
    assert await inbound(db) == []


async def test_documents_keep_64_bit_lead_ids_and_refuse_larger_ones(client, db, admin, clinic):
    body = {"doctor_id": clinic.efimova, "starts_at": "2021-12-22T11:05:00", "amocrm_lead_id": BIG_LEAD,
            "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "0"}]}
    r = await client.post("/api/documents/requests", headers=admin, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["amocrm_lead_id"] == BIG_LEAD
    invoice = await client.post("/api/documents/invoices", headers=admin, json={
        "organization_id": clinic.org, "client_id": await db.fetchval(
            "SELECT id FROM cat_clients WHERE predefined = 'amocrm_client'"), "amocrm_lead_id": BIG_LEAD,
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "100"}]})
    assert invoice.status_code == 201, invoice.text
    too_big = await client.post("/api/documents/requests", headers=admin, json={**body, "amocrm_lead_id": 2**63})
    assert too_big.status_code == 422, too_big.text
    assert "amocrm_lead_id" in too_big.text
