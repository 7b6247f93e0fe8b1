"""«Выставить счёт» in the widget for a lead without a booking (issue 17, points 2 and 3): the client is the
lead's main amoCRM contact's, found by the contact's id or created from it exactly as booking does — one
client however many invoices and bookings of the contact run at once. amoCRM failing refuses the invoice
with the booking's 502 and writes nothing; a lead without a contact is a Russian 409 asking to attach one."""

from __future__ import annotations

import asyncio

import pytest

from erp.amocrm.connection import pause
from erp.app.application import create_app
from erp.configuration import registry
from erp.platform import catalog_service
from tests.amocrm.test_contacts import CONTACT, EMAIL, PHONE, contact_lead, linked
from tests.amocrm.test_stage_actions import printable
from tests.amocrm.test_widget_api import BOOK, SLOTS, token
from tests.amocrm.test_widget_documents import API, consultation, lead_headers
from tests.conftest import concurrent_client

LEAD = 41_001
NAME = "Иванова Мария Петровна"


async def counts(db) -> dict[str, int]:
    tables = ("doc_invoices", "generated_documents", "amocrm_events", "cat_clients", "amocrm_contacts",
              "document_counters")
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


@pytest.fixture
async def service(db, clinic, fake, connected) -> int:
    await printable(db, clinic)
    return await consultation(db)


async def invoice(client, fake, lead_id: int, service: int, quantity: str = "1"):
    return await client.post(f"{API}/invoices", headers=await lead_headers(client, fake, lead_id),
                             json={"lines": [{"nomenclature_id": service, "quantity": quantity}]})


async def test_a_lead_without_a_booking_invoices_its_contacts_client_made_from_the_contact(client, db, fake, clinic,
                                                                                         service):
    contact_lead(fake, LEAD)
    r = await invoice(client, fake, LEAD, service, "2")
    assert r.status_code == 201, r.text
    made = await db.fetchrow("SELECT i.*, c.name, c.phone, c.email FROM doc_invoices i"
                             " JOIN cat_clients c ON c.id = i.client_id WHERE i.id = $1", r.json()["id"])
    assert (made["name"], made["phone"], made["email"]) == (NAME, PHONE, EMAIL), "the main contact's, not the other"
    assert made["posted"] and made["amocrm_lead_id"] == LEAD and made["amount_total"] == 4000
    assert made["organization_id"] == clinic.org and made["bank_account_id"] is not None
    [link] = await linked(db)
    assert (link["client_id"], link["contact_id"]) == (made["client_id"], CONTACT)
    assert await db.fetchval("SELECT count(*) FROM doc_requests") == 0, "an invoice books nobody"
    calls = [(q["method"], q["path"]) for q in fake.requests]
    assert ("GET", f"/api/v4/leads/{LEAD}") in calls and ("GET", f"/api/v4/contacts/{CONTACT}") in calls

    again = await invoice(client, fake, LEAD, service)
    assert again.status_code == 201, again.text
    client_of = "SELECT client_id FROM doc_invoices WHERE id = $1"
    assert await db.fetchval(client_of, again.json()["id"]) == made["client_id"]
    assert len(await linked(db)) == 1 and await db.fetchval(
        "SELECT count(*) FROM cat_clients WHERE name = $1", NAME) == 1, "the second invoice finds the same client"
    listed = (await client.get(f"{API}/documents", headers=await lead_headers(client, fake, LEAD))).json()
    assert sorted(d["id"] for d in listed["documents"]) == sorted([r.json()["id"], again.json()["id"]])


async def test_a_contact_linked_by_a_booking_of_another_lead_gets_the_same_client(client, db, fake, clinic, service):
    contact_lead(fake, LEAD)
    booked = await client.post(BOOK, headers=token(fake), json={
        "lead_id": LEAD, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:05"})
    assert booked.status_code == 201, booked.text
    [link] = await linked(db)
    fake.add_lead(LEAD + 1)
    fake.link_contact(LEAD + 1, CONTACT)
    r = await invoice(client, fake, LEAD + 1, service)
    assert r.status_code == 201, r.text
    assert await db.fetchval("SELECT client_id FROM doc_invoices WHERE id = $1", r.json()["id"]) == link["client_id"]
    assert await linked(db) == [link], "no duplicate client, the link unchanged"


async def test_concurrent_invoices_and_bookings_of_one_new_contact_make_one_client(settings, database_url, db, fake,
                                                                                   clinic, service):
    app = create_app(settings, database_url, pool_size=14)
    async with concurrent_client(app) as http:
        slots = (await http.get(SLOTS, params={"date": "2021-12-22"}, headers=token(fake))).json()
        times = [(doctor["id"], t) for doctor in slots["doctors"] for t in doctor["slots"][::7]][:6]
        for n in range(12):
            contact_lead(fake, LEAD + n)
        headers = [await lead_headers(http, fake, LEAD + 6 + n) for n in range(6)]
        answers = await asyncio.gather(
            *(http.post(BOOK, headers=token(fake), json={"lead_id": LEAD + n, "date": "2021-12-22",
                                                         "doctor_id": doctor, "time": t})
              for n, (doctor, t) in enumerate(times)),
            *(http.post(f"{API}/invoices", headers=headers[n],
                        json={"lines": [{"nomenclature_id": service, "quantity": "1"}]}) for n in range(6)))
    assert [r.status_code for r in answers] == [201] * 12, [r.text for r in answers if r.status_code != 201]
    [link] = await linked(db)
    assert await db.fetchval("SELECT count(*) FROM cat_clients WHERE name = $1", NAME) == 1, \
        "no duplicate client, not even a half-made one"
    used = await db.fetch("SELECT client_id FROM doc_requests UNION SELECT client_id FROM doc_invoices")
    assert [r["client_id"] for r in used] == [link["client_id"]]
    assert fake.max_requests_per_second <= 7


async def test_amocrm_failing_refuses_the_invoice_and_writes_nothing(client, db, fake, clinic, service):
    contact_lead(fake, LEAD)
    headers = await lead_headers(client, fake, LEAD)
    before = await counts(db)
    fake.configure(error_rate=1.0, error_kinds=["500"])
    r = await client.post(f"{API}/invoices", headers=headers, json={"lines": [{"nomenclature_id": service}]})
    fake.configure(error_rate=0.0)
    assert r.status_code == 502, r.text
    assert r.json()["code"] == "amocrm_contact_unavailable", "the booking's code"
    assert "счёт не выставлен" in r.json()["message"] and "500" in r.json()["message"]
    assert await counts(db) == before

    await pause(db, "blocked", "amoCRM заблокировал доступ")
    fake.reset_metrics()
    paused = await client.post(f"{API}/invoices", headers=headers, json={"lines": [{"nomenclature_id": service}]})
    assert paused.status_code == 502 and paused.json()["code"] == "amocrm_contact_unavailable", paused.text
    assert "приостановлен" in paused.json()["message"] and "счёт не выставлен" in paused.json()["message"]
    assert fake.requests == [], "a paused exchange calls no amoCRM"
    assert await counts(db) == before


async def test_a_lead_without_a_contact_is_a_409_asking_to_attach_one(client, db, fake, clinic, service):
    fake.add_lead(LEAD)
    before = await counts(db)
    r = await invoice(client, fake, LEAD, service)
    assert r.status_code == 409 and r.json()["code"] == "lead_client_unknown", r.text
    assert "Привяжите к сделке контакт в amoCRM" in r.json()["message"]
    unknown = await invoice(client, fake, LEAD + 99, service)  # a lead amoCRM does not know either
    assert unknown.status_code == 409 and unknown.json()["code"] == "lead_client_unknown"
    bad = await client.post(f"{API}/invoices", headers=await lead_headers(client, fake, LEAD),
                            json={"lines": [{"nomenclature_id": 10**9}]})
    assert bad.status_code == 422 and "lines" in bad.json()["details"]["fields"]
    assert await counts(db) == before


async def test_a_lead_with_a_booking_still_invoices_the_bookings_client(client, db, engine, fake, clinic, service):
    """A Request names the client: the lead's contact is not even read."""
    contact_lead(fake, LEAD)
    reg = registry()
    other = (await catalog_service.create(db, reg, reg.catalogs["clients"], {"name": "Клиент записи"}))["id"]
    await engine.create(db, reg.documents["requests"], {
        "doctor_id": clinic.efimova, "client_id": other, "starts_at": "2021-12-22T09:05:00", "amocrm_lead_id": LEAD,
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "0"}]}, post=True)
    fake.reset_metrics()
    r = await invoice(client, fake, LEAD, service)
    assert r.status_code == 201, r.text
    assert await db.fetchval("SELECT client_id FROM doc_invoices WHERE id = $1", r.json()["id"]) == other
    assert not [q for q in fake.requests if q["path"].startswith(("/api/v4/leads/", "/api/v4/contacts"))]
    assert await linked(db) == []
