"""The widget's script.js in real Chromium, in a harness page standing in for amoCRM's lead card, against a
real ``erp serve``: date, then a doctor from the list, then a time from the doctor's free slots, then the button;
a service picked from its list narrows the doctors to its performers and shows a group slot's places."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

import httpx
import pytest

from erp.amocrm import oauth
from erp.amocrm.widget_zip import widget_dir
from erp.configuration import registry
from erp.platform import catalog_service

pytestmark = pytest.mark.e2e
playwright = pytest.importorskip("playwright.async_api")

LEAD = 219219
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
HARNESS = Path(__file__).with_name("widget_harness.html")
CHROMIUM_PRESENT = Path(CHROMIUM).exists()


async def _card(server, db, settings, fake) -> str:
    """The lead card with the widget, served from the fake account's origin; its URL."""
    if not CHROMIUM_PRESENT:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    await oauth.connect(db, settings, base_url=fake.base_url, client_id=fake.client_id,
                        client_secret=fake.client_secret, redirect_uri=f"{server.base_url}/api/amocrm/oauth/callback",
                        code=fake.issue_code())
    fake.add_lead(LEAD)
    # The card and the widget's files are served from the account's origin, as amoCRM serves them.
    card = f"/leads/detail/{LEAD}"
    fake.add_page(card, HARNESS.read_text(encoding="utf-8").replace("__LEAD__", str(LEAD))
                  .replace("__BACKEND__", server.base_url).replace("__AUDIENCE__", server.base_url).encode(),
                  "text/html; charset=utf-8")
    for path in widget_dir().rglob("*"):
        if path.is_file():
            name = path.relative_to(widget_dir()).as_posix()
            fake.add_page(f"/widget/{name}", path.read_bytes(), mimetypes.guess_type(name)[0] or "text/plain")
    return f"{fake.base_url}{card}"


async def test_the_widget_books_an_appointment_in_the_lead_card(server, db, settings, fake, clinic):
    card = await _card(server, db, settings, fake)
    async with playwright.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            await page.goto(card)
            await page.wait_for_selector("body[data-widget-ready='1']")
            expect = playwright.expect
            date, doctor, time = (page.locator(f"#erp-clinic-booking-{n}") for n in ("date", "doctor", "time"))
            button, message = page.locator("#erp-clinic-booking-submit"), page.locator("#erp-clinic-booking-message")
            await expect(button).to_have_text("Зарегистрировать запись к врачу в 1С")
            await expect(button).to_be_disabled()
            assert await doctor.evaluate("e => e.tagName") == "SELECT" == await time.evaluate("e => e.tagName"), \
                "the doctor and the time are chosen from lists, never typed"

            await date.fill("2021-12-22")
            await expect(doctor.locator("option")).to_have_text(["Выберите врача", "Ефимова Е.В.", "Ишаева М.И."])
            await doctor.select_option(label="Ефимова Е.В.")
            await expect(time.locator("option").nth(1)).to_have_text("08:15")
            await time.select_option("09:05")
            await expect(button).to_be_enabled()
            await button.click()
            await expect(message).to_have_text(re.compile(r"^Создана заявка № \d+$"))
            request = await db.fetchrow("SELECT * FROM doc_requests ORDER BY id DESC LIMIT 1")
            assert await message.text_content() == f"Создана заявка № {int(request['number'])}"
            assert request["posted"] and request["amocrm_lead_id"] == LEAD and request["doctor_id"] == clinic.efimova
            await expect(time.locator("option[value='09:05']")).to_have_count(0)

            # Someone else takes Ишаева's 10:00 while the manager is choosing it: the server's error is shown.
            await doctor.select_option(label="Ишаева М.И.")
            await time.select_option("10:00")
            async with httpx.AsyncClient(base_url=server.base_url) as http:
                taken = await http.post("/api/amocrm/widget/appointments", json={
                    "lead_id": 777, "date": "2021-12-22", "doctor_id": clinic.ishaeva, "time": "10:00"},
                    headers={"X-Auth-Token": fake.disposable_token(server.base_url)})
            assert taken.status_code == 201
            await button.click()
            await expect(message).to_have_text("Это время у врача уже занято другой заявкой")
            assert await message.get_attribute("data-kind") == "error"
            assert not [line for line in console if "CORS" in line or "blocked" in line], console
        finally:
            await browser.close()


async def test_the_manager_picks_the_service_and_its_performers_and_places(server, db, settings, fake, clinic):
    card = await _card(server, db, settings, fake)
    reg = registry()
    yoga = (await catalog_service.create(db, reg, reg.catalogs["nomenclature"], {
        "name": "Лечебная физкультура", "kind": "service", "price": "700", "duration_minutes": 60,
        "group_capacity": 8, "performers": [{"doctor_id": clinic.ishaeva}]}))["id"]
    async with playwright.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(card)
            await page.wait_for_selector("body[data-widget-ready='1']")
            expect = playwright.expect
            date, service, doctor, time = (page.locator(f"#erp-clinic-booking-{n}")
                                           for n in ("date", "service", "doctor", "time"))
            button, message = page.locator("#erp-clinic-booking-submit"), page.locator("#erp-clinic-booking-message")
            await expect(service.locator("option", has_text="Лечебная физкультура (группа, мест: 8)")).to_have_count(1)
            await date.fill("2021-12-22")
            await service.select_option(label="Лечебная физкультура (группа, мест: 8)")
            await expect(doctor.locator("option")).to_have_text(["Выберите врача", "Ишаева М.И."])
            await doctor.select_option(label="Ишаева М.И.")
            await time.select_option("10:00")
            await button.click()
            await expect(message).to_have_text(re.compile(r"^Создана заявка № \d+$"))
            booked = await db.fetchrow("SELECT r.doctor_id, r.group_capacity, l.nomenclature_id FROM doc_requests r"
                                       " JOIN doc_requests_lines l ON l.document_id = r.id ORDER BY r.id DESC LIMIT 1")
            assert (booked["doctor_id"], booked["group_capacity"], booked["nomenclature_id"]) == (
                clinic.ishaeva, 8, yoga)
            # the slots came back: the begun group slot shows its places
            await doctor.select_option(label="Ишаева М.И.")
            await expect(time.locator("option[value='10:00']")).to_have_text("10:00 (1/8)")
        finally:
            await browser.close()
