"""Issue 14, point 9: concurrent widget bookings that name the same new client create one client.

Each booking runs in its own transaction; a transaction-scoped lock on the normalised name makes the
others wait and then find the client the first one created.
"""

from __future__ import annotations

import asyncio

from erp.app.application import create_app
from tests.amocrm.test_widget_api import BOOK, SLOTS, token
from tests.conftest import concurrent_client

NAME = "Сидорова Анна Петровна"


async def test_parallel_bookings_for_one_new_client_create_it_once(settings, database_url, db, fake, connected,
                                                                   clinic):
    app = create_app(settings, database_url, pool_size=12)
    async with concurrent_client(app) as http:
        slots = (await http.get(SLOTS, params={"date": "2021-12-22"}, headers=token(fake))).json()
        bookings = [(doctor["id"], time_) for doctor in slots["doctors"] for time_ in doctor["slots"][::12][:4]]
        assert len(bookings) == 8, bookings
        names = [NAME, f"  {NAME.upper()} ", NAME.replace(" ", "  ")]
        answers = await asyncio.gather(*(http.post(BOOK, headers=token(fake), json={
            "lead_id": 7000 + n, "date": "2021-12-22", "doctor_id": doctor, "time": time_,
            "client_name": names[n % len(names)]}) for n, (doctor, time_) in enumerate(bookings)))
    assert [r.status_code for r in answers] == [201] * len(bookings), [r.text for r in answers]
    created = [c for c in await db.fetch("SELECT id, name FROM cat_clients") if "сидорова" in c["name"].lower()]
    assert len(created) == 1, created
    used = await db.fetchval("SELECT count(DISTINCT client_id) FROM doc_requests WHERE amocrm_lead_id >= 7000")
    assert used == 1, "every booking went to that one client"
