"""Webhooks: a lost or deleted lead frees the doctor's time; repeats and strangers change nothing."""

from __future__ import annotations

from urllib.parse import urlencode

from erp.amocrm import connection, webhooks
from erp.amocrm.outbox import people_number
from tests.amocrm.conftest import render, request_for_lead

LEAD = 219219


def form(fake, event: str, lead_id: int, account_id: int | None = None, **extra) -> bytes:
    pairs = [(f"leads[{event}][0][id]", str(lead_id))]
    pairs += [(f"leads[{event}][0][{k}]", str(v)) for k, v in extra.items()]
    pairs += [("account[subdomain]", fake.subdomain), ("account[id]", str(account_id or fake.account_id))]
    return urlencode(pairs).encode()


async def hook(client, db, settings, body: bytes, secret: str | None = None):
    secret = secret or (await connection.load(db, settings.secret_key)).webhook_secret
    return await client.post(f"/api/amocrm/webhook/{secret}", content=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})


async def posted(db, request_id: int) -> bool:
    return await db.fetchval("SELECT posted FROM doc_requests WHERE id = $1", request_id)


async def inbound(db) -> list[dict]:
    return [dict(r) for r in await db.fetch("SELECT * FROM amocrm_events WHERE direction = 'in' ORDER BY id")]


async def test_a_lost_lead_unposts_its_requests_and_repeats_change_nothing(client, db, settings, engine, clinic,
                                                                          fake, connected):
    result = await webhooks.register(db, settings, "https://erp.clinic.test")
    secret = (await connection.load(db, settings.secret_key)).webhook_secret
    assert fake.webhooks[0]["destination"] == f"https://erp.clinic.test/api/amocrm/webhook/{secret}"
    assert fake.webhooks[0]["settings"] == ["status_lead", "delete_lead", "update_contact", "delete_contact"]
    assert secret not in result["destination"], "the CLI does not print the secret"

    request = await request_for_lead(db, engine, clinic, LEAD, post=True)
    body = form(fake, "status", LEAD, status_id=143, pipeline_id=5000001, old_status_id=50000001)
    r = await hook(client, db, settings, body)
    assert r.status_code == 200, r.text
    assert not await posted(db, request.id)
    free = await db.fetchval("SELECT count(*) FROM doc_requests WHERE posted AND doctor_id = $1", clinic.efimova)
    assert free == 0, "the doctor's time is free again"
    again = await hook(client, db, settings, body)
    assert again.status_code == 200 and not await posted(db, request.id)
    log = await inbound(db)
    assert [e["kind"] for e in log] == ["lead_lost", "lead_lost"]
    assert "отменена, время врача освобождено" in log[0]["result"]
    assert "проведённых заявок нет" in log[1]["result"]


async def test_a_request_with_a_posted_rendering_is_kept_and_the_log_says_why(client, db, settings, engine, clinic,
                                                                             fake, connected):
    request = await request_for_lead(db, engine, clinic, LEAD, post=True)
    sr = await render(db, engine, clinic, request.id, "150.00")
    r = await hook(client, db, settings, form(fake, "delete", LEAD))
    assert r.status_code == 200
    assert await posted(db, request.id)
    result = (await inbound(db))[0]["result"]
    assert result.startswith("Сделка удалена: заявка №") and "оставлена" in result
    assert f"«Оказание услуг» № {people_number(sr.number)}" in result


async def test_unknown_events_are_ignored_and_strangers_refused(client, db, settings, engine, clinic, fake,
                                                                connected):
    request = await request_for_lead(db, engine, clinic, LEAD, post=True)
    odd = urlencode({"account[id]": fake.account_id, "unsorted[add][0][uid]": "x", "leads[status]": "flat"}).encode()
    for body in (form(fake, "status", LEAD, status_id=142), form(fake, "add", LEAD), odd):
        r = await hook(client, db, settings, body)
        assert r.status_code == 200, r.text
    assert await posted(db, request.id)
    assert await inbound(db) == []

    wrong = await hook(client, db, settings, form(fake, "delete", LEAD), secret="guessed")
    assert wrong.status_code == 403 and wrong.json()["code"] == "webhook_secret"
    foreign = await hook(client, db, settings, form(fake, "delete", LEAD, account_id=42))
    assert foreign.status_code == 403 and foreign.json()["code"] == "webhook_account"
    assert await posted(db, request.id)
