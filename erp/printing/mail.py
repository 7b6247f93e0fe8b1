"""Отправить клиенту: a document's PDF by email, through the SMTP server in settings.

The SMTP settings live in the ``constants`` table, edited by an administrator;
the password is stored encrypted with a key derived from ``ERP_SECRET_KEY``
and never shown again. Sending renders the PDF, hands it to the SMTP server
(on a thread, with a timeout) and only then keeps it in the generated
documents registry with the address it went to. A client without an email,
missing settings or a server that refuses each give a clear message, and
nothing is stored.
"""

from __future__ import annotations

import asyncio
import base64
import smtplib
import ssl
from dataclasses import asdict, dataclass, replace
from email.message import EmailMessage
from email.utils import formataddr

import asyncpg
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from erp.platform import audit
from erp.platform.errors import Conflict, ErpError, ValidationError

from . import registry, service
from .formatting import money

KEY = "smtp"
SECURITY = ("none", "starttls", "ssl")


class EmailFailed(ErpError):
    status = 502
    code = "email_send_failed"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""
    from_email: str = ""
    from_name: str = ""
    timeout_seconds: int = 20

    def public(self) -> dict:
        """What an administrator sees: everything but the password."""
        out = asdict(self)
        out["password_set"] = bool(out.pop("password"))
        return out


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"erp smtp password").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def valid_email(value: str) -> bool:
    local, _, domain = value.partition("@")
    return bool(local and "." in domain and not any(c.isspace() for c in value) and "," not in value)


async def get_smtp(conn: asyncpg.Connection, secret_key: str) -> SmtpSettings | None:
    value = await conn.fetchval("SELECT value FROM constants WHERE key = $1", KEY)
    if not value:
        return None
    password = ""
    if value.get("password"):
        try:
            password = _fernet(secret_key).decrypt(value["password"].encode()).decode()
        except InvalidToken:
            raise Conflict("Пароль SMTP зашифрован другим ключом (ERP_SECRET_KEY сменился): введите его заново",
                           code="smtp_password_unreadable") from None
    return SmtpSettings(**{**value, "password": password})


async def set_smtp(conn: asyncpg.Connection, values: SmtpSettings, secret_key: str, *,
                   keep_password: bool) -> SmtpSettings:
    """Check and store the settings. With ``keep_password`` the stored password stays."""
    problems = {}
    if not values.host.strip():
        problems["host"] = "укажите адрес SMTP-сервера"
    if not 0 < values.port < 65536:
        problems["port"] = "порт — от 1 до 65535"
    if values.security not in SECURITY:
        problems["security"] = f"допустимые значения: {', '.join(SECURITY)}"
    if not valid_email(values.from_email):
        problems["from_email"] = "неверный адрес отправителя"
    if not 1 <= values.timeout_seconds <= 120:
        problems["timeout_seconds"] = "от 1 до 120 секунд"
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Неверные настройки почты — {summary}", details={"fields": problems})
    if keep_password:
        old = await get_smtp(conn, secret_key)
        values = replace(values, password=old.password if old else "")
    stored = asdict(values)
    stored["password"] = _fernet(secret_key).encrypt(values.password.encode()).decode() if values.password else ""
    async with conn.transaction():
        before = await conn.fetchval("SELECT value FROM constants WHERE key = $1 FOR UPDATE", KEY)
        await conn.execute("INSERT INTO constants (key, value, updated_at) VALUES ($1, $2, now())"
                           " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()", KEY, stored)
        await audit.record_setting(conn, KEY, _readable(before, secret_key), asdict(values), secrets=("password",))
    return values


def _readable(stored: dict | None, secret_key: str) -> dict | None:
    """The stored settings with the password decrypted, to tell whether it changed (an
    unreadable one counts as changed); the audit log shows only ``***``."""
    if not stored:
        return None
    password = stored.get("password") or ""
    if password:
        try:
            password = _fernet(secret_key).decrypt(password.encode()).decode()
        except InvalidToken:
            password = object()
    return {**stored, "password": password}


def build_message(smtp: SmtpSettings, to: str, printed: service.Printed) -> EmailMessage:
    data = printed.documents[0]
    message = EmailMessage()
    message["From"] = formataddr((smtp.from_name or data.supplier.name, smtp.from_email))
    message["To"] = to
    message["Subject"] = data.heading
    message.set_content(
        "Здравствуйте!\n\n"
        f"Направляем документ «{data.heading}» на сумму {money(data.total)} руб. Он во вложении.\n\n"
        f"С уважением,\n{data.supplier.name}\n")
    message.add_attachment(printed.content, maintype="application", subtype="pdf", filename=printed.file_name)
    return message


def _deliver(smtp: SmtpSettings, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    client_class = smtplib.SMTP_SSL if smtp.security == "ssl" else smtplib.SMTP
    kwargs = {"context": context} if smtp.security == "ssl" else {}
    with client_class(smtp.host, smtp.port, timeout=smtp.timeout_seconds, **kwargs) as client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


async def deliver(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server, or raise :class:`EmailFailed` saying why."""
    where = f"{smtp.host}:{smtp.port}"
    try:
        await asyncio.to_thread(_deliver, smtp, message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise EmailFailed(f"Почтовый сервер {where} отклонил адрес получателя {', '.join(exc.recipients)}",
                          details={"server": where}) from None
    except smtplib.SMTPAuthenticationError:
        raise EmailFailed(f"Почтовый сервер {where} не принял логин или пароль — проверьте настройки почты",
                          details={"server": where}) from None
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise EmailFailed(f"Почтовый сервер {where} отказал: {exc.smtp_code} {text}",
                          details={"server": where, "smtp_code": exc.smtp_code}) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailFailed(f"Не удалось отправить письмо через {where}: {exc or type(exc).__name__}",
                          details={"server": where}) from None


async def send_to_client(conn: asyncpg.Connection, kind: str, doc_id: int, form: str | None = None,
                         user_id: int | None = None, facsimile: bool = False, to: str | None = None, *,
                         secret_key: str, tz=None, config=None) -> dict:
    """Email the document's PDF to its client (or to ``to``); the registry row it was kept as."""
    smtp = await get_smtp(conn, secret_key)
    if smtp is None:
        raise Conflict("Отправка почты не настроена: администратор должен заполнить настройки SMTP",
                       code="smtp_not_configured")
    printed = await service.render_pdf(conn, kind, doc_id, form, user_id, facsimile, tz=tz, config=config,
                                       store=False)
    data = printed.documents[0]
    address = (to or data.client_email or "").strip()
    if not address:
        raise ValidationError(
            f"У клиента «{data.buyer.name}» не указан адрес эл. почты: заполните его в карточке клиента "
            "или укажите адрес получателя", code="client_email_missing",
            details={"fields": {"to": "не указан адрес эл. почты"}})
    if not valid_email(address):
        raise ValidationError.field("to", f"неверный адрес эл. почты «{address}»")
    await deliver(smtp, build_message(smtp, address, printed))
    [generated_id] = await registry.store(conn, [(data, printed.content)], user_id=user_id, facsimile=facsimile,
                                          sent_to=address)
    return {"generated_id": generated_id, "to": address, "file_name": printed.file_name}
