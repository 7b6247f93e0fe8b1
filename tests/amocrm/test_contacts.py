"""Issue 17, point 2: clients linked to amoCRM contacts, synchronised both ways against the fake amoCRM.

Booking from a lead takes the lead's main contact; a contact changed in amoCRM reaches its client by the
webhook; a client changed here (the form, the REST API, the Excel import) reaches its contact through the
outbox; neither side's change comes back as a change of the other."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from erp.amocrm import connection, webhooks
from erp.amocrm.deliver import deliver
from erp.app.application import create_app
from tests.amocrm.test_widget_api import BOOK, SLOTS, token
from tests.conftest import concurrent_client
from tests.imports.conftest import upload, xlsx
from tests.ui.conftest import Browser

LEAD, CONTACT = 31_337, 7_700_001
PHONE, EMAIL = "+7 912 000-11-22", "ivanova@example.ru"


def booking(clinic, lead_id: int = LEAD, time_: str = "09:05", **extra) -> dict:
    return {"lead_id": lead_id, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": time_, **extra}


async def hook(client, db, settings, body: str | bytes):
    secret = (await connection.load(db, settings.secret_key)).webhook_secret
    content = body if isinstance(body, bytes) else body.encode()
    return await client.post(f"/api/amocrm/webhook/{secret}", content=content,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})


async def linked(db) -> list[dict]:
    return [dict(r) for r in await db.fetch(
        "SELECT l.client_id, l.contact_id, c.name, c.phone, c.email FROM amocrm_contacts l"
        " JOIN cat_clients c ON c.id = l.client_id ORDER BY l.client_id")]


async def outgoing(db, kind: str = "contact") -> list[dict]:
    return [dict(r) for r in await db.fetch(
        "SELECT id, state, contact_id, result, last_error FROM amocrm_events WHERE direction = 'out' AND kind = $1"
        " ORDER BY id", kind)]


def contact_lead(fake, lead_id: int = LEAD, contact_id: int = CONTACT, name: str = "Иванова Мария Петровна"):
    fake.add_lead(lead_id)
    if fake.contact(contact_id) is None:
        fake.add_contact(contact_id, name, phones=[(PHONE, "MOB"), ("+7 495 111-22-33", "WORK")], emails=[EMAIL])
    fake.add_contact(contact_id + 1, "Другой контакт сделки", phones=["+7 900 000-00-00"])
    fake.link_contact(lead_id, contact_id + 1, is_main=False)
    fake.link_contact(lead_id, contact_id, is_main=True)


async def test_booking_takes_the_leads_main_contact_and_finds_it_next_time(client, db, fake, connected, clinic):
    contact_lead(fake)
    first = await client.post(BOOK, headers=token(fake), json=booking(clinic, client_name="Кто-то набранный"))
    assert first.status_code == 201, first.text
    [link] = await linked(db)
    assert link == {"client_id": link["client_id"], "contact_id": CONTACT, "name": "Иванова Мария Петровна",
                    "phone": PHONE, "email": EMAIL}, "the main contact, not the typed name nor the other contact"
    request = await db.fetchrow("SELECT client_id FROM doc_requests WHERE id = $1", first.json()["request_id"])
    assert request["client_id"] == link["client_id"]
    calls = [(r["method"], r["path"], r["query"]) for r in fake.requests if "contacts" in r["path"]
             or r["path"].startswith("/api/v4/leads/")]
    assert ("GET", f"/api/v4/contacts/{CONTACT}") in [(m, p) for m, p, _ in calls]
    assert any(p == f"/api/v4/leads/{LEAD}" and "contacts" in str(q) for _, p, q in calls), calls

    fake.add_lead(LEAD + 1)
    fake.link_contact(LEAD + 1, CONTACT)
    second = await client.post(BOOK, headers=token(fake), json=booking(clinic, LEAD + 1, "10:05"))
    assert second.status_code == 201, second.text
    assert len(await linked(db)) == 1
    clients = await db.fetchval("SELECT count(DISTINCT client_id) FROM doc_requests WHERE amocrm_lead_id >= $1", LEAD)
    assert clients == 1, "the second lead of the same contact books the same client"
    assert await outgoing(db) == [], "a client made from amoCRM's contact has nothing to send back"


async def test_a_lead_without_contacts_books_under_the_typed_name_as_before(client, db, fake, connected, clinic):
    fake.add_lead(LEAD)
    r = await client.post(BOOK, headers=token(fake), json=booking(clinic, client_name="Петров Пётр"))
    assert r.status_code == 201, r.text
    name = await db.fetchval("SELECT c.name FROM doc_requests r JOIN cat_clients c ON c.id = r.client_id"
                             " WHERE r.id = $1", r.json()["request_id"])
    assert name == "Петров Пётр" and await linked(db) == []


async def test_amocrm_failing_while_booking_is_a_clear_error_and_writes_nothing(client, db, fake, connected, clinic):
    contact_lead(fake)
    counts = "SELECT (SELECT count(*) FROM doc_requests) + (SELECT count(*) FROM cat_clients)"
    before = await db.fetchval(counts)
    fake.configure(error_rate=1.0, error_kinds=["500"])
    r = await client.post(BOOK, headers=token(fake), json=booking(clinic))
    fake.configure(error_rate=0.0)
    assert r.status_code == 502, r.text
    assert r.json()["code"] == "amocrm_contact_unavailable"
    assert "запись не создана" in r.json()["message"] and "500" in r.json()["message"]
    assert await db.fetchval(counts) == before and await linked(db) == []
    again = await client.post(BOOK, headers=token(fake), json=booking(clinic))
    assert again.status_code == 201, "once amoCRM answers, the same booking goes through"


async def test_sixteen_concurrent_bookings_of_one_contact_create_one_client(settings, database_url, db, fake, connected,
                                                                          clinic):
    app = create_app(settings, database_url, pool_size=18)
    async with concurrent_client(app) as http:
        slots = (await http.get(SLOTS, params={"date": "2021-12-22"}, headers=token(fake))).json()
        times = [(doctor["id"], t) for doctor in slots["doctors"] for t in doctor["slots"][::7]][:16]
        assert len(times) == 16, times
        for n in range(16):
            contact_lead(fake, LEAD + n)
        answers = await asyncio.gather(*(http.post(BOOK, headers=token(fake), json={
            "lead_id": LEAD + n, "date": "2021-12-22", "doctor_id": doctor, "time": t})
            for n, (doctor, t) in enumerate(times)))
    assert [r.status_code for r in answers] == [201] * 16, [r.text for r in answers if r.status_code != 201]
    [link] = await linked(db)
    assert link["name"] == "Иванова Мария Петровна"
    named = await db.fetchval("SELECT count(*) FROM cat_clients WHERE name = 'Иванова Мария Петровна'")
    assert named == 1, "no duplicate client, not even a half-made one"
    used = await db.fetchval("SELECT count(DISTINCT client_id) FROM doc_requests WHERE amocrm_lead_id >= $1", LEAD)
    assert used == 1
    assert fake.max_requests_per_second <= 7


async def test_a_contact_changed_in_amocrm_reaches_its_client_and_replays_change_nothing(client, db, settings, fake,
                                                                                      connected, clinic):
    contact_lead(fake)
    assert (await client.post(BOOK, headers=token(fake), json=booking(clinic))).status_code == 201
    [before] = await linked(db)
    fake.edit_contact(CONTACT, name="Иванова-Смирнова Мария Петровна", phones=[("+7 912 999-88-77", "MOB")])
    body = fake.contact_update_payload(CONTACT)
    assert "contacts%5Bupdate%5D%5B0%5D%5Bcustom_fields%5D" in body, "amoCRM's older webhook layout"
    r = await hook(client, db, settings, body)
    assert r.status_code == 200, r.text
    [after] = await linked(db)
    assert (after["name"], after["phone"], after["email"]) == (
        "Иванова-Смирнова Мария Петровна", "+7 912 999-88-77", EMAIL)
    assert r.json()["contacts"][0]["client_id"] == before["client_id"]
    audit = await db.fetchval("SELECT count(*) FROM audit_log WHERE object_kind = 'catalog:clients' AND object_id = $1"
                              " AND action = 'update'", before["client_id"])
    assert audit == 1, "the client's history shows the change"
    assert await outgoing(db) == [], "a change from amoCRM is not sent back to it"

    replay = await hook(client, db, settings, body)
    assert replay.status_code == 200 and replay.json()["contacts"][0]["changes"] == []
    assert [after] == await linked(db) and await outgoing(db) == []
    log = await db.fetch("SELECT result FROM amocrm_events WHERE kind = 'contact_update' ORDER BY id")
    assert "+7 912 999-88-77" in log[0]["result"] and "менять нечего" in log[1]["result"]

    stranger = await hook(client, db, settings, body.replace(str(CONTACT), str(CONTACT + 50)))
    assert stranger.status_code == 200 and stranger.json()["contacts"] == [], "a contact no client has is ignored"


async def test_bad_contact_webhooks_are_4xx_and_write_nothing(client, db, settings, fake, connected, clinic):
    contact_lead(fake)
    assert (await client.post(BOOK, headers=token(fake), json=booking(clinic))).status_code == 201
    fake.edit_contact(CONTACT, name="Новое имя")
    body = fake.contact_update_payload(CONTACT)
    before = await linked(db), await db.fetchval("SELECT count(*) FROM amocrm_events")
    bad_id = body.replace(f"%5Bid%5D={CONTACT}", "%5Bid%5D=%C2%B2", 1)
    assert bad_id != body
    second = urlencode([("contacts[update][1][id]", "-5")])
    cases = {
        "a contact id that is not a number": (bad_id, 422),
        "one good and one bad contact": (f"{body}&{second}", 422),
        "another account": (body.replace(f"account%5Bid%5D={fake.account_id}", "account%5Bid%5D=1"), 403),
    }
    for case, (payload, status) in cases.items():
        r = await hook(client, db, settings, payload)
        assert r.status_code == status, (case, r.text)
        assert (await linked(db), await db.fetchval("SELECT count(*) FROM amocrm_events")) == before, case
    wrong_secret = await client.post("/api/amocrm/webhook/nope", content=body.encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert wrong_secret.status_code == 403


async def test_a_client_changed_here_reaches_its_contact_by_every_path(client, db, pool, settings, fake, connected,
                                                                     clinic, admin):
    contact_lead(fake)
    assert (await client.post(BOOK, headers=token(fake), json=booking(clinic))).status_code == 201
    [link] = await linked(db)
    client_id = link["client_id"]
    item = (await client.get(f"/api/catalogs/clients/{client_id}", headers=admin)).json()

    # the REST API: a new main phone and a new name
    put = await client.patch(f"/api/catalogs/clients/{client_id}", headers=admin,
                             json={"name": "Иванова Мария", "phone": "+7 999 123-45-67"})
    assert put.status_code == 200, put.text
    [event] = await outgoing(db)
    assert event["state"] == "pending" and event["contact_id"] == CONTACT
    fake.reset_metrics()
    assert await deliver(pool, settings) >= 1
    contact = fake.contact(CONTACT)
    assert contact["name"] == "Иванова Мария"
    phones = next(f for f in contact["custom_fields_values"] if f["field_code"] == "PHONE")["values"]
    assert [(p["value"], p["enum_code"]) for p in phones] == [
        ("+7 999 123-45-67", "MOB"), ("+7 495 111-22-33", "WORK")], "the main phone replaced, the other one kept"
    assert [r["method"] for r in fake.requests if "contacts" in r["path"]] == ["PATCH"], "one call"
    [event] = await outgoing(db)
    assert event["state"] == "delivered" and "Иванова Мария" in event["result"]

    # amoCRM sends the change back as a webhook: nothing changes, nothing is sent again
    echo = await hook(client, db, settings, fake.contact_update_payload(CONTACT))
    assert echo.status_code == 200 and echo.json()["contacts"][0]["changes"] == []
    assert len(await outgoing(db)) == 1

    # the UI form (the email), then the Excel import (the name)
    browser = Browser(client)
    await browser.login("admin-user")
    page = await browser.get(f"/catalogs/clients/{client_id}")
    assert f'/contacts/detail/{CONTACT}" target="_blank" rel="noopener" data-amocrm-contact' in page.text, \
        "the form links to the client's amoCRM contact"
    card = await browser.get(f"/clients/{client_id}")
    assert f"{fake.base_url}/contacts/detail/{CONTACT}" in card.text and "Контакт amoCRM" in card.text
    await browser.post(f"/catalogs/clients/{client_id}", {
        "name": "Иванова Мария", "kind": item["kind"], "phone": "+7 999 123-45-67", "email": "m.ivanova@example.ru"})
    assert await deliver(pool, settings) >= 1
    emails = next(f for f in fake.contact(CONTACT)["custom_fields_values"] if f["field_code"] == "EMAIL")["values"]
    assert [e["value"] for e in emails] == ["m.ivanova@example.ru"]
    await upload(client, admin, "clients", xlsx(["Код", "Наименование"], [item["code"], "Иванова М. П."]))
    assert await deliver(pool, settings) >= 1
    assert fake.contact(CONTACT)["name"] == "Иванова М. П."
    cleared = await client.patch(f"/api/catalogs/clients/{client_id}", headers=admin, json={"email": ""})
    assert cleared.status_code == 200
    await deliver(pool, settings)
    assert [f["field_code"] for f in fake.contact(CONTACT)["custom_fields_values"]] == ["PHONE"]
    assert all(e["state"] == "delivered" for e in await outgoing(db))
    # a change that touches no synchronised field sends nothing
    count = len(await outgoing(db))
    await client.patch(f"/api/catalogs/clients/{client_id}", headers=admin, json={"address": "Москва"})
    assert len(await outgoing(db)) == count


async def test_an_unlinked_client_changes_nothing_in_amocrm(client, db, fake, connected, clinic, admin):
    made = await client.post("/api/catalogs/clients", headers=admin, json={"name": "Без контакта"})
    assert made.status_code == 201
    await client.patch(f"/api/catalogs/clients/{made.json()['id']}", headers=admin, json={"phone": "+7 1"})
    assert await outgoing(db) == []


async def test_concurrent_edits_in_amocrm_and_here_keep_both(client, db, pool, settings, fake, connected, clinic,
                                                            admin):
    """The client's phone changed here (not yet sent) while the contact's name changed in amoCRM: the webhook
    takes the name and leaves the phone, and the push then sends the phone."""
    contact_lead(fake)
    assert (await client.post(BOOK, headers=token(fake), json=booking(clinic))).status_code == 201
    [link] = await linked(db)
    await client.patch(f"/api/catalogs/clients/{link['client_id']}", headers=admin, json={"phone": "+7 111"})
    fake.edit_contact(CONTACT, name="Мария (amoCRM)")
    r = await hook(client, db, settings, fake.contact_update_payload(CONTACT))
    assert r.status_code == 200
    [now] = await linked(db)
    assert (now["name"], now["phone"]) == ("Мария (amoCRM)", "+7 111")
    await deliver(pool, settings)
    contact = fake.contact(CONTACT)
    assert contact["name"] == "Мария (amoCRM)"
    phones = next(f for f in contact["custom_fields_values"] if f["field_code"] == "PHONE")["values"]
    assert [(p["value"], p["enum_code"]) for p in phones] == [("+7 111", "MOB"), ("+7 495 111-22-33", "WORK")]
    assert all(e["state"] == "delivered" for e in await outgoing(db))


async def test_the_webhook_subscription_includes_contact_changes(db, settings, fake, connected):
    await webhooks.register(db, settings, "https://erp.clinic.test")
    assert "update_contact" in fake.webhooks[0]["settings"]


async def test_a_deliverer_gives_the_gate_to_a_waiting_booking(client, db, pool, settings, fake, connected, clinic,
                                                              admin):
    """A booking waits for one batch of the outbox, not for its whole backlog."""
    from erp.amocrm.gate import waiting_person

    made = await client.post("/api/catalogs/clients", headers=admin, json={"name": "Клиент"})
    contact_lead(fake)
    await db.execute("INSERT INTO amocrm_contacts (client_id, account_id, contact_id, known)"
                     " VALUES ($1, $2, $3, '{}')", made.json()["id"], fake.account_id, CONTACT)
    await client.patch(f"/api/catalogs/clients/{made.json()['id']}", headers=admin, json={"phone": "+7 5"})
    async with pool.acquire() as booking, waiting_person(booking):
        assert await deliver(pool, settings) == 0
        assert [e["state"] for e in await outgoing(db)] == ["pending"]
    assert await deliver(pool, settings) == 1
    assert [e["state"] for e in await outgoing(db)] == ["delivered"]


async def test_while_the_exchange_is_paused_bookings_go_on_under_the_typed_name(client, db, fake, connected, clinic):
    from erp.amocrm.connection import pause

    contact_lead(fake)
    await pause(db, "blocked", "amoCRM заблокировал доступ")
    fake.reset_metrics()
    r = await client.post(BOOK, headers=token(fake), json=booking(clinic, client_name="Иванова М."))
    assert r.status_code == 201, r.text
    assert fake.requests == [], "a blocked account is not called"
    name = await db.fetchval("SELECT c.name FROM doc_requests r JOIN cat_clients c ON c.id = r.client_id"
                             " WHERE r.id = $1", r.json()["request_id"])
    assert name == "Иванова М." and await linked(db) == []
