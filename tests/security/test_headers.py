"""Security headers on every kind of response, and UI pages that need no inline script or style.

The Content-Security-Policy of the UI allows only the site's own files; these
tests check that the policy is sent (pages, JSON, errors, static files, the
widget's CORS preflight, Swagger, print previews, the OAuth answer) and that
the pages really obey it: no inline ``<script>``, ``style=`` or ``on…=``
handler anywhere in the HTML the UI sends.
"""

from __future__ import annotations

import base64
import hashlib
import re

from erp.amocrm import connection
from erp.api.headers import API_POLICY, SWAGGER_POLICY, UI_POLICY
from erp.printing.render import stylesheet_text
from tests.conftest import SECRET
from tests.ui.conftest import another_browser, schedule_month

WIDGET = "/api/amocrm/widget/appointments"
ACCOUNT = "https://clinic.amocrm.ru"


def policy(response) -> dict[str, str]:
    """The CSP as {directive: sources}."""
    text = response.headers["content-security-policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in text.split(";") if part.strip()}


def assert_common(response, frames: str = "'none'") -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.url
    assert response.headers["referrer-policy"] == "same-origin", response.url
    assert policy(response)["frame-ancestors"] == frames, response.url
    assert response.headers["x-frame-options"] == ("DENY" if frames == "'none'" else "SAMEORIGIN")


async def test_ui_pages_json_errors_and_static_files_carry_the_headers(browser, client, api, clinic):
    page = await browser.get("/catalogs/clients")
    assert_common(page)
    ui = policy(page)
    assert page.headers["content-security-policy"] == UI_POLICY
    assert ui["script-src"] == "'self'" and ui["style-src"] == "'self'" and ui["object-src"] == "'none'"
    assert "unsafe-inline" not in UI_POLICY and "unsafe-eval" not in UI_POLICY

    data = await client.get("/api/catalogs/clients", headers=api.headers)
    assert data.status_code == 200 and data.headers["content-type"].startswith("application/json")
    assert_common(data)
    assert data.headers["content-security-policy"] == API_POLICY and policy(data)["default-src"] == "'none'"

    for path, status, expected in (("/api/catalogs/no-such", 404, API_POLICY), ("/api/auth/me", 401, API_POLICY),
                                   ("/no-such-page", 404, UI_POLICY), ("/health", 200, API_POLICY)):
        r = await browser.client.get(path, headers=api.headers if path.startswith("/api/catalogs") else {})
        assert r.status_code == status, path
        assert_common(r)
        assert r.headers["content-security-policy"] == expected, path
    anonymous = await another_browser(client).get("/documents/invoices", follow_redirects=False)
    assert anonymous.status_code == 303
    assert_common(anonymous)

    for path in ("/static/ui/app.js", "/static/ui/app.css", "/static/swagger/swagger-ui-bundle.js"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert_common(r)


async def test_the_widget_preflight_keeps_cors_and_gains_the_headers(client, db):
    await connection.save(db, SECRET, base_url=ACCOUNT, client_id="integration-1", client_secret="s3cret",
                          redirect_uri="https://erp.example/api/amocrm/oauth/callback", account_id=31337,
                          subdomain="clinic", tokens={"access_token": "a", "refresh_token": "r", "expires_in": 86400})
    preflight = await client.options(WIDGET, headers={"Origin": ACCOUNT, "Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Headers": "x-auth-token,content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ACCOUNT
    assert "X-Auth-Token" in preflight.headers["access-control-allow-headers"]
    assert_common(preflight)
    refused = await client.get("/api/amocrm/widget/slots", params={"date": "2030-01-14"}, headers={"Origin": ACCOUNT})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == ACCOUNT
    assert_common(refused)


async def test_swagger_runs_without_inline_script(client):
    page = await client.get("/schema/swagger")
    assert page.status_code == 200
    assert_common(page)
    assert page.headers["content-security-policy"] == SWAGGER_POLICY
    assert policy(page)["script-src"] == "'self'"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "an inline script would be blocked"
    for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert src.startswith("/static/"), src  # served here, not from a CDN
        assert (await client.get(src)).status_code == 200, src
    spec = re.search(r'data-spec="([^"]+)"', page.text).group(1)
    assert (await client.get(spec)).json()["info"]["title"] == "ERP для клиник"


async def test_print_previews_and_the_oauth_page_allow_exactly_their_own_style(browser, api, clinic):
    await api.patch(f"/api/catalogs/organizations/{clinic.org}", {
        "address": "Москва, ул. Тверская, 1", "director": "Смирнов А.А.", "chief_accountant": "Кузнецова Т.В."})
    invoice = await api.create("invoices", {
        "date": "2030-01-10T09:00:00", "organization_id": clinic.org, "bank_account_id": clinic.account,
        "client_id": clinic.client, "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1"}]})
    digest = base64.b64encode(hashlib.sha256(stylesheet_text().encode()).digest()).decode()
    for r in (await browser.get(f"/print/invoices/{invoice['id']}/invoice?format=html"),
              await browser.client.get(f"/api/documents/invoices/{invoice['id']}/print/invoice?format=html",
                                       headers=api.headers)):
        assert r.status_code == 200 and "Счёт на оплату" in r.text
        assert_common(r, frames="'self'")
        csp = policy(r)
        assert csp["default-src"] == "'none'" and csp["style-src"] == f"'sha256-{digest}'" and "script-src" not in csp
        style = re.search(r"<style>(.*?)</style>", r.text, re.S).group(1)
        assert style == stylesheet_text(), "the stylesheet goes out unescaped, exactly what the hash allows"
        assert '"DejaVu Sans"' in style and "&#34;" not in style

    callback = await browser.client.get("/api/amocrm/oauth/callback", params={"error": "access_denied"})
    assert callback.status_code == 400 and "amoCRM не подключён" in callback.text
    assert_common(callback)
    style = re.search(r"<style>(.*?)</style>", callback.text).group(1)
    assert policy(callback)["style-src"] == \
        f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
    assert "style=" not in callback.text


INLINE = [re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), re.compile(r"\sstyle\s*=", re.I),
          re.compile(r"\son[a-z]+\s*=", re.I), re.compile(r"javascript:", re.I)]


async def test_no_ui_page_has_inline_script_style_or_handlers(browser, api, clinic):
    await schedule_month(api, clinic)
    await api.create("requests", {"client_id": clinic.client, "doctor_id": clinic.efimova,
                                  "starts_at": "2030-01-14T10:30:00",
                                  "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1"}]},
                     post=True)
    pages = ["/", "/login", "/catalogs", "/catalogs/clients", "/catalogs/clients/new", "/catalogs/visit-statuses",
             f"/catalogs/visit-statuses/{(await api.get('/api/catalogs/visit-statuses'))['items'][0]['id']}",
             "/documents", "/documents/requests", "/documents/requests/new", "/documents/service-renderings/new",
             "/documents/invoices", "/schedule?date=2030-01-14", "/schedule/week?date=2030-01-14",
             "/schedule/month?date=2030-01-14",
             "/schedule/work-schedules/new", "/reports", "/reports/stock", "/reports/sales", "/reports/settlements",
             "/reports/invoices", "/integrations", "/integrations/exchange-log", "/admin", "/admin/users",
             "/admin/period-lock", "/admin/settings"]
    for path in pages:
        html = (await browser.get(path)).text
        for pattern in INLINE:
            found = pattern.search(html)
            assert not found, f"{path}: {html[max(found.start() - 120, 0):found.end() + 120]}"
    fragment = (await browser.get("/schedule?date=2030-01-14", headers={"HX-Request": "true"})).text
    assert 'data-top="' in fragment and not any(p.search(fragment) for p in INLINE)
