"""The audit log names amoCRM as the author of what the widget books and the webhook releases."""

from __future__ import annotations

from tests.amocrm.conftest import request_for_lead
from tests.amocrm.test_webhooks import form, hook
from tests.amocrm.test_widget_api import BOOK, LEAD, token

LOST_LEAD = 777001


async def test_the_widget_and_the_webhook_act_as_amocrm(client, db, settings, engine, fake, connected, clinic):
    fake.add_lead(LEAD)
    r = await client.post(BOOK, headers=token(fake), json={
        "lead_id": LEAD, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:05",
        "client_name": "Сидорова А.А."})
    assert r.status_code == 201, r.text
    booked = r.json()["request_id"]
    released = await request_for_lead(db, engine, clinic, LOST_LEAD, starts="2021-12-22T11:00:00", post=True)
    r = await hook(client, db, settings, form(fake, "status", LOST_LEAD, status_id=143, pipeline_id=5000001,
                                              old_status_id=50000001))
    assert r.status_code == 200, r.text
    rows = await db.fetch("SELECT username, user_id, action, object_kind, object_id, presentation FROM audit_log"
                          " WHERE username = 'amoCRM' ORDER BY id")
    assert [(r["action"], r["object_kind"], r["object_id"]) for r in rows] == [
        ("create", "catalog:clients", rows[0]["object_id"]), ("post", "document:requests", booked),
        ("unpost", "document:requests", released.id)]
    assert rows[0]["presentation"] == "Сидорова А.А." and {r["user_id"] for r in rows} == {None}
    # the request made here directly, outside any request or command, is the system's
    assert await db.fetchval("SELECT username FROM audit_log WHERE object_id = $1 AND action = 'post'"
                             " AND object_kind = 'document:requests'", released.id) == "system"
