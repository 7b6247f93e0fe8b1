"""Two ``erp serve`` and two ``erp worker`` on one database under mixed load: the posting storm (renderings,
re-posts, unposts) across both servers, widget appointments competing for the same times of two doctors,
and payments of leads' invoices. Four deliverers share amoCRM's 7 requests per second. At the end: no
number twice and none skipped, no doctor booked twice at once, amoCRM never above 7 rps, every lead
correct (its total, its appointment fields, a note for each booking and payment)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections import Counter
from decimal import Decimal

import httpx
import pytest

from erp.configuration import registry
from erp.documents.request import TAKEN
from tests.amocrm.conftest import AUDIENCE, DOCTORS, _item, eventually
from tests.reliability import invariants
from tests.reliability.procs import Fleet
from tests.reliability.storm import Storm, storm_basis

pytestmark = pytest.mark.e2e
LEADS = list(range(620_001, 620_031))
INVOICE_LEADS = list(range(621_001, 621_005))
BOOKERS, BOOKINGS_EACH = 6, 8
PAYERS, PAYMENTS_EACH = 2, 8
APPOINTMENT = dt.timedelta(minutes=30)  # the default length: "Номенклатура AmoCRM" has none
# 30-minute appointments asked for on a 15-minute grid: neighbours overlap, so bookers compete
EFIMOVA_TIMES = [f"{m // 60:02d}:{m % 60:02d}" for m in range(8 * 60 + 15, 12 * 60 + 31, 15)]
ISHAEVA_TIMES = [f"{m // 60:02d}:{m % 60:02d}" for m in range(8 * 60, 10 * 60 + 1, 15)]


async def book(servers: list[str], fake, clinic, seed: int, outcomes: list) -> None:
    """A manager in amoCRM books leads on whatever time looks free, through either server."""
    rng = random.Random(seed)
    doctors = [(clinic.efimova, DOCTORS[0], EFIMOVA_TIMES), (clinic.ishaeva, DOCTORS[2], ISHAEVA_TIMES)]
    async with httpx.AsyncClient(timeout=15.0) as http:
        for i in range(BOOKINGS_EACH):
            lead = 630_000 + seed * 100 + i
            fake.add_lead(lead)
            doctor_id, doctor, times = rng.choice(doctors)
            at = rng.choice(times)
            try:
                r = await http.post(f"{rng.choice(servers)}/api/amocrm/widget/appointments",
                                    headers={"X-Auth-Token": fake.disposable_token(AUDIENCE)},
                                    json={"lead_id": lead, "date": "2021-12-22", "doctor_id": doctor_id, "time": at})
            except httpx.HTTPError as exc:
                outcomes.append((lead, doctor_id, doctor, at, type(exc).__name__, {}))
                continue
            outcomes.append((lead, doctor_id, doctor, at, r.status_code, r.json()))


async def pay(servers: list[str], headers: dict, invoices: list[tuple[int, int]], basis, account: int, seed: int,
              outcomes: list) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(timeout=15.0, headers=headers) as http:
        for _ in range(PAYMENTS_EACH):
            invoice_id, lead = rng.choice(invoices)
            try:
                r = await http.post(f"{rng.choice(servers)}/api/documents/payments", params={"post": "true"}, json={
                    "date": "2021-12-23T12:00:00", "organization_id": basis.org, "client_id": basis.client,
                    "invoice_id": invoice_id, "amount": f"{rng.randint(1, 40) * 25}.00", "method": "bank",
                    "bank_account_id": account})
            except httpx.HTTPError as exc:
                outcomes.append((lead, type(exc).__name__))
                continue
            outcomes.append((lead, r.status_code))


async def test_two_servers_and_two_workers_under_mixed_load(db, engine, clinic, fake, connected, admin,
                                                             database_url, tmp_path):
    for lead in LEADS + INVOICE_LEADS:
        fake.add_lead(lead)
    basis = await storm_basis(db, engine, clinic, LEADS)
    account = await _item(db, "bank-accounts", {  # where the payments' money goes
        "name": "Основной", "organization_id": clinic.org, "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810938000000001"})
    invoices = [((await engine.create(db, registry().documents["invoices"], {
        "date": "2021-12-22T10:00:00", "organization_id": basis.org, "client_id": basis.client,
        "amocrm_lead_id": lead, "lines": [{"nomenclature_id": basis.service, "quantity": "1", "price": "1000.00"}]},
        post=True)).id, lead) for lead in INVOICE_LEADS]
    bookings: list = []
    payments: list = []
    with Fleet(database_url, tmp_path) as fleet:
        procs = [fleet.serve("serve-1"), fleet.serve("serve-2"), fleet.worker("worker-1"), fleet.worker("worker-2")]
        began = time.monotonic()
        await fleet.start(*procs)
        up = time.monotonic() - began
        servers = [procs[0].base_url, procs[1].base_url]
        fake.reset_metrics()
        storm = Storm(servers, admin, basis, seed=8, max_ops=200)
        started = time.monotonic()
        async with storm.running(6):
            await asyncio.gather(*(book(servers, fake, clinic, n, bookings) for n in range(BOOKERS)),
                                 *(pay(servers, admin, invoices, basis, account, n, payments)
                                   for n in range(PAYERS)))
            await eventually(lambda: storm.sent >= storm.max_ops, within=10)
        loaded = time.monotonic() - started
        began = time.monotonic()
        assert await eventually(lambda: _drained(db), within=40), await invariants.undelivered(db)
        drained = time.monotonic() - began
        assert all(p.running for p in procs), "every process lived through the load"

    assert set(Counter(outcome for _, outcome in storm.outcomes)) <= {"200", "201"}, storm.outcomes
    assert await storm.disagreements(db) == []
    assert await invariants.numbering_faults(db) == {"duplicates": [], "gaps": []}
    assert await invariants.double_bookings(db) == []
    assert await invariants.posted_flags_disagreeing_with_movements(db) == []
    assert await invariants.undelivered(db) == {}

    # every booking is a 201 or the clean 409 of taken time, and the refused ones did clash with a booking
    assert {status for *_, status, _ in bookings} <= {201, 409}, Counter(status for *_, status, _ in bookings)
    assert {(a["code"], a["message"]) for *_, status, a in bookings if status == 409} == {("exclusion_conflict", TAKEN)}
    booked = {(r["doctor_id"], r["starts_at"], r["ends_at"]) for r in await db.fetch(
        "SELECT doctor_id, starts_at, ends_at FROM doc_requests WHERE posted")}
    wanted = {lead: (doctor_id, at) for lead, doctor_id, _, at, _, _ in bookings}
    starts = {lead: await db.fetchval("SELECT starts_at FROM doc_requests WHERE amocrm_lead_id = $1", lead)
              for lead, *_, status, _ in bookings if status == 201}
    assert len(starts) == sum(status == 201 for *_, status, _ in bookings) == len(booked)
    for lead, doctor_id, _, at, status, _ in bookings:
        asked = dt.datetime.combine(dt.date(2021, 12, 22), dt.time.fromisoformat(at), engine.tz)
        if status == 409:
            assert any(d == doctor_id and s < asked + APPOINTMENT and asked < e for d, s, e in booked), \
                f"lead {lead}: {wanted[lead]} was refused, yet nobody holds that time"
        else:
            assert starts[lead] == asked

    # amoCRM: within its limit, never refusing us, and every lead shows what the database says
    state = fake.state()
    assert state["max_requests_per_second"] <= 7 and state["rate_limited"] == 0 and not state["blocked"]
    assert await invariants.wrong_leads(db, fake, LEADS) == []
    for lead, _, doctor, at, status, answer in bookings:
        shown = (fake.field_value(lead, "Врач"), fake.field_value(lead, "Время записи"))
        notes = [n["params"]["text"] for n in fake.notes(lead)]
        if status == 201:
            assert shown == (doctor, at), f"lead {lead}"
            assert notes == [f"Создана заявка № {answer['number']}: {doctor}, 22.12.2021 {at}"]
        else:
            assert shown == (None, None) and notes == [], f"lead {lead} was refused, yet amoCRM heard of it"
    paid = Counter(lead for lead, status in payments if status == 201)
    assert sum(paid.values()) == len(payments), Counter(status for _, status in payments)
    for lead in INVOICE_LEADS:
        notes = [n["params"]["text"] for n in fake.notes(lead)]
        assert len(notes) == paid[lead] and all(t.startswith("Счёт № ") for t in notes), (lead, notes)
    due = {r["invoice_id"]: r["amount"] for r in await db.fetch("SELECT invoice_id, amount FROM"
                                                                " reg_invoice_payments_balance")}
    paid_sum = {r["invoice_id"]: r["s"] for r in await db.fetch(
        "SELECT invoice_id, sum(amount) AS s FROM doc_payments WHERE posted GROUP BY 1")}
    assert all(due.get(i, Decimal(0)) == Decimal("1000.00") - paid_sum.get(i, 0) for i, _ in invoices)
    print(f"\nmany processes: 2 serve + 2 worker up in {up:.1f} s, {loaded:.1f} s of load, drained in {drained:.1f} s:"
          f" {storm.sent} storm operations {dict(storm.outcomes)}, {len(bookings)} widget bookings"
          f" ({len(booked)} booked), {len(payments)} payments; {state['request_count']} amoCRM calls,"
          f" at most {state['max_requests_per_second']} a second")


async def _drained(db) -> bool:
    return not await invariants.undelivered(db)
