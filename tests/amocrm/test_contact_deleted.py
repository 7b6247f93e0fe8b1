"""A contact deleted in amoCRM (issue 17, point 2): the client stays with its documents, the link is dropped and
the exchange log says so once; the client's form and card say the contact was deleted; the outbox no longer
PATCHes it, and a PATCH that meets a contact deleted meanwhile (404, or 400 NotFound) drops the link instead of
retrying forever; a lead with a new contact books that contact's client; a contact restored in amoCRM is the same
client again."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from erp.amocrm import exchange_log
from erp.amocrm.deliver import deliver
from tests.amocrm.test_contacts import CONTACT, LEAD, booking, contact_lead, hook, outgoing
from tests.amocrm.test_widget_api import BOOK, token
from tests.ui.conftest import Browser

NAME = "Иванова Мария Петровна"


async def links(db) -> list[dict]:
    return [dict(r) for r in await db.fetch(
        "SELECT client_id, contact_id, deleted_at IS NOT NULL AS dropped FROM amocrm_contacts ORDER BY client_id")]


async def log_of(db, kind: str) -> list[dict]:
    return [dict(r) for r in await db.fetch(
        "SELECT contact_id, payload, result FROM amocrm_events WHERE kind = $1 ORDER BY id", kind)]


async def booked(client, db, fake, clinic, lead_id: int = LEAD, time_: str = "09:05") -> int:
    r = await client.post(BOOK, headers=token(fake), json=booking(clinic, lead_id, time_))
    assert r.status_code == 201, r.text
    return await db.fetchval("SELECT client_id FROM doc_requests WHERE id = $1", r.json()["request_id"])


async def test_the_delete_webhook_keeps_the_client_drops_the_link_once_and_stops_the_outbox(
        client, db, pool, settings, fake, connected, clinic, admin):
    contact_lead(fake)
    client_id = await booked(client, db, fake, clinic)
    fake.delete_contact(CONTACT)
    body = fake.contact_delete_payload(CONTACT)
    r = await hook(client, db, settings, body)
    assert r.status_code == 200, r.text
    assert r.json()["contacts_unlinked"] == [{"contact_id": CONTACT, "client_id": client_id, "client": NAME}]
    assert await links(db) == [{"client_id": client_id, "contact_id": CONTACT, "dropped": True}]
    kept = await db.fetchrow("SELECT name, deletion_mark FROM cat_clients WHERE id = $1", client_id)
    assert (kept["name"], kept["deletion_mark"]) == (NAME, False), "the client and its documents stay"
    assert await db.fetchval("SELECT count(*) FROM doc_requests WHERE client_id = $1 AND posted", client_id) == 1
    [logged] = await log_of(db, "contact_delete")
    assert logged["contact_id"] == CONTACT and logged["payload"] == {"client_id": client_id}
    assert f"Контакт {CONTACT} удалён в amoCRM" in logged["result"] and NAME in logged["result"]
    shown = (await exchange_log.list_events(db, settings.tz, kind="contact_delete"))[0]
    assert exchange_log.KIND_TITLES[shown[0]["kind"]] == "Контакт удалён в amoCRM"

    replay = await hook(client, db, settings, body)
    assert replay.status_code == 200 and replay.json()["contacts_unlinked"] == []
    assert len(await log_of(db, "contact_delete")) == 1, "a replay changes nothing and logs nothing"

    # the client changed here: nothing is queued for a contact that is not there
    changed = await client.patch(f"/api/catalogs/clients/{client_id}", headers=admin,
                                 json={"phone": "+7 999 000-00-01", "name": "Иванова М. П."})
    assert changed.status_code == 200, changed.text
    assert await outgoing(db) == []
    fake.reset_metrics()
    await deliver(pool, settings)
    assert [q for q in fake.requests if "contacts" in q["path"]] == []

    # a later update webhook of the deleted contact (late or replayed) is no news either
    late = await hook(client, db, settings, urlencode([
        ("contacts[update][0][id]", str(CONTACT)), ("contacts[update][0][name]", "Из прошлого"),
        ("contacts[update][0][type]", "contact"), ("account[id]", str(fake.account_id))]))
    assert late.status_code == 200 and late.json()["contacts"] == []
    assert await db.fetchval("SELECT name FROM cat_clients WHERE id = $1", client_id) == "Иванова М. П."

    # the form and the card say it, with no link to a contact card that is gone
    browser = Browser(client)
    await browser.login("admin-user")
    for page in (await browser.get(f"/catalogs/clients/{client_id}"), await browser.get(f"/clients/{client_id}")):
        assert "data-amocrm-contact-deleted" in page.text and f"{CONTACT} удалён в amoCRM" in page.text
        assert "клиент больше не связан с amoCRM" in page.text
        assert f"/contacts/detail/{CONTACT}" not in page.text


async def test_a_lead_with_a_new_contact_books_that_contacts_client_and_a_restored_contact_its_own(
        client, db, settings, fake, connected, clinic):
    contact_lead(fake)
    old = await booked(client, db, fake, clinic)
    fake.delete_contact(CONTACT)
    assert (await hook(client, db, settings, fake.contact_delete_payload(CONTACT))).status_code == 200

    fake.add_lead(LEAD + 1)
    fake.add_contact(CONTACT + 10, "Иванова Мария (новый контакт)", phones=["+7 912 000-11-22"])
    fake.link_contact(LEAD + 1, CONTACT + 10)
    new = await booked(client, db, fake, clinic, LEAD + 1, "10:05")
    assert new != old, "a new contact is a new client: the deleted contact's client is not guessed"
    assert await links(db) == [{"client_id": old, "contact_id": CONTACT, "dropped": True},
                               {"client_id": new, "contact_id": CONTACT + 10, "dropped": False}]

    # amoCRM restores the contact from its trash: its next booking is the same client, linked again
    fake.add_contact(CONTACT, NAME, phones=["+7 912 000-11-22"])
    fake.add_lead(LEAD + 2)
    fake.link_contact(LEAD + 2, CONTACT)
    again = await booked(client, db, fake, clinic, LEAD + 2, "11:05")
    assert again == old
    assert await links(db) == [{"client_id": old, "contact_id": CONTACT, "dropped": False},
                               {"client_id": new, "contact_id": CONTACT + 10, "dropped": False}]
    [restored] = await log_of(db, "contact_restore")
    assert restored["contact_id"] == CONTACT and "снова связан" in restored["result"]


async def test_a_patch_meeting_a_contact_deleted_meanwhile_drops_it_and_sends_the_rest(
        client, db, pool, settings, fake, connected, clinic, admin):
    """No webhook came: amoCRM answers the PATCH 404, the deliverer asks which contact is gone, drops its link and
    fails its event once; the other contact of the batch is delivered."""
    contact_lead(fake)
    gone = await booked(client, db, fake, clinic)
    fake.add_lead(LEAD + 1)
    fake.add_contact(CONTACT + 10, "Петров Пётр", phones=["+7 900 111-22-33"])
    fake.link_contact(LEAD + 1, CONTACT + 10)
    alive = await booked(client, db, fake, clinic, LEAD + 1, "10:05")
    for client_id in (gone, alive):
        r = await client.patch(f"/api/catalogs/clients/{client_id}", headers=admin, json={"phone": "+7 999 1"})
        assert r.status_code == 200
    fake.delete_contact(CONTACT)
    fake.reset_metrics()
    await deliver(pool, settings)
    events = {e["contact_id"]: e for e in await outgoing(db)}
    assert events[CONTACT + 10]["state"] == "delivered", events
    assert events[CONTACT]["state"] == "failed"
    assert f"Контакт {CONTACT} удалён в amoCRM (404)" in events[CONTACT]["last_error"]
    assert await links(db) == [{"client_id": gone, "contact_id": CONTACT, "dropped": True},
                               {"client_id": alive, "contact_id": CONTACT + 10, "dropped": False}]
    phones = next(f for f in fake.contact(CONTACT + 10)["custom_fields_values"] if f["field_code"] == "PHONE")
    assert phones["values"][0]["value"] == "+7 999 1"
    calls = [(q["method"], q["path"], q["status"]) for q in fake.requests if "contacts" in q["path"]]
    assert calls == [("PATCH", "/api/v4/contacts", 404),  # a 404 does not say which: each is asked
                     ("GET", f"/api/v4/contacts/{CONTACT}", 204), ("GET", f"/api/v4/contacts/{CONTACT + 10}", 200),
                     ("PATCH", "/api/v4/contacts", 200)], calls
    [logged] = await log_of(db, "contact_delete")
    assert "404" in logged["result"] and logged["payload"] == {"client_id": gone}

    # no retry forever: nothing is due, and a manual retry fails at once without calling amoCRM
    fake.reset_metrics()
    assert await deliver(pool, settings) == 0 and fake.requests == []
    await exchange_log.retry(db, events[CONTACT]["id"])
    assert await deliver(pool, settings) == 1
    assert [q for q in fake.requests if "contacts" in q["path"]] == []
    [again] = [e for e in await outgoing(db) if e["contact_id"] == CONTACT]
    assert again["state"] == "failed" and "удалён в amoCRM" in again["last_error"]
    assert len(await log_of(db, "contact_delete")) == 1


async def test_a_400_not_found_for_a_contact_amocrm_never_had_drops_it_too(client, db, pool, settings, fake, connected,
                                                                          admin):
    made = await client.post("/api/catalogs/clients", headers=admin, json={"name": "Клиент"})
    await db.execute("INSERT INTO amocrm_contacts (client_id, account_id, contact_id, known)"
                     " VALUES ($1, $2, $3, '{}')", made.json()["id"], fake.account_id, CONTACT + 77)
    await client.patch(f"/api/catalogs/clients/{made.json()['id']}", headers=admin, json={"phone": "+7 5"})
    await deliver(pool, settings)
    [event] = await outgoing(db)
    assert event["state"] == "failed" and f"Контакт {CONTACT + 77} удалён в amoCRM (400)" in event["last_error"]
    assert (await links(db))[0]["dropped"] is True


class FailingContactReads(httpx.AsyncHTTPTransport):
    """The real HTTP to the fake, except that reading a contact answers 500 (amoCRM failing for a moment)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.startswith("/api/v4/contacts/"):
            return httpx.Response(500, request=request)
        return await super().handle_async_request(request)


async def test_amocrm_failing_while_checking_a_refused_contact_drops_nothing_and_tries_again(
        client, db, pool, settings, fake, connected, clinic, admin):
    contact_lead(fake)
    client_id = await booked(client, db, fake, clinic)
    await client.patch(f"/api/catalogs/clients/{client_id}", headers=admin, json={"phone": "+7 5"})
    fake.delete_contact(CONTACT)
    await deliver(pool, settings, transport=FailingContactReads())
    [event] = await outgoing(db)
    assert event["state"] == "pending" and "500" in event["last_error"], event
    assert (await links(db))[0]["dropped"] is False and await log_of(db, "contact_delete") == []

    await db.execute("UPDATE amocrm_events SET next_attempt_at = now() WHERE id = $1", event["id"])
    await deliver(pool, settings)
    [event] = await outgoing(db)
    assert event["state"] == "failed" and (await links(db))[0]["dropped"] is True


async def test_bad_delete_webhooks_are_4xx_and_companies_are_left_alone(client, db, settings, fake, connected, clinic):
    contact_lead(fake)
    await booked(client, db, fake, clinic)
    before = await links(db), await db.fetchval("SELECT count(*) FROM amocrm_events")
    account = ("account[id]", str(fake.account_id))
    for case, pairs, status in (
            ("an id that is not a number", [("contacts[delete][0][id]", "²"), account], 422),
            ("a negative id", [("contacts[delete][0][id]", "-5"), account], 422),
            ("another account", [("contacts[delete][0][id]", str(CONTACT)), ("account[id]", "1")], 403),
            ("a company", [("contacts[delete][0][id]", str(CONTACT)), ("contacts[delete][0][type]", "company"),
                           account], 200)):
        r = await hook(client, db, settings, urlencode(pairs))
        assert r.status_code == status, (case, r.text)
        assert (await links(db), await db.fetchval("SELECT count(*) FROM amocrm_events")) == before, case
    stranger = await hook(client, db, settings, fake.contact_delete_payload(CONTACT + 500))
    assert stranger.status_code == 200 and stranger.json()["contacts_unlinked"] == []
