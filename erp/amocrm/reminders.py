"""Напоминания о приёме: the patient gets one reminder of the visit, N hours before it.

A setting turns it on and says how many hours (:class:`erp.services.preferences.Preferences`,
Администрирование → Настройки). The worker's job ``appointment-reminders`` looks every minute for
posted Requests (a cancelled one is unposted or marked for deletion, and gets none) that start within
those hours and have no reminder yet, and sends each through a :class:`Channel`: email, through the
SMTP settings the clinic already has (an SMS provider is another channel behind the same interface).
The letter names the day and time, the doctor, and the clinic (the client's organization, else the
first one) with its address.

Exactly once: a reminder is a row of ``appointment_reminders`` keyed by the appointment and its start,
inserted in the transaction that sends it; a second worker racing for the same appointment waits on
that key and then finds it taken. (An appointment moved to another time is another visit: it gets its
own reminder.) Each reminder, sent or not, is one row of the exchange log (kind ``reminder``): sent, with
the address; or failed, with why (no email: skipped; the SMTP server refused). Nothing is sent again.
While SMTP is not configured nothing is recorded, so the reminders go out once it is (if still due).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Protocol

import asyncpg

from erp.amocrm.outbox import people_number
from erp.app.jobs import job
from erp.app.settings import Settings
from erp.platform.errors import ErpError
from erp.services import preferences

log = logging.getLogger("erp.reminders")
KIND = "reminder"
BATCH = 500

DUE = """
SELECT r.id, r.starts_at FROM doc_requests r
WHERE r.posted AND NOT r.deletion_mark AND r.starts_at > $1 AND r.starts_at <= $1 + make_interval(hours => $2)
  AND NOT EXISTS (SELECT 1 FROM appointment_reminders a WHERE a.request_id = r.id AND a.starts_at = r.starts_at)
ORDER BY r.starts_at, r.id LIMIT $3
"""

APPOINTMENT = """
SELECT r.id, r.number, r.starts_at, r.amocrm_lead_id, c.name AS client, c.email,
       coalesce(nullif(d.full_name, ''), d.name) AS doctor, d.specialty,
       o.name AS clinic, o.address
FROM doc_requests r
LEFT JOIN cat_clients c ON c.id = r.client_id
JOIN cat_doctors d ON d.id = r.doctor_id
LEFT JOIN LATERAL (SELECT * FROM cat_organizations o WHERE NOT o.deletion_mark
                   ORDER BY o.id = c.organization_id DESC NULLS LAST, o.id LIMIT 1) o ON true
WHERE r.id = $1 AND r.posted AND NOT r.deletion_mark AND r.starts_at = $2
FOR SHARE OF r
"""


@dataclass(frozen=True)
class Reminder:
    """What the patient is told."""

    request_id: int
    number: str
    starts_at: dt.datetime  # local time
    client: str
    email: str
    doctor: str
    specialty: str
    clinic: str
    address: str

    @property
    def when(self) -> str:
        return f"{self.starts_at:%d.%m.%Y} в {self.starts_at:%H:%M}"

    @property
    def subject(self) -> str:
        return f"Напоминание о приёме {self.when}"

    @property
    def text(self) -> str:
        doctor = f"{self.doctor} ({self.specialty})" if self.specialty else self.doctor
        where = f"{self.clinic}, {self.address}" if self.address else self.clinic
        return (f"Здравствуйте, {self.client}!\n\nНапоминаем, что вы записаны на приём {self.when}.\n"
                f"Врач: {doctor}\nАдрес: {where}\n\n"
                f"Если планы изменились, пожалуйста, сообщите нам.\n\nС уважением,\n{self.clinic}\n")


class Channel(Protocol):
    """How a reminder reaches the patient: :meth:`address` says where (``""``: this patient cannot get
    one), :meth:`send` sends it or raises :class:`ErpError` saying why not."""

    name: str

    async def ready(self, conn: asyncpg.Connection, settings: Settings) -> bool: ...

    def address(self, reminder: Reminder) -> str: ...

    async def send(self, conn: asyncpg.Connection, settings: Settings, reminder: Reminder) -> None: ...


class EmailChannel:
    name = "эл. почта"

    async def ready(self, conn: asyncpg.Connection, settings: Settings) -> bool:
        from erp.printing import mail

        return await mail.get_smtp(conn, settings.secret_key) is not None

    def address(self, reminder: Reminder) -> str:
        from erp.printing.mail import valid_email

        return reminder.email if valid_email(reminder.email) else ""

    async def send(self, conn: asyncpg.Connection, settings: Settings, reminder: Reminder) -> None:
        from erp.printing import mail

        smtp = await mail.get_smtp(conn, settings.secret_key)
        if smtp is None:
            raise ErpError("Отправка почты не настроена", code="smtp_not_configured", status=409)
        message = EmailMessage()
        message["From"] = formataddr((smtp.from_name or reminder.clinic, smtp.from_email))
        message["To"] = reminder.email
        message["Subject"] = reminder.subject
        message.set_content(reminder.text)
        await mail.deliver(smtp, message)


EMAIL = EmailChannel()


@job("appointment-reminders", every=60.0)
async def reminders_job(pool: asyncpg.Pool, settings: Settings) -> None:
    await send_due(pool, settings)


async def send_due(pool: asyncpg.Pool, settings: Settings, *, now: dt.datetime | None = None,
                   channel: Channel = EMAIL) -> int:
    """Remind of every appointment due now (if reminders are on); how many this call recorded."""
    now = now or dt.datetime.now(dt.UTC)
    async with pool.acquire() as conn:
        prefs = await preferences.load(conn, settings)
        if not prefs.reminder_enabled:
            return 0
        if not await channel.ready(conn, settings):
            log.warning("appointment reminders are on, but %s is not configured", channel.name)
            return 0
        due = await conn.fetch(DUE, now, prefs.reminder_hours, BATCH)
    done = 0
    for row in due:
        async with pool.acquire() as conn:
            done += await remind(conn, settings, channel, row["id"], row["starts_at"])
    return done


async def remind(conn: asyncpg.Connection, settings: Settings, channel: Channel, request_id: int,
                 starts_at: dt.datetime) -> bool:
    """Send the reminder of one appointment unless it has one (or was cancelled meanwhile); whether this
    call recorded it."""
    async with conn.transaction():
        claimed = await conn.fetchval(
            "INSERT INTO appointment_reminders (request_id, starts_at, state) VALUES ($1, $2, 'sending')"
            " ON CONFLICT DO NOTHING RETURNING request_id", request_id, starts_at)
        row = await conn.fetchrow(APPOINTMENT, request_id, starts_at) if claimed else None
        if row is None:  # another worker's, or cancelled or moved since it was found
            if claimed:
                await conn.execute("DELETE FROM appointment_reminders WHERE request_id = $1 AND starts_at = $2",
                                   request_id, starts_at)
            return False
        reminder = Reminder(row["id"], people_number(row["number"]), row["starts_at"].astimezone(settings.tz),
                            row["client"] or "", (row["email"] or "").strip(), row["doctor"], row["specialty"] or "",
                            row["clinic"] or "", row["address"] or "")
        address = channel.address(reminder)
        what = f"Напоминание о приёме {reminder.when} (заявка № {reminder.number}, {reminder.doctor})"
        if not address:
            state, result, error = "skipped", "", (f"{what} не отправлено: у клиента «{reminder.client}» не указан"
                                                   f" адрес ({channel.name})")
        else:
            try:
                await channel.send(conn, settings, reminder)
            except ErpError as exc:
                state, result, error = "failed", "", f"{what} не отправлено: {exc.message}"
            else:
                state, result, error = "sent", f"{what} отправлено на {address}", ""
        event_id = await conn.fetchval(
            "INSERT INTO amocrm_events (direction, kind, lead_id, payload, state, attempts, result, last_error,"
            " document_kind, document_id, delivered_at) VALUES ('out', $1, $2, $3, $4::text, 1, $5, $6, 'requests', $7,"
            " CASE WHEN $4::text = 'delivered' THEN now() END) RETURNING id",
            KIND, row["amocrm_lead_id"], {"channel": channel.name, "to": address, "starts_at": starts_at.isoformat()},
            "delivered" if state == "sent" else "failed", result, error, request_id)
        await conn.execute("UPDATE appointment_reminders SET state = $3, sent_to = $4, event_id = $5"
                           " WHERE request_id = $1 AND starts_at = $2", request_id, starts_at, state, address, event_id)
    log.info("appointment reminder of request %s: %s", request_id, state)
    return True
