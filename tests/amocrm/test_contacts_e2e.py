"""Issue 17, point 2 end to end: a real ``erp serve`` (with its worker) and the fake amoCRM posting its
real webhooks. A booking links the lead's contact; amoCRM's change of the contact reaches the client;
the client's change reaches the contact through the worker; amoCRM echoing that change changes nothing."""

from __future__ import annotations

import httpx
import pytest

from erp.amocrm import oauth, webhooks
from tests.amocrm.conftest import eventually

pytestmark = pytest.mark.e2e
LEAD, CONTACT = 41_001, 8_800_001


async def client_row(db) -> dict:
    return dict(await db.fetchrow("SELECT c.id, c.name, c.phone, c.email FROM amocrm_contacts l"
                                  " JOIN cat_clients c ON c.id = l.client_id WHERE l.contact_id = $1", CONTACT))


async def contact_events(db) -> list[dict]:
    return [dict(r) for r in await db.fetch("SELECT direction, kind, state FROM amocrm_events"
                                            " WHERE contact_id = $1 ORDER BY id", CONTACT)]


async def test_contact_sync_both_ways_through_a_running_server(server, db, settings, fake, clinic, admin):
    await oauth.connect(db, settings, base_url=fake.base_url, client_id=fake.client_id,
                        client_secret=fake.client_secret, redirect_uri=f"{server.base_url}/api/amocrm/oauth/callback",
                        code=fake.issue_code())
    await webhooks.register(db, settings, server.base_url)
    fake.add_lead(LEAD)
    fake.add_contact(CONTACT, "Соколова Анна", phones=["+7 916 100-20-30"], emails=["sokolova@example.ru"])
    fake.link_contact(LEAD, CONTACT)

    widget = {"X-Auth-Token": fake.disposable_token(server.base_url), "Origin": fake.base_url}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        booked = await http.post("/api/amocrm/widget/appointments", headers=widget, json={
            "lead_id": LEAD, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:05"})
        assert booked.status_code == 201, booked.text
        client = await client_row(db)
        assert (client["name"], client["phone"], client["email"]) == (
            "Соколова Анна", "+7 916 100-20-30", "sokolova@example.ru")

        fake.edit_contact(CONTACT, name="Соколова-Белова Анна", emails=["belova@example.ru"])
        [delivery] = await fake.fire_contact_update(CONTACT)
        assert delivery["status_code"] == 200, delivery
        changed = await client_row(db)
        assert (changed["name"], changed["email"]) == ("Соколова-Белова Анна", "belova@example.ru")

        put = await http.patch(f"/api/catalogs/clients/{client['id']}", headers=admin,
                               json={"phone": "+7 916 555-44-33"})
        assert put.status_code == 200, put.text

        def phone_in_amocrm():
            values = (fake.contact(CONTACT) or {}).get("custom_fields_values") or []
            return next((f["values"][0]["value"] for f in values if f["field_code"] == "PHONE"), None)

        assert await eventually(lambda: phone_in_amocrm() == "+7 916 555-44-33", within=10.0), fake.contact(CONTACT)
        assert await eventually(lambda: _delivered(db), within=5.0)
        [echo] = await fake.fire_contact_update(CONTACT)  # amoCRM tells us of the change we made
        assert echo["status_code"] == 200
        assert await client_row(db) == {**changed, "phone": "+7 916 555-44-33"}
        assert [e["kind"] for e in await contact_events(db)] == ["contact_update", "contact", "contact_update"], \
            "the echo is logged and nothing goes back to amoCRM"
        log = await http.get("/api/amocrm/exchange-log", params={"kind": "contact"}, headers=admin)
        assert log.status_code == 200 and log.json()["items"][0]["contact_id"] == CONTACT
    assert fake.max_requests_per_second <= 7


async def _delivered(db) -> bool:
    return all(e["state"] == "delivered" for e in await contact_events(db) if e["direction"] == "out")
