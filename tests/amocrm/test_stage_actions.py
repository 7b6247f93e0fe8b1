"""Действия при смене этапа: amoCRM's status webhook (in the fake's own form-encoded shape) enqueues the
mapped actions in the outbox once per lead and stage; the worker makes the invoice, emails the invoice
or the act through a real SMTP server on loopback, unposts the lead's Requests; the exchange log says
what was done or, in Russian, why not."""

from __future__ import annotations

import email
import email.policy
import time

import pytest
from aiosmtpd.controller import Controller

from erp.amocrm import connection, exchange_log, stage_actions, stage_runner
from erp.amocrm import pipelines as amo_pipelines
from erp.amocrm.deliver import deliver
from erp.amocrm.fake.webhooks import status_payload
from erp.amocrm.outbox import people_number
from erp.configuration import registry
from erp.platform import catalog_service
from erp.printing import mail
from tests.amocrm.conftest import render
from tests.conftest import free_port

LEAD = 219219
MAIN, INVOICED, VISITED, BOOKED = 5_000_001, 50_000_004, 50_000_003, 50_000_002


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


@pytest.fixture
def mailbox():
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


async def smtp(db, settings, port: int) -> None:
    await mail.set_smtp(db, mail.SmtpSettings(host="127.0.0.1", port=port, security="none",
                                              from_email="clinic@example.com", from_name="Клиника", timeout_seconds=5),
                        settings.secret_key, keep_password=False)


async def printable(db, clinic) -> None:
    """What a print form needs: the organization's address and a default bank account."""
    reg = registry()
    await db.execute("UPDATE cat_organizations SET address = 'Москва, ул. Тверская, 1' WHERE id = $1", clinic.org)
    await catalog_service.create(db, reg, reg.catalogs["bank-accounts"], {
        "name": "Основной", "organization_id": clinic.org, "bank_name": "ПАО Сбербанк г. Москва", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810938000000001",
        "is_default": True})


async def mapped(db, settings, fake, chosen: dict[int, tuple[str, ...]]) -> None:
    """The mapping as the admin page saves it: stages of the fake's main pipeline, read from amoCRM."""
    await amo_pipelines.fetch(db, settings)
    await stage_actions.save(db, {(MAIN, status, a) for status, actions in chosen.items() for a in actions})


async def patient_request(db, engine, clinic, *, post: bool = True, price: str = "1500.00"):
    reg = registry()
    client = (await catalog_service.create(db, reg, reg.catalogs["clients"], {
        "name": "Иванов Иван Иванович", "kind": "person", "email": "ivanov@example.com"}))["id"]
    return await engine.create(db, reg.documents["requests"], {
        "doctor_id": clinic.efimova, "client_id": client, "starts_at": "2021-12-22T09:05:00", "amocrm_lead_id": LEAD,
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": price}]}, post=post)


def moved(fake, status_id: int, pipeline_id: int = MAIN, lead_id: int = LEAD) -> bytes:
    """What amoCRM posts when the lead moves to ``status_id`` (the fake's own payload)."""
    with fake.fake._lock:
        return status_payload(fake.api, int(time.time()), lead_id, status_id, pipeline_id, None,
                              fake.base_url).encode()


async def hook(client, db, settings, body: bytes):
    secret = (await connection.load(db, settings.secret_key)).webhook_secret
    r = await client.post(f"/api/amocrm/webhook/{secret}", content=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.text
    return r.json()


async def log(db) -> list[dict]:
    rows, _ = await exchange_log.list_events(db, None, kind=stage_actions.KIND)
    return sorted(rows, key=lambda e: e["id"])


async def invoices_of(db, request_id: int) -> list:
    return await db.fetch("SELECT id, number, posted, amount_total, amocrm_lead_id FROM doc_invoices"
                          " WHERE based_on_kind = 'requests' AND based_on_id = $1", request_id)


async def test_a_webhook_makes_the_invoice_once_even_when_it_repeats(client, db, pool, settings, engine, clinic, fake,
                                                                    connected):
    await mapped(db, settings, fake, {INVOICED: ("invoice",)})
    request = await patient_request(db, engine, clinic)
    fake.add_lead(LEAD)
    body = moved(fake, INVOICED)
    assert "leads%5Bstatus%5D%5B0%5D%5Bpipeline_id%5D=5000001" in body.decode()
    answer = await hook(client, db, settings, body)
    assert answer["stage_actions"] == [{"lead_id": LEAD, "action": "invoice"}]
    assert await hook(client, db, settings, body) == {"released_leads": [], "stage_actions": [], "contacts": [],
                                                      "contacts_unlinked": []}
    [event] = await log(db)
    assert event["state"] == "pending" and event["payload"]["action"] == "invoice"

    await deliver(pool, settings)  # the deliverer to amoCRM leaves stage actions alone
    assert (await log(db))[0]["state"] == "pending"

    assert await stage_runner.run_due(pool, engine, settings) == 1
    [invoice] = await invoices_of(db, request.id)
    assert invoice["posted"] and invoice["amount_total"] == 1500 and invoice["amocrm_lead_id"] == LEAD
    [event] = await log(db)
    number = people_number(invoice["number"])
    assert event["state"] == "delivered"
    assert event["result"] == (f"Сделка {LEAD}, этап «Воронка» → «Счёт выставлен»: выставлен счёт № {number} на "
                               f"1 500,00 руб. по заявке № {people_number(request.number)}")
    assert (event["document_kind"], event["document_id"]) == ("invoices", invoice["id"])
    author = await db.fetchval("SELECT username FROM audit_log WHERE object_kind = 'document:invoices'")
    assert author == "amoCRM"

    await hook(client, db, settings, body)
    assert await stage_runner.run_due(pool, engine, settings) == 0
    assert len(await invoices_of(db, request.id)) == 1 and len(await log(db)) == 1


async def test_invoice_then_email_through_smtp_and_the_act_later(client, db, pool, settings, engine, clinic, fake,
                                                                 connected, mailbox):
    await smtp(db, settings, mailbox.port)
    await printable(db, clinic)
    await mapped(db, settings, fake, {INVOICED: ("send_invoice", "invoice"), 142: ("send_act",)})
    request = await patient_request(db, engine, clinic)
    await hook(client, db, settings, moved(fake, INVOICED))
    assert [e["payload"]["action"] for e in await log(db)] == ["invoice", "send_invoice"], "made before it is sent"
    assert await stage_runner.run_due(pool, engine, settings) == 2
    [invoice] = await invoices_of(db, request.id)
    assert [(e["state"], e["last_error"]) for e in await log(db)] == [("delivered", "")] * 2
    [message] = mailbox.messages
    assert message["To"] == "ivanov@example.com"
    assert message["Subject"].startswith(f"Счёт на оплату № {people_number(invoice['number'])} от ")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    sent = (await log(db))[1]
    assert sent["state"] == "delivered" and f"счёт № {people_number(invoice['number'])} отправлен на " \
        "ivanov@example.com" in sent["result"]
    assert await db.fetchval("SELECT sent_to FROM generated_documents WHERE document_kind = 'invoices'") == \
        "ivanov@example.com"

    act = await render(db, engine, clinic, request.id, "1500.00")
    await hook(client, db, settings, moved(fake, 142))
    await stage_runner.run_due(pool, engine, settings)
    assert mailbox.messages[-1]["Subject"].startswith(f"Акт об оказании услуг № {people_number(act.number)}")
    assert (await log(db))[-1]["document_id"] == act.id


async def test_the_unpost_action_frees_the_doctors_time(client, db, pool, settings, engine, clinic, fake, connected):
    await mapped(db, settings, fake, {VISITED: ("unpost_requests",)})
    request = await patient_request(db, engine, clinic)
    await hook(client, db, settings, moved(fake, VISITED))
    await stage_runner.run_due(pool, engine, settings)
    assert not await db.fetchval("SELECT posted FROM doc_requests WHERE id = $1", request.id)
    [event] = await log(db)
    assert event["state"] == "delivered" and "отменена, время врача освобождено" in event["result"]


async def test_an_unmapped_stage_or_pipeline_does_nothing(client, db, pool, settings, engine, clinic, fake, connected):
    await mapped(db, settings, fake, {INVOICED: ("invoice", "unpost_requests")})
    request = await patient_request(db, engine, clinic)
    fake.add_pipeline(7_100_001, "Продажи", [(INVOICED + 1, "Новая")])
    for body in (moved(fake, BOOKED), moved(fake, INVOICED, pipeline_id=7_100_001), moved(fake, 142)):
        assert (await hook(client, db, settings, body))["stage_actions"] == []
    assert await log(db) == [] and await stage_runner.run_due(pool, engine, settings) == 0
    assert await db.fetchval("SELECT posted FROM doc_requests WHERE id = $1", request.id)
    assert await invoices_of(db, request.id) == []


async def test_a_failing_action_shows_its_error_and_is_sent_again_after_a_fix(client, db, pool, settings, engine,
                                                                             clinic, fake, connected, mailbox):
    await printable(db, clinic)
    await mapped(db, settings, fake, {INVOICED: ("invoice", "send_invoice")})
    await hook(client, db, settings, moved(fake, INVOICED))  # no Request yet, no SMTP
    await stage_runner.run_due(pool, engine, settings)
    made, sent = await log(db)
    assert made["state"] == sent["state"] == "failed"
    assert made["last_error"] == (f"Сделка {LEAD}, этап «Воронка» → «Счёт выставлен»: у сделки нет заявки, счёт не"
                                  " на чем основать")
    assert sent["last_error"].endswith("у сделки нет счёта, отправлять нечего")

    request = await patient_request(db, engine, clinic)
    await exchange_log.retry(db, made["id"])
    await exchange_log.retry(db, sent["id"])
    await stage_runner.run_due(pool, engine, settings)
    made, sent = await log(db)
    assert made["state"] == "delivered" and len(await invoices_of(db, request.id)) == 1
    assert sent["state"] == "failed" and "не отправлен: Отправка почты не настроена" in sent["last_error"]

    await smtp(db, settings, mailbox.port)
    await exchange_log.retry(db, sent["id"])
    await stage_runner.run_due(pool, engine, settings)
    assert (await log(db))[1]["state"] == "delivered" and len(mailbox.messages) == 1
    assert len(await invoices_of(db, request.id)) == 1


async def test_a_zero_request_is_refused_with_the_posting_error(client, db, pool, settings, engine, clinic, fake,
                                                               connected):
    await mapped(db, settings, fake, {INVOICED: ("invoice",)})
    request = await patient_request(db, engine, clinic, price="0")
    await hook(client, db, settings, moved(fake, INVOICED))
    await stage_runner.run_due(pool, engine, settings)
    [event] = await log(db)
    assert event["state"] == "failed"
    assert f"счёт по заявке № {people_number(request.number)} не выставлен: Счёт не проведён" in event["last_error"]
    assert await invoices_of(db, request.id) == [], "nothing of the refused invoice is written"
