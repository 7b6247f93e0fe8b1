"""The world the authorization matrix walks in: one object of each kind to point the path ids at,
the five callers, and for every row of the table the request a real user would make.

Bodies are valid where that is cheap (a catalog item, a document, an upload), so that allowed
calls mostly succeed; a refused call must be refused before its body matters anyway.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

import httpx
from PIL import Image

from erp.amocrm import connection as connections
from erp.amocrm import lead_links
from erp.auth.service import add_user
from erp.printing import scans
from tests.amocrm.conftest import AUDIENCE
from tests.clinic.conftest import Api, Clinic
from tests.imports.conftest import xlsx
from tests.ui.conftest import CSRF, DAY, PASSWORD, another_browser, schedule_month

LOGIN_USER = "matrix-login"
SMTP_PASSWORD = "smtp-secret"  # what tests.printing.test_email's mailbox accepts
FORMS = {"invoices": "invoice", "service-renderings": "act", "requests": "contract", "payments": "ko1",
         "outgoing-payments": "ko2", "supplier-orders": "supplier-order", "client-returns": "client-return",
         "inventory-counts": "inv3", "stock-write-offs": "torg16", "stock-transfers": "torg13"}
FILES = {"swagger": "swagger-ui.css", "ui": "app.css", "api": "swagger-init.js"}
_names = itertools.count(1)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 60), (20, 40, 160)).save(out, "PNG")
    return out.getvalue()


def unique(prefix: str) -> str:
    return f"{prefix} {next(_names)}"


@dataclass
class Caller:
    """One column of the table: its own cookie jar, and how it proves who it is."""

    name: str
    http: httpx.AsyncClient
    bearer: dict[str, str] = field(default_factory=dict)
    widget_token: Any = None  # () -> a fresh X-Auth-Token
    csrf: str = ""
    has_session: bool = False

    def headers(self, path: str) -> dict[str, str]:
        out = dict(self.bearer) if path.startswith("/api/") else {}
        if self.widget_token:
            out["X-Auth-Token"] = self.widget_token()
        if self.csrf:
            out["X-CSRFToken"] = self.csrf
        return out


async def browser_csrf(http: httpx.AsyncClient, path: str = "/login") -> str:
    page = await http.get(path)
    found = CSRF.search(page.text)
    assert found, f"{path} has a CSRF token"
    return found.group(1)


async def logged_in(client, username: str) -> httpx.AsyncClient:
    http = another_browser(client)
    csrf = await browser_csrf(http)
    r = await http.post("/login", data={"username": username, "password": PASSWORD, "_csrf_token": csrf},
                        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/", r.text[:500]
    return http


async def make_callers(client, users, fake) -> dict[str, Caller]:
    callers = {"anonymous": Caller("anonymous", another_browser(client))}
    for role in ("manager", "accountant", "admin"):
        bearer = await users.headers(role)
        callers[role] = Caller(role, await logged_in(client, f"{role}-user"), bearer=bearer, has_session=True)
    callers["widget"] = Caller("widget", another_browser(client),
                               widget_token=lambda: fake.disposable_token(AUDIENCE, ttl=1800))
    for caller in callers.values():
        caller.csrf = await browser_csrf(caller.http, "/" if caller.has_session else "/login")
    return callers


@dataclass
class World:
    clinic: Clinic
    items: dict[str, int]  # catalog → an item that only the matrix changes
    item_names: dict[str, str]
    docs: dict[str, int]  # document kind → a document that only the matrix changes
    doc_bodies: dict[str, dict]
    generated: int
    facsimile_owner: int
    victim: int
    event: int
    webhook_secret: str
    account_id: int
    subdomain: str
    smtp_port: int
    lead: int = 7001
    spare: dict[str, int] = field(default_factory=dict)  # catalog → an unused item for the DELETE rows
    sold: int = 0  # a posted rendering: what a return is filled from (the matrix's own rendering is a draft)
    lead_token: str = ""  # the widget's X-Lead-Token for lead 7002 (a posted Request and its rendering)
    file_token: str = ""  # a signed PDF link's token: the registry's PDF


def catalog_body(ids: Clinic, catalog: str, name: str) -> dict:
    extra = {"bank-accounts": {"organization_id": ids.org, "account_number": "40702810938000000002"},
             "cash-desks": {"organization_id": ids.org, "responsible": "Петрова О.Н."},
             "clients": {"kind": "person"}, "nomenclature": {"kind": "service", "price": "100.00"}}
    return {"name": name, **extra.get(catalog, {})}


def document_bodies(ids: Clinic) -> dict[str, dict]:
    service = [{"nomenclature_id": ids.service, "quantity": "1", "price": "1500"}]
    return {
        "goods-receipts": {"date": "2030-01-10T10:00:00", "organization_id": ids.org, "supplier_id": ids.supplier,
                           "warehouse_id": ids.warehouse,
                           "lines": [{"nomenclature_id": ids.goods, "quantity": "10", "price": "20"}]},
        "invoices": {"date": "2030-01-10T11:00:00", "organization_id": ids.org, "bank_account_id": ids.account,
                     "client_id": ids.client, "lines": service},
        "payments": {"date": "2030-01-10T12:00:00", "organization_id": ids.org, "client_id": ids.client,
                     "amount": "100.00", "method": "cash", "cash_desk_id": ids.desk},
        "outgoing-payments": {"date": "2030-01-10T12:30:00", "organization_id": ids.org, "operation": "to_supplier",
                              "method": "cash", "cash_desk_id": ids.desk, "recipient_id": ids.supplier,
                              "amount": "40.00", "purpose": "Оплата поставщику"},
        "money-transfers": {"date": "2030-01-10T12:40:00", "organization_id": ids.org, "method": "cash",
                            "cash_desk_id": ids.desk, "method_to": "bank", "bank_account_to_id": ids.account,
                            "amount": "30.00"},
        "requests": {"date": "2030-01-10T09:00:00", "doctor_id": ids.efimova, "client_id": ids.client,
                     "starts_at": f"{DAY}T09:00:00", "lines": service},
        "service-renderings": {"date": f"{DAY}T15:00:00", "organization_id": ids.org, "client_id": ids.client,
                               "doctor_id": ids.efimova, "warehouse_id": ids.warehouse, "lines": service},
        "opening-balances": {"date": "2030-01-01T00:00:00", "organization_id": ids.org, "section": "money",
                             "lines": [{"cash_desk_id": ids.desk, "balance": "1000.00"}]},
        "stock-write-offs": {"date": "2030-01-10T13:00:00", "organization_id": ids.org, "warehouse_id": ids.warehouse,
                             "reason": "Бой", "lines": [{"nomenclature_id": ids.goods, "quantity": "1"}]},
        "inventory-counts": {"date": "2030-01-10T18:00:00", "organization_id": ids.org,
                             "warehouse_id": ids.warehouse, "lines": [{"nomenclature_id": ids.goods, "quantity": "9"}]},
        "stock-transfers": {"date": "2030-01-10T13:30:00", "organization_id": ids.org, "warehouse_id": ids.warehouse,
                            "warehouse_to_id": ids.cabinet,
                            "lines": [{"nomenclature_id": ids.goods, "quantity": "1"}]},
        "supplier-orders": {"date": "2030-01-10T08:00:00", "organization_id": ids.org, "supplier_id": ids.supplier,
                            "warehouse_id": ids.warehouse,
                            "lines": [{"nomenclature_id": ids.goods, "quantity": "5", "price": "20"}]},
        "work-schedules": {"date": "2030-01-01T00:00:00", "month": "2030-01-01",
                           "lines": [{"doctor_id": ids.third, "day": DAY, "start": "10:00", "end": "12:00"}]},
        "resource-schedules": {"date": "2030-01-01T00:00:00", "month": "2030-01-01",
                               "lines": [{"resource_id": ids.room, "day": DAY, "start": "08:00", "end": "20:00"}]},
    }


def smtp_settings(port: int) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": port, "security": "none", "username": "clinic", "password": SMTP_PASSWORD,
            "from_email": "erp@clinic.test", "timeout_seconds": 5}


async def build_world(api: Api, ids: Clinic, db, settings, registry, smtp_port: int) -> World:
    """The objects every path id points at, made by an administrator."""
    await add_user(db, LOGIN_USER, "manager", PASSWORD)
    victim = await add_user(db, "matrix-victim", "manager", PASSWORD)
    director = await add_user(db, "matrix-director", "accountant", PASSWORD)
    await schedule_month(api, ids)
    await api.patch(f"/api/catalogs/organizations/{ids.org}", {  # what the print forms need
        "address": "191000, Санкт-Петербург, Невский пр., д. 1", "director": "Смирнов А.А.",
        "chief_accountant": "Кузнецова Т.В."})
    # The organization a Request's contract is printed by (a Request names none of its own).
    await api.client.put("/api/settings/document-defaults", json={"organization_id": ids.org}, headers=api.headers)
    items, names = {}, {}
    for catalog in registry.catalogs:
        names[catalog] = unique(f"Цель матрицы ({catalog})")
        items[catalog] = (await api.item(catalog, catalog_body(ids, catalog, names[catalog])))["id"]
    if not ids.cabinet:  # a transfer needs a second warehouse
        ids = replace(ids, cabinet=(await api.item("warehouses", {"name": "Процедурный кабинет"}))["id"])
    bodies = document_bodies(ids)
    sold = await api.create("service-renderings", bodies["service-renderings"], post=True)  # what returns are of
    bodies["client-returns"] = {"date": f"{DAY}T16:00:00", "organization_id": ids.org, "client_id": ids.client,
                                "warehouse_id": ids.warehouse, "based_on": {"kind": "service-renderings",
                                                                            "id": sold["id"]},
                                "lines": [{"nomenclature_id": ids.service, "quantity": "1"}]}
    docs = {kind: (await api.create(kind, body))["id"] for kind, body in bodies.items()}
    assert set(docs) == set(registry.documents), "a body for every document kind"
    printed = await api.client.get(f"/api/documents/invoices/{docs['invoices']}/print/invoice", headers=api.headers)
    assert printed.status_code == 200, printed.text
    await api.client.put(f"/api/print/stamps/{ids.org}", headers=api.headers,
                         files={"file": ("stamp.png", png(), "image/png")})
    r = await api.client.put(f"/api/print/facsimiles/{director}", headers=api.headers,
                             files={"file": ("sign.png", png(), "image/png")},
                             data={"organization_id": str(ids.org), "position": "director", "allowed_user_ids": ""})
    assert r.status_code == 200, r.text
    # an outgoing amoCRM event: a ServiceRendering based on a Request of a lead
    booked = await api.create("requests", {**bodies["requests"], "starts_at": f"{DAY}T11:00:00",
                                           "amocrm_lead_id": 7002}, post=True)
    filled = await api.get(f"/api/documents/requests/{booked['id']}/based/service-renderings")
    await api.create("service-renderings", {**filled, "organization_id": ids.org, "date": f"{DAY}T12:00:00"},
                     post=True)
    event = await db.fetchval("SELECT max(id) FROM amocrm_events WHERE direction = 'out'")
    assert event, "the rendering queued its lead's budget"
    await api.put("/api/settings/smtp", smtp_settings(smtp_port))
    account = await connections.load(db, settings.secret_key)
    spare = {catalog: (await api.item(catalog, catalog_body(ids, catalog, unique(f"Удаляемый ({catalog})"))))["id"]
             for catalog in registry.catalogs}
    generated = int(printed.headers["X-Generated-Document-Ids"])
    await scans.attach(db, generated, png(), "скан.png", None)  # what «Скачать скан» gives back
    return World(ids, items, names, docs, bodies, generated, director,
                 victim, event, account.webhook_secret, account.account_id, account.subdomain, smtp_port,
                 spare=spare, sold=sold["id"], lead_token=lead_links.lead_token(settings.secret_key, account, 7002),
                 file_token=lead_links.generated_link(settings.secret_key, "", None, generated).split("t=", 1)[1])


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _id(name: str, segments: list[str], i: int, world: World, method: str = "GET") -> object:
    owner = segments[i - 1]
    if name == "item_id":
        return (world.spare if method == "DELETE" else world.items)[owner]
    if name == "doc_id":
        return world.sold if segments[i + 1:] == ["based", "client-returns"] else world.docs[owner]
    if name == "form":
        return FORMS[segments[i - 3]]
    if name == "user_id":
        return world.victim if owner == "users" else world.facsimile_owner
    if name == "file_path":
        return FILES[owner]
    if name == "token":
        return "no-such-import"
    return {"generated_id": world.generated, "organization_id": world.clinic.org, "event_id": world.event,
            "invoice_id": world.docs["invoices"],  # not lead 7002's: the widget is told it is not found
            "client_id": world.clinic.client,
            "template": "invoice",
            "secret": world.webhook_secret, "path": "openapi.yaml"}[name]


def fill(path: str, world: World, method: str = "GET") -> str:
    """The path with its ids: the segment before a placeholder names its catalog or document kind
    (a DELETE gets an item of its own, so that the other rows keep theirs)."""
    segments = path.split("/")
    for i, segment in enumerate(segments):
        found = PLACEHOLDER.fullmatch(segment)
        if found:
            segments[i] = str(_id(found.group(1), segments, i, world, method))
    return "/".join(segments)


def api_request(method: str, path: str, world: World, who: str) -> dict[str, Any]:
    """httpx keyword arguments for an /api row."""
    ids, parts = world.clinic, path.split("/")
    if path.startswith("/api/catalogs/") and "/import" in path:  # a one-row workbook, a new item
        return {"files": {"file": ("import.xlsx", xlsx(["Наименование"], [unique(f"{parts[3]} из Excel {who}")]))}}
    if path.startswith("/api/catalogs/"):
        catalog = parts[3]
        if method == "POST" and len(parts) == 4:
            return {"json": catalog_body(ids, catalog, unique(f"{catalog} от {who}"))}
        if method == "PATCH":
            return {"json": {"name": world.item_names[catalog]}}
        return {}
    if path.startswith("/api/documents/") and method in ("POST", "PUT") and len(parts) in (4, 5):
        return {"json": world.doc_bodies[parts[3]]}
    if path.startswith("/api/registers/") and "turnovers" in path:
        return {"params": {"start": "2030-01-01", "end": "2030-01-31"}}
    fixed: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/auth/token"): {"json": {"username": LOGIN_USER, "password": PASSWORD}},
        ("POST", "/api/users"): {"json": {"username": unique("matrix-made").replace(" ", "-"),
                                          "password": PASSWORD, "role": "manager"}},
        ("PUT", "/api/period-lock"): {"json": {"date": None}},
        ("GET", "/api/schedule/slots"): {"params": {"date": DAY}},
        ("GET", "/api/documents/inventory-counts/fill"): {"params": {"warehouse_id": ids.warehouse}},
        ("GET", "/api/reports/supplier-debts/documents"): {"params": {"organization_id": ids.org,
                                                                     "supplier_id": ids.supplier}},
        ("GET", "/api/reconciliation-acts"): {"params": {"counterparty_id": ids.client, "format": "pdf"}},
        ("GET", "/api/reports/money/documents"): {"params": {"organization_id": ids.org, "account_kind": "cash-desks",
                                                            "account_id": ids.desk}},
        ("GET", "/api/reports/receivables/invoices"): {"params": {"client_id": ids.client}},
        ("POST", "/api/print/batch"): {"json": {"documents": [{"kind": "invoices", "id": world.docs["invoices"]}]}},
        ("PUT", "/api/settings/document-defaults"): {"json": {"organization_id": ids.org}},
        ("PUT", "/api/settings/smtp"): {"json": smtp_settings(world.smtp_port)},
        ("PUT", "/api/print/stamps/{organization_id}"): {"files": {"file": ("stamp.png", png(), "image/png")}},
        ("PUT", "/api/print/facsimiles/{user_id}"): {
            "files": {"file": ("sign.png", png(), "image/png")},
            "data": {"organization_id": str(ids.org), "position": "director", "allowed_user_ids": ""}},
        ("PUT", "/api/print/facsimiles/{user_id}/allowed-users"): {"json": {"user_ids": []}},
        ("GET", "/api/amocrm/widget/slots"): {"params": {"date": DAY}},
        ("POST", "/api/amocrm/widget/appointments"): {"json": {"lead_id": world.lead, "date": DAY,
                                                               "doctor_id": ids.efimova, "time": "12:00"}},
        ("POST", "/api/amocrm/webhook/{secret}"): {
            "content": (f"leads[status][0][id]=999999&leads[status][0][status_id]=143"
                        f"&account[id]={world.account_id}&account[subdomain]={world.subdomain}").encode(),
            "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        ("GET", "/api/amocrm/oauth/callback"): {"params": {"code": "made-up", "state": "made-up"}},
        ("POST", "/api/amocrm/connection/consent"): {"json": {
            "client_id": "matrix", "client_secret": "matrix-secret",
            "redirect_uri": "https://erp.clinic.test/api/amocrm/oauth/callback"}},
    }
    lead = {"headers": {"X-Lead-Token": world.lead_token}}
    widget_documents: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/amocrm/widget/lead-token"): {"json": {"lead_id": 7002}},
        ("GET", "/api/amocrm/widget/documents"): lead,
        ("POST", "/api/amocrm/widget/invoices"): {**lead, "json": {
            "lines": [{"nomenclature_id": ids.service, "quantity": "1"}]}},
        ("POST", "/api/amocrm/widget/invoices/{invoice_id}/send"): lead,
        ("GET", "/api/amocrm/widget/file"): {"params": {"t": unquote(world.file_token)}},
    }
    if (method, path) in widget_documents:
        return widget_documents[(method, path)]
    if path.endswith("/send"):
        return {"json": {"to": "client@clinic.test"}}
    return fixed.get((method, path), {})


def ui_request(method: str, path: str, world: World, who: str) -> dict[str, Any]:
    """httpx keyword arguments for a UI row (form posts as the browser sends them)."""
    ids, parts = world.clinic, path.split("/")
    if method == "GET":
        params = {"/schedule": {"date": DAY}, "/schedule/week": {"date": DAY, "doctor_id": ids.efimova},
                  "/lookup/clients": {"q": "Иван"}}.get(path)
        return {"params": params} if params else {}
    if parts[1] == "catalogs" and parts[3:4] == ["import"]:
        if path.endswith("/preview"):
            return {"files": {"file": ("import.xlsx", xlsx(["Наименование"], [unique(f"{parts[2]} из Excel")]))}}
        return {"data": {}}  # no file: refused as bad input, so no import is left running after the walk
    if parts[1] == "catalogs":
        catalog = parts[2]
        name = unique(f"{catalog} из формы {who}") if parts[3] == "new" else world.item_names[catalog]
        body = {k: str(v) for k, v in catalog_body(ids, catalog, name).items()}
        return {"data": {"action": "save", **body}}
    form: dict[str, dict[str, Any]] = {
        "/login": {"username": LOGIN_USER, "password": PASSWORD, "next": "/"},
        "/locale": {"lang": "ru", "next": "/"},
        "/schedule/requests/{doc_id}/move": {"doctor_id": ids.efimova, "starts_at": f"{DAY}T09:30", "view": "day"},
        "/schedule/requests/{doc_id}/status": {"visit_status_id": world.items["visit-statuses"]},
        "/schedule/work-schedules/new": {"action": "write", "month": "2030-02"},
        "/schedule/work-schedules/{doc_id}": {"action": "write", "month": "2030-01"},
        "/integrations/amocrm/connect": {"client_id": "matrix", "client_secret": "matrix-secret",
                                         "redirect_uri": "https://erp.clinic.test/api/amocrm/oauth/callback"},
        "/print/batch": {"kind": "invoices", "doc": world.docs["invoices"]},
        "/admin/users": {"username": unique("ui-made").replace(" ", "-"), "role": "manager", "password": PASSWORD},
        "/admin/users/{user_id}": {"action": "activate"},
        "/admin/period-lock": {"date": ""},
        "/admin/smtp": {k: str(v) for k, v in smtp_settings(world.smtp_port).items()},
        "/admin/document-defaults": {"organization_id": str(ids.org), "bank_account_id": "", "discount_percent": "5",
                                     "discount_amount": "", "vat_rate": "20"},
        "/admin/enterprise-data": {"organization": str(ids.org), "start": "2030-01-01", "end": "2030-01-31",
                                   "only_changed": "on"},
        "/admin/signatures/facsimiles/{user_id}/allowed": {"allowed_user_ids": ""},
        "/admin/print-templates/new": {"name": unique("Шаблон"), "kind": "invoices", "body": "<p>{{ client.name }}</p>",
                                       "active": "on"},
        "/admin/print-templates/{template}": {"action": "save", "name": "Счёт на оплату", "kind": "invoices",
                                              "body": "{% extends 'base.html' %}{% block content %}{{ heading }}"
                                                      "{% endblock %}"},
        "/admin/print-variables": {"name": f"matrix_{next(_names)}", "title": "x",
                                   "value_type": "text", "value": "x", "kind": ""},
        "/documents/invoices/{doc_id}/send": {"to": "client@clinic.test"},
        "/generated-documents/{generated_id}/signed": {"action": "sign"},
    }
    picture = {"file": ("picture.png", png(), "image/png")}
    uploads: dict[str, dict[str, Any]] = {
        "/admin/signatures/stamps/{organization_id}": {"files": picture, "data": {}},
        "/generated-documents/{generated_id}/scan": {"files": picture, "data": {}},
        "/admin/signatures/facsimiles": {"files": picture, "data": {
            "user_id": world.facsimile_owner, "organization_id": ids.org, "position": "director"}},
    }
    if path in uploads:
        return uploads[path]
    if path in form:
        return {"data": form[path]}
    if parts[1] == "documents":
        return {"data": {"action": "write"}}
    return {"data": {}}


async def send(client, caller, method: str, path: str, world: World, *, htmx: bool = False,
               bearer: str | None = None) -> httpx.Response:
    """One cell: the row's request with its ids and body, made by ``caller`` (GETs follow redirects)."""
    url = fill(path, world, method)
    kwargs = (api_request if path.startswith("/api/") else ui_request)(method, path, world, caller.name)
    headers = {**caller.headers(path), **kwargs.pop("headers", {})}
    if htmx:
        headers["HX-Request"] = "true"
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    http = caller.http
    if (method, path) == ("POST", "/login"):  # a browser of its own: logging in must not change the caller
        http = another_browser(client)
        headers["X-CSRFToken"] = await browser_csrf(http)
    elif (method, path) == ("POST", "/logout") and caller.has_session:
        http = await logged_in(client, f"{caller.name}-user")
        headers["X-CSRFToken"] = await browser_csrf(http, "/")
    return await http.request(method, url, headers=headers, follow_redirects=method == "GET", **kwargs)
