"""Connecting: the code exchange, the account, the lead fields by name, secrets at rest, the UI's consent."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from erp.amocrm import connection, oauth
from erp.amocrm.fields import NAMES, MissingFields
from tests.amocrm.conftest import REDIRECT, connect


async def test_connect_reads_the_account_and_finds_every_field_across_pages(db, settings, fake):
    status = await connect(db, settings, fake)

    assert (status["account_id"], status["subdomain"]) == (fake.account_id, fake.subdomain)
    assert status["fields"] == {name: fake.field_id(name) for name in NAMES}
    assert status["token_expires_at"] is not None and not status["paused"]
    pages = [r for r in fake.requests if r["path"] == "/api/v4/leads/custom_fields"]
    assert len(pages) == 3, "five fields two to a page: the client followed _links.next"
    assert fake.state()["oauth"]["codes_used"] == 1


async def test_secrets_and_tokens_are_encrypted_at_rest_and_never_logged(db, settings, fake, caplog):
    caplog.set_level(logging.DEBUG)
    await connect(db, settings, fake)
    raw = str(dict(await db.fetchrow("SELECT * FROM amocrm_connections")))
    pair = fake.state()["oauth"]["refresh_tokens"][0]["token"]
    access = fake.state()["oauth"]["access_tokens"][0]["token"]
    for secret in (fake.client_secret, pair, access):
        assert secret not in raw
        assert secret not in caplog.text
    account = await connection.load(db, settings.secret_key)
    assert account.client_secret == fake.client_secret and account.access_token == access
    assert fake.client_secret not in repr(account) and access not in repr(account)


async def test_a_missing_field_is_named_and_create_fields_creates_it(db, settings, fake):
    fake.configure(omit_fields=["Врач", "Время записи"])
    with pytest.raises(MissingFields) as missing:
        await connect(db, settings, fake)
    assert "«Врач»" in missing.value.message and "«Время записи»" in missing.value.message
    assert (await connection.status(db))["connected"], "the tokens are kept: no new code needed to fix the fields"

    await oauth.refresh_fields(db, settings, create=True)
    created = {f["name"]: f for f in fake.state()["custom_fields"]}
    assert created["Врач"]["type"] == "select"
    assert (await connection.status(db))["fields"]["Врач"] == created["Врач"]["id"]

    fake.configure(omit_fields=["Сумма1С"])  # an admin removed it; connecting with --create-fields brings it back
    status = await connect(db, settings, fake, create_fields=True)
    assert status["fields"]["Сумма1С"] == fake.field_id("Сумма1С") != 1_000_001


async def test_a_used_code_is_a_clear_error(db, settings, fake):
    code = fake.issue_code()
    await oauth.connect(db, settings, base_url=fake.base_url, client_id=fake.client_id,
                        client_secret=fake.client_secret, redirect_uri=REDIRECT, code=code)
    with pytest.raises(oauth.AmoUnavailable, match="код авторизации"):
        await oauth.connect(db, settings, base_url=fake.base_url, client_id=fake.client_id,
                            client_secret=fake.client_secret, redirect_uri=REDIRECT, code=code)


async def test_the_ui_consent_link_and_the_callback_connect_the_account(client, admin, users, db, fake):
    manager = await users.headers("manager")
    refused = await client.post("/api/amocrm/connection/consent", headers=manager, json={
        "client_id": "x", "client_secret": "y", "redirect_uri": REDIRECT})
    assert refused.status_code == 403, "only an admin connects amoCRM"
    consent = await client.post("/api/amocrm/connection/consent", headers=admin, json={
        "client_id": fake.client_id, "client_secret": fake.client_secret, "redirect_uri": REDIRECT,
        "base_url": fake.base_url})
    assert consent.status_code == 200, consent.text
    url = consent.json()["url"]
    assert url.startswith(f"{fake.base_url}/oauth?")
    async with httpx.AsyncClient() as browser:
        back = await browser.get(f"{url}&{urlencode({'redirect_uri': REDIRECT})}")
    assert back.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}
    assert query["state"] == consent.json()["state"]

    forged = await client.get("/api/amocrm/oauth/callback", params={**query, "state": "forged"})
    assert forged.status_code == 422 and "Подключить" in forged.text
    done = await client.get("/api/amocrm/oauth/callback", params=query)
    assert done.status_code == 200, done.text
    assert "подключён" in done.text
    status = (await client.get("/api/amocrm/connection", headers=admin)).json()
    assert status["account_id"] == fake.account_id and status["fields"]["Сумма1С"] == fake.field_id("Сумма1С")
    again = await client.get("/api/amocrm/oauth/callback", params=query)
    assert again.status_code == 422, "a state works once"


async def test_a_callback_from_a_foreign_referer_is_refused(db, settings):
    started = await oauth.start_consent(db, settings, client_id="id", client_secret="secret", redirect_uri=REDIRECT)
    assert started["url"].startswith("https://www.amocrm.ru/oauth?")
    with pytest.raises(Exception, match="адрес аккаунта amoCRM не распознан"):
        await oauth.complete_consent(db, settings, code="c", state=started["state"], referer="evil.example.com")
