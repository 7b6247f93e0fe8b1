"""No secret reaches a log line.

The test sets every secret the system holds — ``ERP_SECRET_KEY``, a user's
password, the amoCRM client secret, the authorization code, the access and
refresh tokens the fake amoCRM issues (before and after a refresh), the
webhook secret, the SMTP password — then exercises what handles them with
faults, so errors get logged: logins good and bad (API and form), the amoCRM
connection, delivery with 500s and a dead access token (a refresh), a
webhook with a wrong secret, an SMTP server that refuses the login. Every
logger is captured at DEBUG (httpx and httpcore included), and a real
``erp serve`` process's output too; no captured line holds any secret.
"""

from __future__ import annotations

import logging

import httpx
import pytest

from erp.amocrm import connection, crypto, oauth, outbox
from erp.amocrm.deliver import deliver
from erp.amocrm.fake import FakeAmo
from erp.auth.service import add_user
from erp.platform.db import create_pool
from tests.conftest import SECRET
from tests.printing.test_email import smtp_server  # noqa: F401  (a fixture)
from tests.ui.conftest import Browser, another_browser

PASSWORD = "user-pass-Zq81xLm"
SMTP_PASSWORD = "smtp-pass-Hx72Kd"  # the mailbox expects another one: the login is refused
REDIRECT = "https://erp.clinic.test/api/amocrm/oauth/callback"
LEAD = 219219


@pytest.fixture
def fake():
    handle = FakeAmo.start_in_thread(doctors=["Ефимова Е.В."], seed=5)
    yield handle
    handle.stop()


async def refresh_token(db) -> str:
    return crypto.decrypt(SECRET, await db.fetchval("SELECT refresh_token FROM amocrm_connections"))


def lines_of(caplog) -> list[str]:
    """Every captured record as text: the message, its arguments, any traceback and extra attributes."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    out = []
    for record in caplog.records:
        out.append(formatter.format(record))
        out.append(repr(record.args))
        out.append(repr({k: v for k, v in vars(record).items() if k not in ("args", "msg", "exc_info")}))
    return out


def assert_clean(lines: list[str], secrets: dict[str, str]) -> None:
    for name, value in secrets.items():
        assert value and len(value) >= 8, name
        leaked = [line for line in lines if value in line]
        assert not leaked, f"{name} is in the log: {leaked[0][:400]}"


async def test_no_secret_in_any_captured_log_line(caplog, client, db, settings, api, clinic, fake,
                                                  smtp_server):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "asyncpg", "erp", "litestar", "uvicorn", "aiosmtpd", "mail.log"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    secrets = {"ERP_SECRET_KEY": SECRET, "user password": PASSWORD, "SMTP password": SMTP_PASSWORD,
               "amoCRM client secret": fake.client_secret}

    # Logins: good and bad, on the API and in the form.
    await add_user(db, "olga", "accountant", PASSWORD)
    assert (await client.post("/api/auth/token", json={"username": "olga", "password": PASSWORD})).status_code == 200
    wrong = await client.post("/api/auth/token", json={"username": "olga", "password": PASSWORD + "x"})
    assert wrong.status_code == 401
    form = Browser(another_browser(client))
    await form.get("/login")
    await form.post("/login", {"username": "olga", "password": PASSWORD[::-1]}, status=401)
    await form.post("/login", {"username": "olga", "password": PASSWORD})

    # amoCRM: connect, a delivery storm with faults and a refresh, a webhook with a wrong secret.
    code = fake.issue_code()
    secrets["authorization code"] = code
    await oauth.connect(db, settings, base_url=fake.base_url, client_id=fake.client_id,
                        client_secret=fake.client_secret, redirect_uri=REDIRECT, code=code)
    first = await connection.load(db, SECRET)
    secrets |= {"access token": first.access_token, "refresh token": await refresh_token(db),
                "webhook secret": first.webhook_secret}
    fake.add_lead(LEAD)
    await outbox.enqueue(db, "fields", LEAD, payload={"values": {"Врач": "Ефимова Е.В."}})
    pool = await create_pool(settings.database_url, max_size=3)
    try:
        fake.configure(error_rate=1.0, error_kinds=["500"])
        await deliver(pool, settings)
        fake.configure(error_rate=0.0)
        fake.expire_access_tokens()
        await db.execute("UPDATE amocrm_events SET next_attempt_at = now() WHERE state = 'pending'")
        await deliver(pool, settings)
    finally:
        await pool.close()
    second = await connection.load(db, SECRET)
    assert second.access_token != first.access_token, "the dead access token was refreshed"
    assert fake.count(500) >= 1 and fake.count(401) >= 1
    secrets |= {"new access token": second.access_token, "new refresh token": await refresh_token(db)}
    hook = await client.post(f"/api/amocrm/webhook/{first.webhook_secret[::-1]}", content=b"leads[delete][0][id]=1")
    assert hook.status_code == 403

    # SMTP: the server refuses the login, so sending fails and is logged.
    await api.put("/api/settings/smtp", {
        "host": "127.0.0.1", "port": smtp_server.port, "security": "none", "username": "clinic",
        "password": SMTP_PASSWORD, "from_email": "clinic@example.com", "from_name": "Клиника", "timeout_seconds": 5})
    doc = await api.create("invoices", {
        "date": "2030-01-10T09:00:00", "organization_id": clinic.org, "bank_account_id": clinic.account,
        "client_id": clinic.client, "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1"}]},
        post=True)
    await api.patch(f"/api/catalogs/organizations/{clinic.org}", {
        "address": "Москва", "director": "Смирнов А.А.", "chief_accountant": "Кузнецова Т.В."})
    failed = await client.post(f"/api/documents/invoices/{doc['id']}/send", json={"to": "client@example.com"},
                               headers=api.headers)
    assert failed.status_code == 502 and ("clinic", SMTP_PASSWORD) in smtp_server.logins  # tried, refused

    lines = lines_of(caplog)
    assert len(lines) > 50, "logging was captured"
    assert any("httpx" in line and fake.base_url in line for line in lines), "httpx's request lines were captured"
    assert_clean(lines, secrets)


def test_a_real_erp_serve_logs_no_secret(server, database_url):
    """The process's own stdout and stderr (tests/conftest.py writes them to serve.log)."""
    import asyncio

    from erp.platform.db import connect

    async def user() -> None:
        conn = await connect(database_url)
        try:
            await add_user(conn, "olga", "accountant", PASSWORD)
        finally:
            await conn.close()

    asyncio.run(user())
    with httpx.Client(base_url=server.base_url) as http:
        assert http.post("/api/auth/token", json={"username": "olga", "password": PASSWORD + "x"}).status_code == 401
        good = http.post("/api/auth/token", json={"username": "olga", "password": PASSWORD})
        assert good.status_code == 200
        token = good.json()["access_token"]
        assert http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert http.post("/api/amocrm/webhook/some-webhook-secret-123", content=b"x").status_code >= 400
        broken = http.put("/api/settings/smtp", headers={"Authorization": f"Bearer {token}"},
                          json={"host": "127.0.0.1", "password": SMTP_PASSWORD})
        assert broken.status_code in (403, 422)
    server.proc.terminate()
    server.proc.wait(10)
    log = server.log.read_text()
    for name, value in {"ERP_SECRET_KEY": SECRET, "password": PASSWORD, "token": token,
                        "webhook secret": "some-webhook-secret-123", "SMTP password": SMTP_PASSWORD}.items():
        assert value not in log, f"{name} in serve.log"
