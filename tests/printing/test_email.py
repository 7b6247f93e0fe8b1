"""Acceptance point 10: «Отправить клиенту» emails the PDF through the SMTP
server in settings — a real local SMTP server (aiosmtpd) receives it and the
attachment is checked — and a missing email or a failed send gives a clear
message with nothing stored."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import free_port
from tests.printing.conftest import Api, generated_count, invoice_data, pdf_text, rendering_data


class Mailbox:
    """An aiosmtpd handler that keeps what it receives, or refuses recipients."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, str]] = []
        self.refuse = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=auth_data.password == b"smtp-secret", handled=False)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_server():
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=box.authenticate,
                            auth_require_tls=False)
    controller.start()
    box.port = port
    yield box
    controller.stop()


async def configure(api: Api, port: int, **changes) -> dict:
    return await api.put("/api/settings/smtp", {
        "host": "127.0.0.1", "port": port, "security": "none", "username": "clinic", "password": "smtp-secret",
        "from_email": "clinic@example.com", "from_name": "Клиника Здоровье", "timeout_seconds": 5, **changes})


async def test_the_invoice_reaches_the_clients_mailbox_with_the_pdf(api, clinic, smtp_server, db):
    shown = await configure(api, smtp_server.port)
    assert shown["password_set"] is True and "password" not in shown
    stored = await db.fetchval("SELECT value->>'password' FROM constants WHERE key = 'smtp'")
    assert stored and "smtp-secret" not in stored, "the password is kept encrypted"
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "1500")), post=True)

    sent = await api.post(f"/api/documents/invoices/{doc['id']}/send", {})
    assert sent["to"] == "ivanov@example.com"
    assert smtp_server.logins == [("clinic", "smtp-secret")]
    assert smtp_server.envelopes == [("clinic@example.com", ["ivanov@example.com"])]
    message = smtp_server.messages[0]
    assert message["Subject"] == "Счёт на оплату № 1 от 22 декабря 2021 г."
    assert message["To"] == "ivanov@example.com"
    assert "Клиника Здоровье" in message["From"]
    assert "на сумму 1 500,00 руб." in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "Счёт на оплату № 1 от 22.12.2021.pdf"
    text = pdf_text(attachment.get_content())
    assert "Счёт на оплату № 1 от 22 декабря 2021 г." in text and "Одна тысяча пятьсот рублей 00 копеек" in text

    listed = await api.get("/api/generated-documents")
    assert [(g["id"], g["sent_to"]) for g in listed["items"]] == [(sent["generated_id"], "ivanov@example.com")]
    assert listed["items"][0]["sent_at"] is not None


async def test_an_act_goes_to_another_address_when_given(api, clinic, smtp_server):
    await configure(api, smtp_server.port)
    doc = await api.create("service-renderings", rendering_data(clinic, (clinic.service, "1", "700")), post=True)
    sent = await api.post(f"/api/documents/service-renderings/{doc['id']}/send", {"to": "buh@client.example"})
    assert sent["to"] == "buh@client.example"
    assert smtp_server.messages[0]["Subject"] == "Акт об оказании услуг № 1 от 22 декабря 2021 г."


async def test_a_client_without_email_gets_a_clear_message_and_nothing_is_sent(api, clinic, smtp_server, db):
    await configure(api, smtp_server.port)
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "100"), client_id=clinic.company),
                           post=True)
    error = await api.post(f"/api/documents/invoices/{doc['id']}/send", {}, status=422)
    assert error["code"] == "client_email_missing"
    assert error["message"].startswith("У клиента «ООО «МедСнаб»» не указан адрес эл. почты")
    bad = await api.post(f"/api/documents/invoices/{doc['id']}/send", {"to": "not an address"}, status=422)
    assert bad["details"]["fields"] == {"to": "неверный адрес эл. почты «not an address»"}
    assert smtp_server.messages == [] and await generated_count(db) == 0


async def test_failed_sends_say_why_and_store_nothing(api, clinic, smtp_server, db):
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "100")), post=True)
    path = f"/api/documents/invoices/{doc['id']}/send"
    not_set = await api.post(path, {}, status=409)
    assert not_set["code"] == "smtp_not_configured"

    await configure(api, smtp_server.port)
    smtp_server.refuse = True
    refused = await api.post(path, {}, status=502)
    assert refused["code"] == "email_send_failed"
    assert refused["message"] == (f"Почтовый сервер 127.0.0.1:{smtp_server.port} отклонил адрес получателя "
                                  "ivanov@example.com")

    smtp_server.refuse = False
    await configure(api, smtp_server.port, password="wrong")
    wrong = await api.post(path, {}, status=502)
    assert "не принял логин или пароль" in wrong["message"]

    dead = free_port()
    await configure(api, dead)
    down = await api.post(path, {}, status=502)
    assert down["message"].startswith(f"Не удалось отправить письмо через 127.0.0.1:{dead}")
    assert smtp_server.messages == [] and await generated_count(db) == 0


async def test_smtp_settings_are_checked_and_only_for_admins(api, client, users, smtp_server):
    error = await api.put("/api/settings/smtp", {"host": " ", "port": 0, "from_email": "nobody"}, status=422)
    assert set(error["details"]["fields"]) == {"host", "port", "from_email"}
    assert await api.get("/api/settings/smtp") is None
    await configure(api, smtp_server.port)
    kept = await api.put("/api/settings/smtp", {"host": "127.0.0.1", "port": smtp_server.port, "security": "none",
                                                "from_email": "clinic@example.com"})
    assert kept["password_set"] is True, "without a password field the stored one stays"
    accountant = Api(client, await users.headers("accountant"))
    assert (await accountant.get("/api/settings/smtp", status=403))["code"] == "forbidden_role"
