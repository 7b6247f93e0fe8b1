"""Напоминания о приёме (issue 17 point 6): with the setting on, the worker's job emails each patient whose
appointment starts within N hours once, with the day, the doctor and the clinic's address, through a real SMTP
server on loopback; two workers at once or the job run again send nothing twice; a cancelled appointment gets
nothing, a client without an email is skipped; the exchange log shows each."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from erp.amocrm import exchange_log, reminders
from erp.configuration import registry
from erp.platform import catalog_service
from erp.platform.errors import Conflict
from erp.services import preferences
from tests.amocrm.test_stage_actions import mailbox, printable, smtp  # noqa: F401  (a fixture)

MSK = dt.timezone(dt.timedelta(hours=3))
NOW = dt.datetime(2021, 12, 21, 10, 0, tzinfo=MSK)  # the day before seed 001's 22.12.2021


async def client(db, name: str, email: str = "") -> int:
    reg = registry()
    return (await catalog_service.create(db, reg, reg.catalogs["clients"], {"name": name, "kind": "person",
                                                                            "email": email}))["id"]


async def appointment(db, engine, clinic, client_id: int, at: str, *, post: bool = True):
    return await engine.create(db, registry().documents["requests"], {
        "doctor_id": clinic.efimova, "client_id": client_id, "starts_at": f"2021-12-22T{at}:00",
        "amocrm_lead_id": 219219, "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "0"}]},
        post=post)


async def turn_on(db, settings, hours: int) -> None:
    current = await preferences.load(db, settings)
    chosen = preferences.parse({"reminder_enabled": "on", "reminder_hours": str(hours)}, current)
    await preferences.save(db, chosen, current)


@pytest.fixture
async def visits(db, engine, clinic):
    """Ivanov at 09:05, a cancelled visit at 09:50, Petrov (no email) at 09:35, Sidorov at 12:00 (past the window)."""
    await db.execute("UPDATE cat_doctors SET full_name = 'Ефимова Елена Викторовна', specialty = 'терапевт'"
                     " WHERE id = $1", clinic.efimova)
    ivanov = await appointment(db, engine, clinic, await client(db, "Иванов Иван", "ivanov@example.com"), "09:05")
    cancelled = await appointment(db, engine, clinic, await client(db, "Отменил Запись", "gone@example.com"), "09:50")
    await engine.unpost(db, registry().documents["requests"], cancelled.id)
    petrov = await appointment(db, engine, clinic, await client(db, "Петров Пётр"), "09:35")
    later = await appointment(db, engine, clinic, await client(db, "Сидоров Сидор", "sidorov@example.com"), "12:00")
    return ivanov, cancelled, petrov, later


async def log(db) -> list[dict]:
    rows, _ = await exchange_log.list_events(db, MSK, kind=reminders.KIND)
    return sorted(rows, key=lambda e: e["id"])


async def test_each_patient_is_reminded_once_even_by_two_workers_at_once(db, pool, settings, clinic, visits, mailbox):  # noqa: F811
    ivanov, cancelled, petrov, later = visits
    await printable(db, clinic)
    assert await reminders.send_due(pool, settings, now=NOW) == 0, "the setting is off by default"
    await turn_on(db, settings, 24)
    assert await reminders.send_due(pool, settings, now=NOW) == 0, "no SMTP yet: nothing recorded"
    assert await db.fetchval("SELECT count(*) FROM appointment_reminders") == 0
    await smtp(db, settings, mailbox.port)

    done = await asyncio.gather(*(reminders.send_due(pool, settings, now=NOW) for _ in range(2)))
    assert sum(done) == 2, done  # Ivanov sent, Petrov skipped; whichever worker got each
    assert await reminders.send_due(pool, settings, now=NOW) == 0
    assert await reminders.send_due(pool, settings, now=NOW + dt.timedelta(minutes=30)) == 0

    [message] = mailbox.messages
    assert message["To"] == "ivanov@example.com"
    assert message["Subject"] == "Напоминание о приёме 22.12.2021 в 09:05"
    text = message.get_content()
    assert "Врач: Ефимова Елена Викторовна (терапевт)" in text
    assert "Адрес: Клиника, Москва, ул. Тверская, 1" in text

    sent, skipped = await log(db)
    assert (sent["state"], sent["document_id"], sent["lead_id"]) == ("delivered", ivanov.id, 219219)
    assert sent["result"].endswith("отправлено на ivanov@example.com")
    assert (skipped["state"], skipped["document_id"]) == ("failed", petrov.id)
    assert "у клиента «Петров Пётр» не указан адрес" in skipped["last_error"]
    with pytest.raises(Conflict):
        await exchange_log.retry(db, skipped["id"])
    states = dict(await db.fetch("SELECT request_id, state FROM appointment_reminders"))
    assert states == {ivanov.id: "sent", petrov.id: "skipped"}, "nothing for the cancelled or the later visit"

    # the later visit comes into the window an hour and a half on
    assert await reminders.send_due(pool, settings, now=NOW + dt.timedelta(hours=2)) == 1
    assert [m["To"] for m in mailbox.messages] == ["ivanov@example.com", "sidorov@example.com"]
    assert later.id in dict(await db.fetch("SELECT request_id, state FROM appointment_reminders"))
    assert cancelled.id not in dict(await db.fetch("SELECT request_id, state FROM appointment_reminders"))


async def test_a_refusing_smtp_server_is_logged_once_and_not_retried(db, pool, settings, clinic, visits):
    await printable(db, clinic)
    await turn_on(db, settings, 24)
    from tests.conftest import free_port

    await smtp(db, settings, free_port())  # nobody listens there
    assert await reminders.send_due(pool, settings, now=NOW) == 2
    failed = [e for e in await log(db) if e["document_id"] == visits[0].id]
    assert failed[0]["state"] == "failed" and "не отправлено: Не удалось отправить письмо" in failed[0]["last_error"]
    assert await reminders.send_due(pool, settings, now=NOW) == 0


def test_the_setting_is_checked():
    current = preferences.Preferences()
    with pytest.raises(Exception) as caught:
        preferences.parse({"reminder_enabled": "on", "reminder_hours": "0"}, current)
    assert caught.value.details["fields"] == {"reminder_hours": "целое число от 1 до 168"}
    assert preferences.parse({"reminder_hours": "3"}, current).reminder_enabled is False, "an unticked box is off"
    assert preferences.parse({}, preferences.Preferences(reminder_enabled=True)).reminder_enabled is True
