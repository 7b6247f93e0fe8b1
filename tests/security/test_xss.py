"""Hostile names show as text everywhere.

A client called ``<script>alert(1)</script>``, a doctor and a service called
``"><img src=x onerror=alert(1)>`` are used in a Request, a ServiceRendering
and an Invoice, and in an amoCRM event's error. Every page, fragment and
report that shows them is read raw: the markup never appears, its escaped
text does. The PDFs carry the name as text (read back with pypdf), the Excel
export as a plain string, the JSON API as data. The browser half (no dialog
opens in real Chromium) is in ``test_xss_browser.py``.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from erp.amocrm import outbox
from tests.conftest import SECRET
from tests.printing.conftest import pdf_text
from tests.ui.conftest import DAY, schedule_month

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IMG = "&lt;img src=x onerror=alert(1)&gt;"
RAW = ("<script>alert", "<img src=x", "onerror=alert(1)>")


def assert_escaped(path: str, html: str, *shown: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{path}: {html[max(html.find(raw) - 200, 0):html.find(raw) + 200]}"
    for text in shown:
        assert text in html, f"{path} should show {text}"


async def hostile_world(api, clinic, db) -> dict:
    """The hostile names in catalogs, documents, registers and the exchange log."""
    await api.patch(f"/api/catalogs/organizations/{clinic.org}", {
        "address": "Москва, ул. Тверская, 1", "director": "Смирнов А.А.", "chief_accountant": "Кузнецова Т.В."})
    client = await api.item("clients", {"name": SCRIPT, "kind": "person", "email": "x@clinic.example"})
    doctor = await api.item("doctors", {"name": IMG, "full_name": IMG, "specialty": SCRIPT})
    service = await api.item("nomenclature", {"name": IMG, "kind": "service", "price": "700", "duration_minutes": 30})
    goods = await api.item("nomenclature", {"name": SCRIPT, "kind": "goods", "price": "5"})
    await schedule_month(api, clinic)
    await api.create("work-schedules", {"date": f"{DAY[:8]}01T00:00:00", "month": f"{DAY[:8]}01", "lines": [
        {"doctor_id": doctor["id"], "day": DAY, "start": "09:00", "end": "12:00"}]}, post=True)
    await api.create("goods-receipts", {"date": "2030-01-10T08:00:00", "supplier_id": clinic.supplier,
                                        "warehouse_id": clinic.warehouse, "comment": SCRIPT,
                                        "lines": [{"nomenclature_id": goods["id"], "quantity": "10", "price": "2"}]},
                     post=True)
    request = await api.create("requests", {
        "client_id": client["id"], "doctor_id": doctor["id"], "starts_at": f"{DAY}T09:30:00", "comment": SCRIPT,
        "lines": [{"nomenclature_id": service["id"], "quantity": "1", "price": "700"}]}, post=True)
    rendering = await api.create("service-renderings", {
        "date": f"{DAY}T10:00:00", "organization_id": clinic.org, "client_id": client["id"],
        "doctor_id": doctor["id"], "warehouse_id": clinic.warehouse, "comment": SCRIPT,
        "lines": [{"nomenclature_id": service["id"], "quantity": "1", "price": "700"},
                  {"nomenclature_id": goods["id"], "quantity": "1", "price": "5"}]}, post=True)
    invoice = await api.create("invoices", {
        "date": f"{DAY}T11:00:00", "organization_id": clinic.org, "bank_account_id": clinic.account,
        "client_id": client["id"], "comment": SCRIPT,
        "lines": [{"nomenclature_id": service["id"], "quantity": "2", "price": "700"}]}, post=True)
    event = await outbox.enqueue(db, "lead_total", 4242, payload={"note": SCRIPT})
    await db.execute("UPDATE amocrm_events SET state = 'failed', attempts = 1, last_error = $2 WHERE id = $1",
                     event, f"amoCRM 400: {SCRIPT} {IMG}")
    return {"client": client["id"], "doctor": doctor["id"], "service": service["id"], "goods": goods["id"],
            "request": request["id"], "rendering": rendering["id"], "invoice": invoice["id"]}


@pytest.fixture
async def hostile(api, clinic, db) -> dict:
    from erp.amocrm import connection

    await connection.save(db, SECRET, base_url="https://clinic.amocrm.ru", client_id="integration-1",
                          client_secret="s3cret", redirect_uri="https://erp.example/api/amocrm/oauth/callback",
                          account_id=31337, subdomain="clinic",
                          tokens={"access_token": "a", "refresh_token": "r", "expires_in": 86400})
    return await hostile_world(api, clinic, db)


async def test_every_page_and_fragment_shows_the_names_escaped(browser, hostile, clinic):
    h = hostile
    both = (ESCAPED_SCRIPT, ESCAPED_IMG)
    pages = {
        "/catalogs/clients": (ESCAPED_SCRIPT,), f"/catalogs/clients/{h['client']}": (ESCAPED_SCRIPT,),
        "/catalogs/doctors": both, f"/catalogs/doctors/{h['doctor']}": both,
        "/catalogs/nomenclature": both, f"/catalogs/nomenclature/{h['service']}": (ESCAPED_IMG,),
        "/catalogs/clients?q=%3Cscript": (ESCAPED_SCRIPT,),
        "/documents/requests": both, f"/documents/requests/{h['request']}": both,
        "/documents/service-renderings": both, f"/documents/service-renderings/{h['rendering']}": both,
        f"/documents/service-renderings/{h['rendering']}/movements": both,
        f"/documents/service-renderings/{h['rendering']}/structure": (),
        "/documents/invoices": (ESCAPED_SCRIPT,), f"/documents/invoices/{h['invoice']}": both,
        "/documents/goods-receipts": (), f"/documents/service-renderings/new?based_on_kind=requests"
                                         f"&based_on_id={h['request']}": both,
        f"/schedule?date={DAY}": both, f"/schedule/week?date={DAY}&doctor_id={h['doctor']}": both,
        f"/schedule/week?date={DAY}": both, f"/schedule/month?date={DAY}": (ESCAPED_IMG,),
        "/": (ESCAPED_SCRIPT,),
        "/reports/stock?date=2030-12-31": (ESCAPED_SCRIPT,), "/reports/settlements?date=2030-12-31": (ESCAPED_SCRIPT,),
        "/reports/sales?start=2030-01-01&end=2030-01-31": (ESCAPED_IMG,),
        "/reports/sales?start=2030-01-01&end=2030-01-31&group=client": (ESCAPED_SCRIPT,),
        "/reports/sales?start=2030-01-01&end=2030-01-31&group=service": (ESCAPED_IMG,),
        "/reports/invoices": (ESCAPED_SCRIPT,),
        "/integrations/exchange-log": both, "/integrations/exchange-log?state=failed&lead_id=4242": both,
        f"/print/invoices/{h['invoice']}/invoice?format=html": both,
        f"/print/service-renderings/{h['rendering']}/act?format=html": both,
        "/admin/audit-log": (),
    }
    for path, shown in pages.items():
        r = await browser.get(path)
        assert_escaped(path, r.text, *shown)
    fragments = {"/lookup/clients?q=script": (ESCAPED_SCRIPT,), "/lookup/doctors?q=img": (ESCAPED_IMG,),
                 "/lookup/nomenclature?q=onerror": (ESCAPED_IMG,), "/catalogs/clients?q=script": (ESCAPED_SCRIPT,),
                 "/documents/requests?q=script": (), f"/schedule?date={DAY}": both,
                 "/integrations/exchange-log?state=failed": both}
    for path, shown in fragments.items():
        r = await browser.get(path, headers={"HX-Request": "true"})
        assert "<html" not in r.text, path
        assert_escaped(path, r.text, *shown)
    picker = (await browser.get("/lookup/clients?q=script", headers={"HX-Request": "true"})).text
    assert f'data-text="{ESCAPED_SCRIPT}"' in picker  # the chosen text goes back into the input as text
    assert len(pages) + len(fragments) >= 35


async def test_pdfs_excel_and_json_carry_the_names_as_text(browser, api, hostile):
    h = hostile
    invoice = await browser.client.get(f"/print/invoices/{h['invoice']}/invoice")
    assert invoice.headers["content-type"] == "application/pdf"
    text = pdf_text(invoice.content)
    assert SCRIPT in text and "img src=x onerror=alert(1)" in text
    act = await browser.client.get(f"/print/service-renderings/{h['rendering']}/act")
    act_text = pdf_text(act.content)
    assert SCRIPT in act_text and "img src=x onerror=alert(1)" in act_text

    for path, expected in (("/catalogs/clients/export.xlsx", SCRIPT), ("/documents/invoices/export.xlsx", SCRIPT),
                           ("/catalogs/doctors/export.xlsx", IMG)):
        r = await browser.client.get(path)
        assert r.status_code == 200, path
        sheet = load_workbook(io.BytesIO(r.content)).active
        cells = [c.value for row in sheet.iter_rows() for c in row]
        assert expected in cells, (path, cells[:20])
        assert not any(isinstance(c, str) and c.startswith("=") for c in cells), "no formula from data"

    client = await api.get(f"/api/catalogs/clients/{h['client']}")
    assert client["name"] == SCRIPT
    doctor = await api.get(f"/api/catalogs/doctors/{h['doctor']}")
    assert doctor["name"] == IMG
    log = await api.get("/api/amocrm/exchange-log", state="failed")
    assert any(SCRIPT in (e.get("error") or e.get("last_error") or "") for e in log["items"])
    r = await browser.client.get(f"/api/catalogs/clients/{h['client']}", headers=api.headers)
    assert r.headers["content-type"].startswith("application/json")  # never sniffed as a page: see test_headers


async def test_a_formula_looking_name_is_exported_as_text(browser, api):
    """A client name starting with "=" must not become a formula when the accountant opens the export."""
    await api.item("clients", {"name": '=HYPERLINK("http://evil.example","Открыть")', "kind": "person"})
    r = await browser.client.get("/catalogs/clients/export.xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not any(re.match(r"^=", c.value) and c.data_type == "f" for c in cells)
