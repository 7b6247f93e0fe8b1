"""Seed 002's invoice part: payments leave notes on the lead, and a paid, rendered invoice wins the lead."""

from __future__ import annotations

from erp.amocrm.deliver import deliver
from erp.amocrm.outbox import people_number
from erp.configuration import registry
from tests.amocrm.conftest import _item, render, request_for_lead

LEAD = 219219
PIPELINE = 7_000_123


async def invoice(db, engine, clinic, *, based_on=None, lead=LEAD, total="2510.00"):
    client = await db.fetchval("SELECT id FROM cat_clients WHERE predefined = 'amocrm_client'")
    data = {"date": "2021-12-22T10:30:00", "organization_id": clinic.org, "client_id": client, "amocrm_lead_id": lead,
            "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": total}]}
    if based_on is not None:
        data["based_on"] = {"kind": "service-renderings", "id": based_on}
    return await engine.create(db, registry().documents["invoices"], data, post=True)


async def pay(db, engine, clinic, inv, amount: str):
    """A cash payment into the organization's cash desk (made on the first payment)."""
    desk = (await db.fetchval("SELECT id FROM cat_cash_desks WHERE organization_id = $1", clinic.org)
            or await _item(db, "cash-desks", {"name": "Основная касса", "organization_id": clinic.org}))
    return await engine.create(db, registry().documents["payments"], {
        "date": "2021-12-23T11:00:00", "organization_id": clinic.org, "client_id": inv.client_id,
        "amount": amount, "method": "cash", "cash_desk_id": desk, "invoice_id": inv.id}, post=True)


async def test_partial_then_full_payment_notes_and_the_move_to_142(db, pool, settings, engine, clinic, fake,
                                                                   connected):
    fake.add_lead(LEAD, pipeline_id=PIPELINE, status_id=PIPELINE + 1)
    request = await request_for_lead(db, engine, clinic, LEAD)
    sr = await render(db, engine, clinic, request.id, "2510.00")
    inv = await invoice(db, engine, clinic, based_on=sr.id)
    number = people_number(inv.number)

    await pay(db, engine, clinic, inv, "1000.00")
    await deliver(pool, settings)
    assert [n["params"]["text"] for n in fake.notes(LEAD)] == [
        f"Счёт № {number} оплачен частично: 1 000,00 из 2 510,00"]
    assert fake.lead(LEAD)["status_id"] == PIPELINE + 1

    await pay(db, engine, clinic, inv, "1510.00")
    await deliver(pool, settings)
    assert fake.notes(LEAD)[-1]["params"]["text"] == f"Счёт № {number} оплачен полностью"
    lead = fake.lead(LEAD)
    assert (lead["status_id"], lead["pipeline_id"]) == (142, PIPELINE), "won, in the lead's own pipeline"
    assert any(r["method"] == "GET" and r["path"] == f"/api/v4/leads/{LEAD}" for r in fake.requests)
    assert lead["price"] == 2510


async def test_a_paid_invoice_without_a_rendering_only_gets_its_note(db, pool, settings, engine, clinic, fake,
                                                                     connected):
    fake.add_lead(LEAD, pipeline_id=PIPELINE, status_id=PIPELINE + 1)
    inv = await invoice(db, engine, clinic, total="500.00")
    await pay(db, engine, clinic, inv, "500.00")
    await deliver(pool, settings)
    assert fake.notes(LEAD)[-1]["params"]["text"].endswith("оплачен полностью")
    assert fake.lead(LEAD)["status_id"] == PIPELINE + 1

    events = await db.fetchval("SELECT count(*) FROM amocrm_events")
    no_lead = await invoice(db, engine, clinic, lead=None, total="100.00")
    await pay(db, engine, clinic, no_lead, "100.00")
    assert await db.fetchval("SELECT count(*) FROM amocrm_events") == events, "no lead, nothing to send"


async def test_rendering_after_full_payment_also_wins_the_lead(db, pool, settings, engine, clinic, fake, connected):
    fake.add_lead(LEAD, pipeline_id=PIPELINE, status_id=PIPELINE + 1)
    request = await request_for_lead(db, engine, clinic, LEAD)
    sr = await render(db, engine, clinic, request.id, "700.00", post=False)
    inv = await invoice(db, engine, clinic, based_on=sr.id, total="700.00")
    await pay(db, engine, clinic, inv, "700.00")
    await deliver(pool, settings)
    assert fake.lead(LEAD)["status_id"] == PIPELINE + 1, "paid, but nothing rendered yet"
    await engine.post(db, registry().documents["service-renderings"], sr.id)
    await deliver(pool, settings)
    assert (fake.lead(LEAD)["status_id"], fake.lead(LEAD)["price"]) == (142, 700)


async def test_a_rendering_based_on_the_paid_invoice_wins_the_lead(db, pool, settings, engine, clinic, fake,
                                                                   connected):
    fake.add_lead(LEAD, pipeline_id=PIPELINE, status_id=PIPELINE + 1)
    inv = await invoice(db, engine, clinic, total="900.00")
    kinds = registry().documents
    filled = await engine.fill_based_on(db, kinds["service-renderings"], "invoices", inv.id)
    assert filled["based_on"] == {"kind": "invoices", "id": inv.id}
    assert filled["client_id"] == inv.client_id and filled["organization_id"] == clinic.org
    assert [(ln["nomenclature_id"], ln["price"]) for ln in filled["lines"]] == [(clinic.service, 900)]

    sr = await engine.create(db, kinds["service-renderings"], {**filled, "doctor_id": clinic.efimova}, post=True)
    await pay(db, engine, clinic, inv, "400.00")
    await deliver(pool, settings)
    assert fake.lead(LEAD)["status_id"] == PIPELINE + 1, "rendered, but only partly paid"
    await pay(db, engine, clinic, inv, "500.00")
    await deliver(pool, settings)
    assert fake.lead(LEAD)["status_id"] == 142
    subordinate = await db.fetchval("SELECT based_on_id FROM doc_service_renderings WHERE id = $1", sr.id)
    assert subordinate == inv.id


async def test_a_rendering_posted_at_once_on_a_paid_invoice_wins_the_lead(db, pool, settings, engine, clinic, fake,
                                                                          connected):
    """A new rendering written and posted at once is one statement: its "won" event is in it too."""
    fake.add_lead(LEAD, pipeline_id=PIPELINE, status_id=PIPELINE + 1)
    inv = await invoice(db, engine, clinic, total="900.00")
    await pay(db, engine, clinic, inv, "900.00")
    await deliver(pool, settings)
    assert fake.lead(LEAD)["status_id"] == PIPELINE + 1, "paid, but nothing rendered yet"
    kinds = registry().documents
    filled = await engine.fill_based_on(db, kinds["service-renderings"], "invoices", inv.id)
    sr = await engine.create(db, kinds["service-renderings"], {**filled, "doctor_id": clinic.efimova}, post=True)
    events = await db.fetch("SELECT kind, lead_id, payload, document_id FROM amocrm_events"
                            " WHERE document_kind = 'service-renderings'")
    assert [(e["kind"], e["lead_id"], e["payload"], e["document_id"]) for e in events] == [
        ("won", LEAD, {"invoice_id": inv.id}, sr.id)]
    await deliver(pool, settings)
    assert fake.lead(LEAD)["status_id"] == 142
