"""The manager's whole flow in the lead card, in real Chromium against a real ``erp serve`` (issue 17 points 3
and 7): book the appointment, open «Документы», find a service, «Выставить счёт», «Отправить клиенту»; the
email reaches the SMTP server and the PDFs reach the lead in amoCRM as notes with their links."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from erp.amocrm.outbox import people_number
from tests.amocrm.conftest import eventually
from tests.amocrm.test_stage_actions import mailbox, printable, smtp  # noqa: F401  (a fixture)
from tests.amocrm.test_widget_browser import ARGS, CHROMIUM, LEAD, _card
from tests.amocrm.test_widget_documents import consultation

# Creating and emailing the invoice is real server work (posting, PDF, SMTP): on a loaded 2-core CI machine it
# took longer than Playwright's default 5 s, while the page showed «Отправка…».
SERVER_WAIT = 30_000

pytestmark = pytest.mark.e2e
playwright = pytest.importorskip("playwright.async_api")

CONTACT = 7_700_001


async def test_book_then_invoice_then_send_from_the_lead_card(server, db, settings, fake, clinic,
                                                              mailbox):  # noqa: F811
    await printable(db, clinic)
    await smtp(db, settings, mailbox.port)
    service = await consultation(db)
    card = await _card(server, db, settings, fake)
    fake.add_contact(CONTACT, "Иванов Иван Иванович", emails=["ivanov@example.com"])
    fake.link_contact(LEAD, CONTACT)
    async with playwright.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(card)
            await page.wait_for_selector("body[data-widget-ready='1']")
            expect = playwright.expect

            def part(name: str):
                return page.locator(f"#erp-clinic-booking-{name}")

            # book
            await part("date").fill("2021-12-22")
            await part("doctor").select_option(label="Ефимова Е.В.")
            await part("time").select_option("09:05")
            await part("submit").click()
            await expect(part("message")).to_have_text(re.compile(r"^Создана заявка № \d+$"))
            request = await db.fetchrow("SELECT r.number, c.email FROM doc_requests r JOIN cat_clients c"
                                        " ON c.id = r.client_id ORDER BY r.id DESC LIMIT 1")
            assert request["email"] == "ivanov@example.com", "the client is the lead's contact"

            # «Документы»: the Request is there
            await part("tab-documents").click()
            await expect(part("panel-booking")).to_be_hidden()
            row = part("docs").locator("tr[data-kind='requests']")
            await expect(row).to_contain_text(f"Заявка № {people_number(request['number'])}")
            await expect(row.locator(".erp-clinic-booking-status")).to_have_text("Записан")

            # «Выставить счёт» from a service found by search, two of it
            await part("service-search").fill("терапевт")
            await expect(part("service-found").locator("option", has_text="Консультация терапевта")).to_have_count(1)
            await part("service-found").select_option(str(service))
            await part("quantity").fill("2")
            await part("line-add").click()
            await expect(part("invoice-lines")).to_have_text("Консультация терапевта × 2")
            await part("invoice-submit").click()
            await expect(part("docs-message")).to_have_text(re.compile(r"^Выставлен счёт № \d+$"), timeout=SERVER_WAIT)
            invoice = await db.fetchrow("SELECT id, number, amount_total, posted, amocrm_lead_id FROM doc_invoices")
            number = people_number(invoice["number"])
            assert (invoice["amount_total"], invoice["posted"], invoice["amocrm_lead_id"]) == (4000, True, LEAD)
            invoice_row = part("docs").locator("tr[data-kind='invoices']")
            await expect(invoice_row).to_contain_text(f"Счёт на оплату № {number}")
            await expect(invoice_row.locator(".erp-clinic-booking-status")).to_have_text("Не оплачен")

            # «Отправить клиенту»
            await invoice_row.locator("button.erp-clinic-booking-send").click()
            await expect(part("docs-message")).to_have_text("Счёт отправлен на ivanov@example.com", timeout=SERVER_WAIT)
            [message] = mailbox.messages
            assert message["To"] == "ivanov@example.com"
            [attachment] = list(message.iter_attachments())
            assert attachment.get_filename().endswith(".pdf") and attachment.get_content().startswith(b"%PDF")

            # the PDF link opens without any login
            href = await invoice_row.locator("a", has_text="PDF").get_attribute("href")
            assert href.startswith(server.base_url)
            async with httpx.AsyncClient() as http:
                pdf = await http.get(href)
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        finally:
            await browser.close()

    def pdf_notes():
        return [n["params"]["text"] for n in fake.notes(LEAD) if "PDF" in n["params"]["text"]
                or "Отправлено клиенту" in n["params"]["text"]]

    notes = await eventually(lambda: len(pdf_notes()) == 2 and pdf_notes(), within=20)
    assert notes, fake.notes(LEAD)
    assert notes[0].startswith(f"Сформирован PDF: Счёт № {number}")
    assert notes[1].startswith(f"Отправлено клиенту на ivanov@example.com: Счёт № {number}")
    link = notes[1].rsplit(" — ", 1)[1]
    assert urlsplit(link).path == "/api/amocrm/widget/file"
    async with httpx.AsyncClient() as http:
        assert (await http.get(link)).content.startswith(b"%PDF")
