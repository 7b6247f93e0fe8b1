"""CSRF on every unsafe UI route, taken from the application's own route table.

:data:`CASES` has a real, writing request for each POST/PUT/PATCH/DELETE route
outside ``/api`` (the API takes bearer tokens, never cookies). The first test
fails when a route is added without a case here, so a new form cannot slip
through. Each request, sent by a logged-in admin, is refused with 403 and
writes nothing when the token is missing, wrong, or valid but another
browser's; with its own token the same request gets through and writes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from PIL import Image

from erp.amocrm import connection, outbox
from erp.amocrm import pipelines as amo_pipelines
from erp.printing import templates_store
from tests.conftest import SECRET
from tests.imports.conftest import xlsx
from tests.ui.conftest import DAY, Browser, another_browser, schedule_month
from tests.ui.test_integrations import failed_event

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SESSION_FREE = ("/login",)  # no session to ride on; its token is checked all the same
UNREACHABLE = {"/integrations/amocrm/fields", "/documents/{kind_name:str}/{doc_id:int}/send",
               "/reports/reconciliation/send"}
READ_ONLY = {"/catalogs/{name:str}/import/preview",  # checks an Excel file, writes nothing by design
             "/bank-statements/preview"}  # likewise a bank statement


def unsafe_ui_routes(app) -> set[tuple[str, str]]:
    return {(method, route.path) for route in app.routes for method in getattr(route, "methods", ())
            if method in UNSAFE and not route.path.startswith("/api/")}


@dataclass
class Ids:
    org: int
    client: int
    service: int
    efimova: int
    ishaeva: int
    request: int
    invoice: int
    draft: int
    schedule: int
    manager: int
    admin: int
    event: int
    missed: int  # a status a visit in 2030 may take («Пришел» waits for the visit to start)
    generated: int  # a printed invoice in the registry of generated documents
    supplier: int = 0
    below_minimum: str = ""  # a row of «Потребность в закупке» (warehouse:item) to order


Case = Callable[[Ids], tuple[str, dict]]
FILE = "file"  # an uploaded image: the request goes as multipart/form-data


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (90, 90), (200, 0, 0)).save(out, "PNG")
    return out.getvalue()


PNG = _png()
# A bank statement of the clinic's account: the supplier pays 100 ₽ in (a payment is written)
STATEMENT = "\r\n".join((
    "1CClientBankExchange", "ВерсияФормата=1.03", "РасчСчет=40702810938000000001", "СекцияДокумент=Платежное поручение",
    "Номер=1", "Дата=10.01.2030", "Сумма=100.00", "ПлательщикСчет=40702810500000000321", "ПлательщикИНН=7812345675",
    "ПолучательСчет=40702810938000000001", "КонецДокумента", "КонецФайла")).encode("cp1251")
STAGE = (5_000_001, 50_000_004)  # a stage amoCRM gave (the page read it before amoCRM went away)

CASES: dict[tuple[str, str], Case] = {
    ("POST", "/login"): lambda i: ("/login", {"username": "admin-user", "password": "password-123"}),
    ("POST", "/logout"): lambda i: ("/logout", {}),
    ("POST", "/locale"): lambda i: ("/locale", {"lang": "en", "next": "/"}),
    ("POST", "/catalogs/{name:str}/new"): lambda i: ("/catalogs/clients/new",
                                                      {"name": "Подделка CSRF", "kind": "person"}),
    ("POST", "/catalogs/{name:str}/{item_id:int}"): lambda i: (f"/catalogs/clients/{i.client}",
                                                                {"name": "Переименован", "kind": "person"}),
    ("POST", "/documents/{kind_name:str}/new"): lambda i: ("/documents/invoices/new", {
        "date": "2030-01-10T09:00", "organization_id": i.org, "client_id": i.client, "action": "post",
        "lines-0-nomenclature_id": i.service, "lines-0-quantity": "1", "lines-0-price": "100"}),
    ("POST", "/documents/{kind_name:str}/{doc_id:int}"): lambda i: (f"/documents/invoices/{i.draft}",
                                                                     {"action": "mark"}),
    ("POST", "/schedule/work-schedules/new"): lambda i: ("/schedule/work-schedules/new", {
        "month": "2030-02", "date": "2030-02-01T00:00", "comment": "", "action": "post",
        f"cell-{i.efimova}-2030-02-04": "09:00-12:00"}),
    ("POST", "/schedule/work-schedules/{doc_id:int}"): lambda i: (f"/schedule/work-schedules/{i.schedule}",
                                                                   {"action": "unpost"}),
    ("POST", "/schedule/requests/{doc_id:int}/move"): lambda i: (f"/schedule/requests/{i.request}/move", {
        "doctor_id": i.ishaeva, "starts_at": f"{DAY}T14:15", "view": "day", "date": DAY, "step": "15"}),
    ("POST", "/schedule/requests/{doc_id:int}/status"): lambda i: (f"/schedule/requests/{i.request}/status", {
        "visit_status_id": i.missed, "view": "day", "date": DAY, "step": "15"}),
    ("POST", "/integrations/amocrm/connect"): lambda i: ("/integrations/amocrm/connect", {
        "base_url": "https://evil.amocrm.ru", "client_id": "attacker", "client_secret": "x",
        "redirect_uri": "https://evil.example/cb"}),
    ("POST", "/integrations/amocrm/resume"): lambda i: ("/integrations/amocrm/resume", {}),
    ("POST", "/integrations/amocrm/fields"): lambda i: ("/integrations/amocrm/fields", {"create": "1"}),
    ("POST", "/integrations/exchange-log/{event_id:int}/retry"): lambda i: (
        f"/integrations/exchange-log/{i.event}/retry", {"back": "/integrations/exchange-log"}),
    ("POST", "/reports/purchase-needs/order"): lambda i: ("/reports/purchase-needs/order", {
        "days": "30", "lead_days": "7", "row": i.below_minimum, "supplier_id": i.supplier,
        "organization_id": i.org}),
    ("POST", "/print/batch"): lambda i: ("/print/batch", {"kind": "invoices", "form": "invoice", "doc": i.invoice}),
    ("POST", "/admin/users"): lambda i: ("/admin/users", {"username": "mallory", "full_name": "", "role": "admin",
                                                          "password": "mallory-pass-1"}),
    ("POST", "/admin/users/{user_id:int}"): lambda i: (f"/admin/users/{i.manager}",
                                                       {"action": "role", "role": "admin"}),
    ("POST", "/admin/period-lock"): lambda i: ("/admin/period-lock", {"date": "2020-12-31", "organization_id": ""}),
    ("POST", "/admin/smtp"): lambda i: ("/admin/smtp", {
        "host": "127.0.0.1", "port": "2525", "security": "none", "username": "erp", "password": "smtp-pass",
        "from_email": "erp@clinic.example", "from_name": "Клиника", "timeout_seconds": "5"}),
    ("POST", "/admin/amocrm/stage-actions"): lambda i: ("/admin/amocrm/stage-actions", {
        f"action-{STAGE[0]}-{STAGE[1]}": "invoice"}),
    ("POST", "/admin/print-templates/new"): lambda i: ("/admin/print-templates/new", {
        "name": "Шаблон подделки", "kind": "invoices", "body": "<p>{{ client.name }}</p>", "active": "on"}),
    ("POST", "/admin/print-templates/{template:str}"): lambda i: ("/admin/print-templates/act", {
        "action": "save", "name": "Акт (CSRF)", "kind": "service-renderings",
        "body": templates_store.shipped_text("act")}),
    ("POST", "/generated-documents/{generated_id:int}/scan"): lambda i: (
        f"/generated-documents/{i.generated}/scan", {FILE: PNG}),
    ("POST", "/generated-documents/{generated_id:int}/signed"): lambda i: (
        f"/generated-documents/{i.generated}/signed", {"action": "sign"}),
    ("POST", "/admin/print-variables"): lambda i: ("/admin/print-variables", {
        "name": "csrf_var", "title": "Подделка", "value_type": "text", "value": "x", "kind": ""}),
    ("POST", "/admin/document-defaults"): lambda i: ("/admin/document-defaults", {
        "organization_id": str(i.org), "bank_account_id": "", "discount_percent": "7", "discount_amount": "",
        "vat_rate": "20"}),
    ("POST", "/admin/enterprise-data"): lambda i: ("/admin/enterprise-data", {
        "organization": str(i.org), "start": "2030-01-01", "end": "2030-01-31", "only_changed": "on"}),
    ("POST", "/admin/signatures/stamps/{organization_id:int}"): lambda i: (
        f"/admin/signatures/stamps/{i.org}", {FILE: PNG}),
    ("POST", "/admin/signatures/stamps/{organization_id:int}/delete"): lambda i: (
        f"/admin/signatures/stamps/{i.org}/delete", {}),
    ("POST", "/admin/signatures/facsimiles"): lambda i: ("/admin/signatures/facsimiles", {
        "user_id": i.admin, "organization_id": i.org, "position": "director", FILE: PNG}),
    ("POST", "/admin/signatures/facsimiles/{user_id:int}/allowed"): lambda i: (
        f"/admin/signatures/facsimiles/{i.admin}/allowed", {"allowed_user_ids": i.manager}),
    ("POST", "/admin/signatures/facsimiles/{user_id:int}/delete"): lambda i: (
        f"/admin/signatures/facsimiles/{i.admin}/delete", {}),
    ("POST", "/documents/{kind_name:str}/{doc_id:int}/send"): lambda i: (
        f"/documents/invoices/{i.invoice}/send", {"form": "invoice", "to": "client@clinic.example"}),
    ("POST", "/catalogs/{name:str}/import/preview"): lambda i: (
        "/catalogs/clients/import/preview", {FILE: xlsx(["Наименование"], ["Проверка токена"])}),
    ("POST", "/catalogs/{name:str}/import"): lambda i: (
        "/catalogs/clients/import", {FILE: xlsx(["Наименование"], ["Загружен с токеном"])}),
    ("POST", "/bank-statements/preview"): lambda i: ("/bank-statements/preview", {FILE: STATEMENT}),
    ("POST", "/bank-statements"): lambda i: ("/bank-statements", {FILE: STATEMENT}),
    ("POST", "/reports/reconciliation/send"): lambda i: ("/reports/reconciliation/send", {
        "counterparty_id": i.client, "organization_id": i.org, "start": "2030-01-01", "end": "2030-01-31",
        "to": "client@clinic.example"}),
    ("POST", "/admin/settings"): lambda i: ("/admin/settings", {"slot_step_minutes": "15",
                                                                "default_appointment_minutes": "45",
                                                                "day_start": "09:00", "day_end": "18:00",
                                                                "low_stock_threshold": "3"}),
}


async def fingerprint(db) -> dict[str, str]:
    """Every table's content (sessions without their last-seen clock): any write changes it."""
    tables = [r["tablename"] for r in await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'ui_sessions'")]
    prints = {t: await db.fetchval(f'SELECT md5(coalesce(string_agg(t::text, \',\' ORDER BY t::text), \'\')) '
                                   f'FROM "{t}" t') for t in tables}
    prints["ui_sessions"] = await db.fetchval(
        "SELECT md5(coalesce(string_agg(token_hash || user_id || data::text, ',' ORDER BY token_hash), ''))"
        " FROM ui_sessions")
    return prints


@pytest.fixture
async def ids(api, clinic, db, users) -> Ids:
    await api.patch(f"/api/catalogs/organizations/{clinic.org}", {
        "address": "Москва, ул. Тверская, 1", "director": "Смирнов А.А.", "chief_accountant": "Кузнецова Т.В."})
    await schedule_month(api, clinic)
    schedule = await db.fetchval("SELECT max(id) FROM doc_work_schedules")
    request = await api.create("requests", {
        "doctor_id": clinic.efimova, "client_id": clinic.client, "starts_at": f"{DAY}T10:30:00",
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]}, post=True)
    invoice, draft = [await api.create("invoices", {
        "date": "2030-01-10T09:00:00", "organization_id": clinic.org, "bank_account_id": clinic.account,
        "client_id": clinic.client,
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]}) for _ in range(2)]
    await users.headers("manager")
    manager = await db.fetchval("SELECT id FROM users WHERE username = 'manager-user'")
    admin = await db.fetchval("SELECT id FROM users WHERE username = 'admin-user'")
    # Connected to an amoCRM that is not there (a closed local port): its calls fail at once.
    await connection.save(db, SECRET, base_url="http://127.0.0.1:9", client_id="integration-1",
                          client_secret="s3cret", redirect_uri="http://127.0.0.1:9/api/amocrm/oauth/callback",
                          account_id=31337, subdomain="clinic",
                          tokens={"access_token": "a", "refresh_token": "r", "expires_in": 86400})
    await connection.pause(db, "blocked", "amoCRM ответил 403")
    await amo_pipelines.remember(db, [amo_pipelines.Pipeline(STAGE[0], "Воронка", 1, True, False, (
        amo_pipelines.Stage(STAGE[1], "Счёт выставлен", 50),))])
    event = await failed_event(db, 219219, "validation-errors: price must be int")
    await outbox.enqueue(db, "lead_total", 219220)
    missed = await db.fetchval("SELECT id FROM cat_visit_statuses WHERE predefined = 'missed'")
    printed = await api.client.get(f"/api/documents/invoices/{invoice['id']}/print/invoice", headers=api.headers)
    generated = int(printed.headers["X-Generated-Document-Ids"])
    await api.patch(f"/api/catalogs/nomenclature/{clinic.goods}",  # none in stock: below its minimum
                    {"minimums": [{"warehouse_id": clinic.warehouse, "minimum": "5"}]})
    return Ids(clinic.org, clinic.client, clinic.service, clinic.efimova, clinic.ishaeva, request["id"],
               invoice["id"], draft["id"], schedule, manager, admin, event, missed, generated,
               clinic.supplier, f"{clinic.warehouse}:{clinic.goods}")


def test_every_unsafe_ui_route_has_a_csrf_case(app):
    routes = unsafe_ui_routes(app)
    assert len(routes) >= 20
    assert routes - set(CASES) == set(), "a new unsafe UI route: add its request to CASES"
    assert set(CASES) - routes == set(), "CASES lists a route the app no longer has"


async def _send(browser: Browser, path: str, form: dict, token: str | None, htmx: bool = False,
                headers: dict | None = None):
    body = {k: str(v) for k, v in form.items() if k != FILE}
    if token is not None:
        body["_csrf_token"] = token
    files = {FILE: ("stamp.png", form[FILE], "image/png")} if FILE in form else None
    headers = {**({"HX-Request": "true"} if htmx else {}), **(headers or {})}
    return await browser.client.post(path, data=body, files=files, headers=headers, follow_redirects=False)


async def test_without_the_right_token_every_ui_post_is_refused_and_writes_nothing(browser, client, ids, db):
    other = Browser(another_browser(client))
    await other.get("/login")
    foreign = other.token  # properly signed, but bound to the other browser's cookie
    assert foreign and foreign != browser.token
    before = await fingerprint(db)
    tried = 0
    for (method, _), case in sorted(CASES.items()):
        path, form = case(ids)
        for label, token in (("no token", None), ("wrong token", "0" * 128), ("forged", browser.token[:-4] + "abcd"),
                             ("another browser's token", foreign)):
            for htmx in (False, True):
                r = await _send(browser, path, form, token, htmx)
                assert r.status_code == 403, f"{method} {path} with {label}: {r.status_code} {r.text[:300]}"
                assert "CSRF" in r.text, r.text[:300]
                tried += 1
        # The header an htmx request carries is checked the same way.
        r = await _send(browser, path, form, None, headers={"HX-Request": "true", "x-csrftoken": foreign})
        assert r.status_code == 403, f"{method} {path} with a foreign header token"
        tried += 1
    assert await fingerprint(db) == before
    assert tried == len(CASES) * 9
    page = await browser.client.get("/")
    assert page.status_code == 200 and "admin-user" in page.text  # the session survived /logout without a token


async def test_with_its_own_token_each_ui_post_gets_through_and_writes(browser, ids, db):
    """The same requests with the browser's own token: past the CSRF check, and each one's write is there."""
    unchanged = []
    for (method, template), case in sorted(CASES.items(), key=lambda c: (c[0][1] in ("/logout", "/login"), c[0][1])):
        path, form = case(ids)
        before = await fingerprint(db)
        r = await _send(browser, path, form, browser.token, htmx=template.startswith("/schedule/requests"))
        assert r.status_code != 403 and "CSRF" not in r.text, f"{method} {path}: {r.status_code} {r.text[:300]}"
        # amoCRM and the SMTP server are not there: those answer 502 Bad Gateway, past the CSRF check.
        unreachable = template in UNREACHABLE and r.status_code == 502
        assert r.status_code < 500 or unreachable, f"{method} {path}: {r.status_code}"
        if template == "/locale":
            assert r.headers["set-cookie"].startswith("erp_lang=en")
            await _send(browser, "/locale", {"lang": "ru", "next": "/"}, browser.token)
        elif template == "/print/batch":
            assert r.headers["content-type"] == "application/pdf"
        if await fingerprint(db) == before:
            unchanged.append(template)
        if template not in SESSION_FREE and template != "/logout":
            await browser.get("/")  # the token of the next page, as a person would have it
    # /locale writes a cookie only.
    assert set(unchanged) <= {"/locale", *UNREACHABLE, *READ_ONLY}, unchanged
    assert await db.fetchval("SELECT count(*) FROM cat_clients WHERE name = 'Подделка CSRF'") == 1
    assert await db.fetchval("SELECT role FROM users WHERE id = $1", ids.manager) == "admin"
    assert re.search(r"^/login", (await browser.client.get("/", follow_redirects=False)).headers["location"])
