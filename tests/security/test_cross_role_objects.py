"""Issue 9, acceptance point 4: objects a role may not touch stay out of reach when ids are guessed.

Users, the facsimiles and the stamp, PDFs printed with facsimiles, the SMTP settings and the amoCRM
connection's secrets. Each refusal is checked against the database: the refused call changed nothing.
"""

from __future__ import annotations

import io

from PIL import Image

from erp.amocrm import connection as connections
from tests.amocrm import conftest as amocrm_fixtures
from tests.printing import conftest as printing_fixtures
from tests.printing.conftest import Api, invoice_data
from tests.security.matrix_world import browser_csrf, logged_in
from tests.ui.conftest import PASSWORD

api, clinic = printing_fixtures.api, printing_fixtures.clinic
fake, connected = amocrm_fixtures.fake, amocrm_fixtures.connected
SMTP_PASSWORD = "smtp-password-nobody-may-read"


def picture(color=(10, 10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 80), color).save(out, "PNG")
    return out.getvalue()


async def as_user(api: Api, username: str, role: str) -> tuple[int, Api]:
    made = await api.call("POST", "/api/users", status=201,
                          json={"username": username, "password": PASSWORD, "role": role})
    token = await api.post("/api/auth/token", {"username": username, "password": PASSWORD})
    return made["id"], Api(api.client, {"Authorization": f"Bearer {token['access_token']}"})


async def ui_post(client, username: str, path: str, data: dict):
    browser = await logged_in(client, username)
    csrf = await browser_csrf(browser, "/")
    return await browser.post(path, data={**data, "_csrf_token": csrf}, follow_redirects=False)


async def test_no_one_but_an_admin_reads_or_changes_users_whatever_the_id(api, client, db):
    manager_id, manager = await as_user(api, "olga", "manager")
    accountant_id, accountant = await as_user(api, "tanya", "accountant")
    admin_id = await db.fetchval("SELECT id FROM users WHERE username = 'admin-user'")
    before = [tuple(r) for r in await db.fetch("SELECT id, username, role, active FROM users ORDER BY id")]
    for who in (manager, accountant):
        assert (await who.get("/api/users", status=403))["code"] == "forbidden_role"
        await who.call("POST", "/api/users", status=403,
                       json={"username": "intruder", "password": PASSWORD, "role": "admin"})
    for username, own_id in (("olga", manager_id), ("tanya", accountant_id)):
        for target in (admin_id, own_id, manager_id, accountant_id, 999):
            for change in ({"action": "role", "role": "admin"}, {"action": "deactivate"}):
                r = await ui_post(client, username, f"/admin/users/{target}", change)
                assert r.status_code == 403, (username, target, change, r.status_code)
        assert "Недостаточно прав" in (await (await logged_in(client, username)).get("/admin/users")).text
    assert [tuple(r) for r in await db.fetch("SELECT id, username, role, active FROM users ORDER BY id")] == before


async def test_a_facsimile_serves_only_the_users_its_owner_allowed(api, clinic, client, db):
    director_id, _ = await as_user(api, "smirnov", "accountant")
    allowed_id, allowed = await as_user(api, "kuznetsova", "accountant")
    clerk_id, clerk = await as_user(api, "clerk", "manager")
    _, stranger = await as_user(api, "petrova", "accountant")
    await api.raw("PUT", f"/api/print/stamps/{clinic.org}", files={"file": ("stamp.png", picture(), "image/png")})
    await api.raw("PUT", f"/api/print/facsimiles/{director_id}", files={"file": ("s.png", picture(), "image/png")},
                  data={"organization_id": str(clinic.org), "position": "director",
                        "allowed_user_ids": str(allowed_id)})
    await api.put("/api/settings/smtp", {"host": "127.0.0.1", "port": 9, "security": "none",
                                         "from_email": "erp@clinic.test"})
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "1500")), post=True)
    path = f"/api/documents/invoices/{doc['id']}/print/invoice"
    signed = await allowed.raw("GET", path, params={"facsimile": "true"})
    with_facsimile = int(signed.headers["X-Generated-Document-Ids"])
    plain = int((await clerk.raw("GET", path)).headers["X-Generated-Document-Ids"])
    printed = await db.fetchval("SELECT count(*) FROM generated_documents")
    facsimiles = [tuple(r) for r in await db.fetch("SELECT user_id, allowed_user_ids FROM printing_facsimiles")]

    user_ids = [r["id"] for r in await db.fetch("SELECT id FROM users")] + [999]
    for who in (clerk, stranger):
        for user_id in user_ids:  # the images, whatever id is guessed
            r = await who.raw("GET", f"/api/print/facsimiles/{user_id}/image", status=403)
            assert r.json()["code"] == "forbidden_role"
        await who.raw("GET", f"/api/print/stamps/{clinic.org}", status=403)
        # printing, batch printing and emailing with the facsimile
        assert (await who.get(path, status=403, facsimile="true"))["code"] == "facsimile_not_allowed"
        assert (await who.get(path, status=403, facsimile="true", format="html"))["code"] == "facsimile_not_allowed"
        refused = await who.call("POST", "/api/print/batch", status=403, json={
            "documents": [{"kind": "invoices", "id": doc["id"]}], "facsimile": True})
        assert refused["code"] == "facsimile_not_allowed"
        sent = await who.call("POST", f"/api/documents/invoices/{doc['id']}/send", status=403,
                              json={"to": "x@clinic.test", "facsimile": True})
        assert sent["code"] == "facsimile_not_allowed"
        # the PDF someone allowed printed with it, by guessing its id
        r = await who.raw("GET", f"/api/generated-documents/{with_facsimile}/download", status=403)
        assert r.json()["code"] == "facsimile_not_allowed" and "%PDF" not in r.text
        assert (await who.raw("GET", f"/api/generated-documents/{plain}/download")).content.startswith(b"%PDF-")
        # …and sharing it with oneself, or making a facsimile of one's own
        await who.call("PUT", f"/api/print/facsimiles/{director_id}/allowed-users", status=403,
                       json={"user_ids": user_ids[:-1]})
        await who.raw("PUT", f"/api/print/facsimiles/{clerk_id}", status=403,
                      files={"file": ("s.png", picture(), "image/png")},
                      data={"organization_id": str(clinic.org), "position": "director"})
        await who.raw("DELETE", f"/api/print/facsimiles/{director_id}", status=403)
    # the same through the UI, where the session decides who asks
    ui = f"/print/invoices/{doc['id']}/invoice"
    for username in ("clerk", "petrova"):
        browser = await logged_in(client, username)
        csrf = await browser_csrf(browser, "/")
        for path_ in (f"{ui}?facsimile=true", f"{ui}?facsimile=true&format=html",
                      f"/generated-documents/{with_facsimile}/download",
                      f"/admin/signatures/facsimiles/{director_id}/image",
                      f"/admin/signatures/stamps/{clinic.org}/image"):
            r = await browser.get(path_)
            assert r.status_code == 403 and "%PDF" not in r.text and "PNG" not in r.text, (username, path_)
        for path_, data in ((f"/documents/invoices/{doc['id']}/send", {"to": "x@clinic.test", "facsimile": "1"}),
                            ("/print/batch", {"kind": "invoices", "doc": str(doc["id"]), "facsimile": "1"}),
                            (f"/admin/signatures/facsimiles/{director_id}/allowed",
                             {"allowed_user_ids": str(clerk_id)})):
            r = await browser.post(path_, data={**data, "_csrf_token": csrf}, follow_redirects=False)
            assert r.status_code == 403, (username, path_, r.status_code)
        assert (await browser.get(f"/generated-documents/{plain}/download")).content.startswith(b"%PDF-")
    assert await db.fetchval("SELECT count(*) FROM generated_documents") == printed
    assert [tuple(r) for r in await db.fetch("SELECT user_id, allowed_user_ids FROM printing_facsimiles")] == facsimiles
    for who in (allowed, api):  # the one who printed it, and an administrator
        again = await who.raw("GET", f"/api/generated-documents/{with_facsimile}/download")
        assert again.content == signed.content
    ui_again = await (await logged_in(client, "kuznetsova")).get(f"/generated-documents/{with_facsimile}/download")
    assert ui_again.content == signed.content


async def test_the_smtp_settings_are_the_admins_and_the_password_is_never_shown(api, client, db):
    _, manager = await as_user(api, "olga", "manager")
    _, accountant = await as_user(api, "tanya", "accountant")
    stored = await api.put("/api/settings/smtp", {"host": "smtp.clinic.test", "port": 587, "username": "clinic",
                                                  "password": SMTP_PASSWORD, "from_email": "erp@clinic.test"})
    assert stored["password_set"] is True and SMTP_PASSWORD not in str(stored)
    for who in (manager, accountant):
        assert (await who.get("/api/settings/smtp", status=403))["code"] == "forbidden_role"
        await who.put("/api/settings/smtp", {"host": "evil.example", "from_email": "x@evil.example",
                                            "password": "mine"}, status=403)
    shown = await api.raw("GET", "/api/settings/smtp")
    assert shown.json()["host"] == "smtp.clinic.test" and SMTP_PASSWORD not in shown.text
    rows = await db.fetch("SELECT value::text AS value FROM constants")
    assert not [r for r in rows if SMTP_PASSWORD in r["value"]], "the password is stored encrypted"
    admin_ui = await logged_in(client, "admin-user")
    assert SMTP_PASSWORD not in (await admin_ui.get("/admin/settings")).text


async def test_the_amocrm_connections_secrets_reach_no_one(api, client, db, settings, fake, connected):
    _, manager = await as_user(api, "olga", "manager")
    _, accountant = await as_user(api, "tanya", "accountant")
    account = await connections.load(db, settings.secret_key)
    secrets = {"client secret": account.client_secret, "access token": account.access_token,
               "webhook secret": account.webhook_secret}
    assert all(len(s) >= 16 for s in secrets.values())
    states = await db.fetchval("SELECT count(*) FROM amocrm_oauth_states")
    for who, username in ((manager, "olga"), (accountant, "tanya"), (api, "admin-user")):
        pages = [await who.raw("GET", "/api/amocrm/connection"), await who.raw("GET", "/api/amocrm/exchange-log")]
        browser = await logged_in(client, username)
        pages += [await browser.get("/integrations"), await browser.get("/integrations/exchange-log")]
        for page in pages:
            assert page.status_code == 200, page.url
            leaked = [name for name, value in secrets.items() if value in page.text]
            assert not leaked, (username, str(page.url), leaked)
    for who, username in ((manager, "olga"), (accountant, "tanya")):
        for path in ("consent", "resume", "fields", "webhook"):
            await who.call("POST", f"/api/amocrm/connection/{path}", status=403, json={
                "client_id": "mine", "client_secret": "mine", "redirect_uri": "https://evil.example/cb"})
        for path in ("connect", "resume", "fields"):
            r = await ui_post(client, username, f"/integrations/amocrm/{path}", {
                "client_id": "mine", "client_secret": "mine", "redirect_uri": "https://evil.example/cb"})
            assert r.status_code == 403, (username, path, r.status_code)
    assert await db.fetchval("SELECT count(*) FROM amocrm_oauth_states") == states
    after = await connections.load(db, settings.secret_key)
    assert (after.client_id, after.client_secret, after.base_url) == (account.client_id, account.client_secret,
                                                                      account.base_url)
    # the webhook's address is its secret: guesses, even its shown first letters, are refused
    for guess in ("x", account.webhook_secret[:4], account.webhook_secret[:-1], account.webhook_secret + "x"):
        r = await client.post(f"/api/amocrm/webhook/{guess}", content=b"leads[delete][0][id]=1",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert (r.status_code, r.json()["code"]) == (403, "webhook_secret"), guess
