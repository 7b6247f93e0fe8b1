"""«Документы» in the lead card (issue 17 point 3): the lead's Requests, renderings and invoices with number,
amount, status and a PDF link that opens without a session; «Выставить счёт» from services found by search or
on the basis of the lead's Request; «Отправить клиенту» through a real SMTP server on loopback; each kept PDF
a note in the lead with its link (through the outbox, once). Every route wants amoCRM's token and the lead's:
no token, an expired one, or another lead's token reads and does nothing of this lead's."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from erp.amocrm import connection, lead_links
from erp.amocrm.deliver import deliver
from erp.amocrm.outbox import people_number
from erp.configuration import registry
from erp.platform import catalog_service
from tests.amocrm.conftest import AUDIENCE, render
from tests.amocrm.test_stage_actions import mailbox, patient_request, printable, smtp  # noqa: F401  (a fixture)

LEAD, OTHER = 219219, 318318
API = "/api/amocrm/widget"


def amo(fake, **claims) -> dict[str, str]:
    return {"X-Auth-Token": fake.disposable_token(AUDIENCE, **claims)}


async def lead_headers(client, fake, lead_id: int) -> dict[str, str]:
    r = await client.post(f"{API}/lead-token", json={"lead_id": lead_id}, headers=amo(fake))
    assert r.status_code == 200, r.text
    assert r.json()["lead_id"] == lead_id and r.json()["expires_in"] == 1800
    return {**amo(fake), "X-Lead-Token": r.json()["token"]}


async def written(db) -> dict[str, int]:
    tables = ("doc_invoices", "generated_documents", "amocrm_events", "document_counters")
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


async def consultation(db) -> int:
    reg = registry()
    return (await catalog_service.create(db, reg, reg.catalogs["nomenclature"], {
        "name": "Консультация терапевта", "kind": "service", "price": "2000.00", "duration_minutes": 30}))["id"]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
async def lead(db, settings, engine, clinic, fake, connected, mailbox):  # noqa: F811
    """Lead 219219 with a posted Request of a client with an email; the clinic can print and send."""
    await printable(db, clinic)
    await smtp(db, settings, mailbox.port)
    fake.add_lead(LEAD)
    fake.add_lead(OTHER)
    return await patient_request(db, engine, clinic)


async def test_the_lead_lists_its_documents_with_a_pdf_that_opens_without_a_session(client, db, engine, clinic, fake,
                                                                                    lead):
    rendering = await render(db, engine, clinic, lead.id, "1500.00")
    headers = await lead_headers(client, fake, LEAD)
    r = await client.get(f"{API}/documents", headers=headers)
    assert r.status_code == 200, r.text
    found = {(d["kind"], d["id"]): d for d in r.json()["documents"]}
    assert set(found) == {("requests", lead.id), ("service-renderings", rendering.id)}
    request = found[("requests", lead.id)]
    assert (request["number"], request["amount"], request["status"], request["appointment"]) == (
        people_number(lead.number), "1500.00", "Записан", "22.12.2021 09:05")
    act = found[("service-renderings", rendering.id)]
    assert (act["title"], act["amount"], act["status"]) == ("Оказание услуг", "1500.00", "Проведено")

    pdf = await client.get(path_of(act["pdf_url"]))  # no headers at all: the link's signature is enough
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert await db.fetchval("SELECT count(*) FROM generated_documents") == 0, "a look is not a kept PDF"


async def test_invoice_from_searched_services_then_sent_each_pdf_a_note_in_the_lead(client, db, pool, settings,
                                                                                   fake, lead, mailbox):  # noqa: F811
    service = await consultation(db)
    headers = await lead_headers(client, fake, LEAD)
    found = await client.get(f"{API}/services", params={"q": "терапевт"}, headers=amo(fake))
    assert [s["name"] for s in found.json()] == ["Консультация терапевта"]

    r = await client.post(f"{API}/invoices", headers=headers,
                          json={"lines": [{"nomenclature_id": service, "quantity": "2"}]})
    assert r.status_code == 201, r.text
    made = r.json()
    invoice = await db.fetchrow("SELECT * FROM doc_invoices WHERE id = $1", made["id"])
    assert invoice["posted"] and invoice["amocrm_lead_id"] == LEAD and invoice["amount_total"] == 4000
    assert invoice["client_id"] == lead.header["client_id"] and invoice["based_on_id"] is None
    assert made["number"] == people_number(invoice["number"]) and made["amount"] == "4000.00"

    listed = {d["id"]: d for d in (await client.get(f"{API}/documents", headers=headers)).json()["documents"]
              if d["kind"] == "invoices"}
    assert (listed[made["id"]]["status"], listed[made["id"]]["amount"]) == ("Не оплачен", "4000.00")

    sent = await client.post(f"{API}/invoices/{made['id']}/send", headers=headers)
    assert sent.status_code == 200, sent.text
    assert sent.json()["to"] == "ivanov@example.com"
    [message] = mailbox.messages
    assert message["To"] == "ivanov@example.com"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content().startswith(b"%PDF")

    assert await deliver(pool, settings) == 2
    notes = [n["params"]["text"] for n in fake.notes(LEAD)]
    number = made["number"]
    assert notes[0].startswith(f"Сформирован PDF: Счёт № {number} (") and notes[1].startswith(
        f"Отправлено клиенту на ivanov@example.com: Счёт № {number} (")
    for text in notes:
        link = text.rsplit(" — ", 1)[1]
        assert link.startswith(f"{AUDIENCE}{lead_links.FILE_PATH}?t=")
        pdf = await client.get(path_of(link))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert await deliver(pool, settings) == 0 and len(fake.notes(LEAD)) == 2, "each PDF is one note, once"


async def test_invoice_on_the_basis_of_the_leads_request_once(client, db, fake, lead):
    headers = await lead_headers(client, fake, LEAD)
    r = await client.post(f"{API}/invoices", headers=headers, json={"request_id": lead.id})
    assert r.status_code == 201, r.text
    invoice = await db.fetchrow("SELECT * FROM doc_invoices WHERE id = $1", r.json()["id"])
    assert (invoice["based_on_kind"], invoice["based_on_id"], invoice["amount_total"]) == ("requests", lead.id, 1500)
    before = await written(db)
    again = await client.post(f"{API}/invoices", headers=headers, json={"request_id": lead.id})
    assert again.status_code == 409 and again.json()["code"] == "invoice_exists"
    assert f"уже выставлен счёт № {r.json()['number']}" in again.json()["message"]
    for body, field in (({}, "lines"), ({"lines": [{"nomenclature_id": 10**9}]}, "lines"),
                        ({"lines": [{"nomenclature_id": 1, "quantity": "-1"}]}, "lines.0.quantity"),
                        ({"lines": [], "extra": 1}, "extra")):
        bad = await client.post(f"{API}/invoices", headers=headers, json=body)
        assert bad.status_code == 422 and field in bad.json()["details"]["fields"], (body, bad.text)
    assert await written(db) == before


async def test_every_new_route_wants_both_tokens_and_only_the_tokens_lead(client, db, settings, engine, clinic, fake,
                                                                          lead, mailbox):  # noqa: F811
    mine = (await client.post(f"{API}/invoices", headers=await lead_headers(client, fake, LEAD),
                              json={"request_id": lead.id})).json()
    account = await connection.load(db, settings.secret_key)
    expired_lead = lead_links.lead_token(settings.secret_key, account, LEAD, seconds=-120)
    forged = lead_links.lead_token("another-secret-key-of-some-length-0123456789", account, LEAD)
    routes = [("GET", f"{API}/documents", None), ("POST", f"{API}/invoices", {"request_id": lead.id}),
              ("POST", f"{API}/invoices/{mine['id']}/send", None)]
    before = await written(db)
    for method, url, body in routes:
        for case, headers, code in (
                ("no token", {}, "token_missing"),
                ("expired amoCRM token", {**amo(fake, exp=0, iat=0, nbf=0), "X-Lead-Token": expired_lead},
                 "token_expired"),
                ("no lead token", amo(fake), "token_missing"),
                ("expired lead token", {**amo(fake), "X-Lead-Token": expired_lead}, "token_expired"),
                ("forged lead token", {**amo(fake), "X-Lead-Token": forged}, "token_invalid"),
                ("a PDF link as the lead token", {**amo(fake), "X-Lead-Token": "x.y.z"}, "token_invalid")):
            r = await client.request(method, url, headers=headers, json=body)
            assert r.status_code == 401 and r.json()["code"] == code, (method, url, case, r.text)
    for body in (None, {"lead_id": "1"}, {"lead_id": 0}):
        assert (await client.post(f"{API}/lead-token", json=body)).status_code == 401
    assert (await client.post(f"{API}/lead-token", json={"lead_id": 0}, headers=amo(fake))).status_code == 422

    other = await lead_headers(client, fake, OTHER)
    listed = await client.get(f"{API}/documents", headers=other)
    assert listed.status_code == 200 and listed.json() == {"lead_id": OTHER, "documents": []}
    send = await client.post(f"{API}/invoices/{mine['id']}/send", headers=other)
    assert send.status_code == 404 and send.json()["code"] == "document_not_found"
    based = await client.post(f"{API}/invoices", headers=other, json={"request_id": lead.id})
    assert based.status_code == 404
    made = await client.post(f"{API}/invoices", headers=other, json={"lines": [{"nomenclature_id": clinic.service}]})
    assert made.status_code == 409 and made.json()["code"] == "lead_client_unknown"
    assert await written(db) == before and mailbox.messages == []

    # PDF links: only as signed, only while the document is the lead's, only until they expire
    link = lead_links.document_link(settings.secret_key, AUDIENCE, LEAD, "invoices", mine["id"])
    assert (await client.get(path_of(link))).status_code == 200
    elsewhere = lead_links.document_link(settings.secret_key, AUDIENCE, OTHER, "invoices", mine["id"])
    assert (await client.get(path_of(elsewhere))).status_code == 404
    old = lead_links.document_link(settings.secret_key, AUDIENCE, LEAD, "invoices", mine["id"], seconds=-120)
    assert (await client.get(path_of(old))).json()["code"] == "token_expired"
    tampered = link.replace("t=", "t=x")
    assert (await client.get(path_of(tampered))).status_code == 401
    assert (await client.get(f"{API}/file")).json()["code"] == "token_missing"
    lead_token_as_link = f"{API}/file?t={other['X-Lead-Token']}"
    assert (await client.get(lead_token_as_link)).json()["code"] == "token_invalid"
