"""Возврат от клиента of a rendering that reached an amoCRM lead (issue 16 point 5): posting, re-posting and
unposting the return queues the lead's budget in the outbox, in the return's own statement, and the lead gets
what was rendered less what came back."""

from __future__ import annotations

from erp.amocrm.deliver import deliver
from erp.configuration import registry
from tests.amocrm.conftest import request_for_lead
from tests.amocrm.test_outbox import events

LEAD = 316316


async def rendered(db, engine, clinic, request_id: int, quantity: str, price: str):
    kind = registry().documents["service-renderings"]
    filled = await engine.fill_based_on(db, kind, "requests", request_id)
    filled.update(organization_id=clinic.org, warehouse_id=clinic.warehouse, date="2021-12-22T10:00:00",
                  lines=[{"nomenclature_id": clinic.service, "quantity": quantity, "price": price}])
    return await engine.create(db, kind, filled, post=True)


async def returned(db, engine, clinic, rendering_id: int, quantity: str):
    kind = registry().documents["client-returns"]
    filled = await engine.fill_based_on(db, kind, "service-renderings", rendering_id)
    filled.update(date="2021-12-23T10:00:00", lines=[{"nomenclature_id": clinic.service, "quantity": quantity}])
    return await engine.create(db, kind, filled, post=True)


async def test_the_lead_gets_what_was_rendered_less_what_came_back(db, pool, settings, engine, clinic, fake,
                                                                   connected):
    fake.add_lead(LEAD)
    request = await request_for_lead(db, engine, clinic, LEAD)
    sr = await rendered(db, engine, clinic, request.id, "3", "100.00")
    await deliver(pool, settings)
    assert fake.lead(LEAD)["price"] == 300

    back = await returned(db, engine, clinic, sr.id, "1")
    assert back.header["amount_total"] == 100
    [event] = [e for e in await events(db, "budget") if e["document_kind"] == "client-returns"]
    assert (event["lead_id"], event["payload"], event["document_id"]) == (LEAD, {"action": "return_post"}, back.id)
    await deliver(pool, settings)
    assert (fake.lead(LEAD)["price"], fake.field_value(LEAD, "Сумма1С")) == (200, "200.00")

    kind = registry().documents["client-returns"]
    await engine.update(db, kind, back.id, {**{k: v for k, v in back.header.items() if k != "amount_total"},
                                            "date": back.date.isoformat(),
                                            "lines": [{"nomenclature_id": clinic.service, "quantity": "2"}]})
    await deliver(pool, settings)
    assert fake.lead(LEAD)["price"] == 100

    await engine.unpost(db, kind, back.id)
    await deliver(pool, settings)
    assert (fake.lead(LEAD)["price"], fake.field_value(LEAD, "Сумма1С")) == (300, "300.00")
    assert [e["payload"]["action"] for e in await events(db, "budget") if e["document_kind"] == "client-returns"] == [
        "return_post", "return_post", "return_unpost"]


async def test_a_return_of_a_rendering_without_a_lead_queues_nothing(db, engine, clinic):
    request = await request_for_lead(db, engine, clinic, None)
    sr = await rendered(db, engine, clinic, request.id, "2", "100.00")
    before = len(await events(db))
    await returned(db, engine, clinic, sr.id, "1")
    assert len(await events(db)) == before
