"""The widget's API in the lead card: free slots, and booking an appointment as a posted Request.

The widget runs on the account's amoCRM pages and calls us with amoCRM's disposable token in
``X-Auth-Token``: a JWT signed HS256 with the integration's client secret, valid 30 minutes. It is
checked strictly: only HS256 (``none`` and every other algorithm are refused before anything else),
the signature, ``exp``/``nbf`` with a small leeway, ``aud`` (our redirect URI's origin), and that
``account_id`` (and ``subdomain``) are the connected account's. A failure is 401 with a reason code.

Booking checks what the user could get wrong before writing anything: a doctor who does not work
at that time is 409, a time off the slot grid is 422, a taken time is 409 (the exclusion constraint
has the last word under concurrency). An optional ``room_id`` and ``equipment_id`` book a room and a piece
of equipment with the doctor, each guarded the same way (409 ``room_busy``, ``equipment_busy``, or outside
the resource's own schedule). An optional ``service_id`` books that service (the widget lists the services,
``GET /services``) instead of "Номенклатура AmoCRM": for as long as the doctor performs it, only with one
of its performers (409 ``doctor_not_linked``), and in one of its rooms (the first free one, the group's own
for a group slot; 409 ``no_room_free`` when none is); the slots of a service are its own. The client is the
lead's main contact's (:mod:`erp.amocrm.contacts`): read
from amoCRM before the transaction, found by the contact's id or created with its name, phone and email,
once however many bookings of that contact run at once. If amoCRM cannot be read the booking is refused
(502 ``amocrm_contact_unavailable``, 503 ``amocrm_busy``) and nothing is written: booking under another
client would make a duplicate the contact's next booking could not find. A lead without contacts (or
one amoCRM does not know, or any lead while the exchange is paused) books as before: the client is
found by the typed name (case and runs of spaces aside) or created, under a transaction-scoped lock on
that name, so concurrent bookings for one new client create it once; without a name it is the
predefined "Клиент из AmoCRM". Then the lead gets its appointment fields and a note through the outbox,
in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import asyncpg
import jwt

from erp.amocrm import connection as connections
from erp.amocrm import contacts, outbox
from erp.amocrm.connection import Connection
from erp.app.settings import Settings
from erp.catalogs.clients import AMOCRM_CLIENT
from erp.catalogs.nomenclature import AMOCRM_SERVICE
from erp.platform import audit, catalog_service, local_time
from erp.platform.dates import DateError, read_day
from erp.platform.db import retried
from erp.platform.errors import Conflict, ErpError, Unauthorized, ValidationError
from erp.platform.posting import Engine
from erp.services import service_slots
from erp.services.preferences import effective_settings
from erp.services.scheduling import free_slots, inside_intervals, working_intervals

LEEWAY_SECONDS = 30
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
NOT_CONNECTED = "amoCRM не подключён: подключите его на странице «Интеграции»"


def _reject(code: str, message: str) -> Unauthorized:
    return Unauthorized(f"Виджет не авторизован: {message}", code=code)


async def authenticate(conn: asyncpg.Connection, settings: Settings, token: str | None) -> Connection:
    """The connected account, if ``token`` is a valid disposable token for it."""
    if not token:
        raise _reject("token_missing", "нет заголовка X-Auth-Token")
    account = await connections.load(conn, settings.secret_key)
    if account is None or account.account_id is None:
        raise ErpError(NOT_CONNECTED, code="amocrm_not_connected", status=409)
    verify(token, account)
    return account


def verify(token: str, account: Connection) -> dict[str, Any]:
    """The claims of ``token`` if it is a valid disposable token of ``account``; pure, and it raises
    nothing but :class:`Unauthorized`."""
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
    except jwt.InvalidTokenError:  # DecodeError, and also a "kid" that is not a string
        raise _reject("token_malformed", "токен повреждён") from None
    if algorithm != "HS256":
        raise _reject("token_algorithm", f"алгоритм подписи {algorithm!r} не принимается, только HS256")
    try:
        claims = jwt.decode(token, account.client_secret, algorithms=["HS256"], leeway=LEEWAY_SECONDS,
                            audience=[account.our_origin, account.our_origin + "/"],
                            options={"require": ["exp", "nbf", "iat", "aud", "account_id"]})
    except jwt.ExpiredSignatureError:
        raise _reject("token_expired", "срок действия токена истёк") from None
    except jwt.ImmatureSignatureError:
        raise _reject("token_not_yet_valid", "токен ещё не действует (nbf)") from None
    except jwt.InvalidAudienceError:
        raise _reject("token_audience", f"токен выписан не для {account.our_origin}") from None
    except jwt.InvalidSignatureError:
        raise _reject("token_signature", "подпись не сходится (другой секретный ключ интеграции)") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _reject("token_claims", f"в токене нет поля {exc.claim}") from None
    except jwt.InvalidTokenError:
        raise _reject("token_invalid", "токен не прошёл проверку") from None
    # exactly an int: True == 1 and 29000111.0 == 29000111 in Python
    if type(claims.get("account_id")) is not int or claims["account_id"] != account.account_id or (
            claims.get("subdomain") and account.subdomain and claims["subdomain"] != account.subdomain):
        raise _reject("token_account", "токен выписан для другого аккаунта amoCRM")
    return claims


async def appointment_minutes(conn: asyncpg.Connection, settings: Settings) -> int:
    """How long an appointment booked from amoCRM lasts: "Номенклатура AmoCRM"'s duration, else the setting."""
    minutes = await conn.fetchval("SELECT duration_minutes FROM cat_nomenclature WHERE predefined = $1",
                                  AMOCRM_SERVICE)
    return minutes or settings.default_appointment_minutes


async def slots(conn: asyncpg.Connection, settings: Settings, day: dt.date, doctor_id: int | None = None,
                service_id: int | None = None) -> dict:
    """Who works on ``day`` and their free times: for "Номенклатура AmoCRM", or for the service
    ``service_id`` (its performers only, each for their own duration, when one of its rooms is free)."""
    settings = await effective_settings(conn, settings)
    minutes = await appointment_minutes(conn, settings)
    if service_id is not None:
        minutes = (await service_slots.service(conn, service_id)).duration or settings.default_appointment_minutes
    doctors = await free_slots(conn, day, tz=settings.tz, step=settings.slot_step_minutes, duration=minutes,
                               doctor_id=doctor_id, service_id=service_id)
    return {"date": day, "step_minutes": settings.slot_step_minutes, "duration_minutes": minutes,
            "doctors": [{"id": d.id, "name": d.name, "slots": d.slots,
                         "duration_minutes": d.duration_minutes or minutes, "taken": d.taken} for d in doctors]}


async def services(conn: asyncpg.Connection, q: str = "") -> list[dict]:
    """The services a manager may book (or put in an invoice) from the lead card, by name: each with its
    price, duration and, for a group service, its places; ``q`` keeps those whose name contains it."""
    rows = await conn.fetch(
        "SELECT id, name, price, duration_minutes, group_capacity FROM cat_nomenclature"
        " WHERE kind = 'service' AND NOT is_group AND NOT deletion_mark"
        " AND strpos(lower(name), lower($1)) > 0 ORDER BY name, id LIMIT 200", q.strip()[:100])
    return [dict(r) for r in rows]


def _id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _parse(data: dict[str, Any]) -> tuple[int, dt.date, int, dt.time, str]:
    problems: dict[str, str] = {}
    for field, what in (("room_id", "кабинет"), ("equipment_id", "оборудование"), ("service_id", "услугу")):
        if data.get(field) is not None and not _id(data[field]):
            problems[field] = f"выберите {what} из списка"
    lead_id, doctor_id = data.get("lead_id"), data.get("doctor_id")
    if not isinstance(lead_id, int) or isinstance(lead_id, bool) or not 0 < lead_id < 2**63:
        problems["lead_id"] = "номер сделки — положительное целое число"
    if not isinstance(doctor_id, int) or isinstance(doctor_id, bool) or not 0 < doctor_id < 2**63:
        problems["doctor_id"] = "выберите врача из списка"
    day = None
    try:
        day = read_day(data.get("date"))
    except DateError as exc:
        problems["date"] = str(exc)
    match = TIME.match(data.get("time") or "") if isinstance(data.get("time"), str) else None
    if match is None:
        problems["time"] = "время в формате ЧЧ:ММ, из списка свободного времени"
    client_name = data.get("client_name") or ""
    if not isinstance(client_name, str) or len(client_name.strip()) > 250:
        problems["client_name"] = "ФИО клиента — строка не длиннее 250 символов"
    unknown = set(data) - {"lead_id", "date", "doctor_id", "time", "client_name", "room_id", "equipment_id",
                           "service_id"}
    problems.update({key: "неизвестное поле" for key in sorted(unknown)})
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Неверные данные — {summary}", details={"fields": problems})
    return lead_id, day, doctor_id, dt.time(int(match[1]), int(match[2])), client_name.strip()


async def _check_time(conn: asyncpg.Connection, settings: Settings, doctor: asyncpg.Record, day: dt.date,
                      at: dt.time, minutes: int) -> dt.datetime:
    tz, step = settings.tz, settings.slot_step_minutes
    starts = local_time.at(day, at, tz, "time")
    ends = local_time.plus(starts, minutes)
    intervals = (await working_intervals(conn, day, doctor["id"])).get(doctor["id"], [])
    hours = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in intervals) or "не работает"
    for start, end in intervals:
        if inside_intervals(day, tz, [(start, end)], starts, ends):
            if (at.hour * 60 + at.minute - start.hour * 60 - start.minute) % step:  # the grid runs on the wall clock
                raise ValidationError.field("time", f"время {at:%H:%M} не на сетке записи: приём начинается "
                                                    f"с {start:%H:%M} с шагом {step} мин")
            return starts
    raise Conflict(f"{doctor['name']} не принимает {day:%d.%m.%Y} в {at:%H:%M} ({minutes} мин); график: {hours}",
                   code="doctor_not_working", details={"working_intervals": hours})


# The name as the lookup compares it; the same expression for the stored names and the asked one.
_NORMAL = "lower(regexp_replace(btrim({}), '\\s+', ' ', 'g'))"


async def _client(conn: asyncpg.Connection, engine: Engine, name: str) -> int:
    """The client named ``name``, created if there is none; call it inside the booking's transaction.

    The advisory lock on the normalised name (held to the end of the transaction) makes a concurrent
    booking for the same new client wait for this one and then find the client it created."""
    if not name:
        return await conn.fetchval("SELECT id FROM cat_clients WHERE predefined = $1", AMOCRM_CLIENT)
    # Its own statement: the lookup's snapshot must be taken after the wait, to see what the other committed.
    key = f"hashtextextended('amocrm-client:' || {_NORMAL.format('$1')}, 0)"
    await conn.execute(f"SELECT pg_advisory_xact_lock({key})", name)
    found = await conn.fetchval(f"SELECT id FROM cat_clients WHERE {_NORMAL.format('name')} = {_NORMAL.format('$1')}"
                                " AND NOT deletion_mark ORDER BY id LIMIT 1", name)
    if found:
        return found
    return (await catalog_service.create(conn, engine.registry, engine.registry.catalogs["clients"],
                                         {"name": name}))["id"]


async def book(conn: asyncpg.Connection, engine: Engine, settings: Settings, data: dict[str, Any]) -> dict:
    """Create and post the Request; queue the lead's fields and note. ``{"request_id", "number"}``.
    The audit log names amoCRM as the author."""
    lead_id, day, doctor_id, at, client_name = _parse(data)
    settings = await effective_settings(conn, settings)
    doctor = await conn.fetchrow("SELECT id, name FROM cat_doctors WHERE id = $1 AND active AND NOT deletion_mark",
                                 doctor_id)
    if doctor is None:
        raise ValidationError.field("doctor_id", "врач не найден или не ведёт приём")
    svc = await service_slots.service(conn, data["service_id"]) if data.get("service_id") is not None else None
    minutes = (svc.minutes(doctor_id, settings.default_appointment_minutes) if svc is not None
               else await appointment_minutes(conn, settings))
    starts = await _check_time(conn, settings, doctor, day, at, minutes)
    service = await conn.fetchrow("SELECT id, price FROM cat_nomenclature WHERE " + (
        "id = $1" if svc is not None else "predefined = $1"), svc.id if svc is not None else AMOCRM_SERVICE)
    room_id = data.get("room_id")
    if svc is not None and svc.rooms and room_id is None and (svc.performers == {} or doctor_id in svc.performers):
        ends = local_time.plus(starts, minutes)
        rooms = await service_slots.rooms_on(conn, day, settings.tz, svc.rooms)
        room_id = rooms.free(day, settings.tz, starts, ends, svc.key(doctor_id, starts, ends))
        if room_id is None:
            raise Conflict(f"Все кабинеты услуги «{svc.name}» заняты {day:%d.%m.%Y} в {at:%H:%M}: "
                           "выберите другое время",
                           code="no_room_free", details={"rooms": list(svc.rooms)})
    contact = await contacts.lead_contact(conn, settings, lead_id)  # amoCRM is not called inside a transaction

    async def booking():
        async with conn.transaction():
            if contact is not None:
                client_id = await contacts.linked_client(conn, engine, *contact)
            else:
                client_id = await _client(conn, engine, client_name)
            request = await engine.create(conn, engine.registry.documents["requests"], {
                "client_id": client_id, "doctor_id": doctor_id, "starts_at": starts.isoformat(),
                "room_id": room_id, "equipment_id": data.get("equipment_id"),
                "duration_minutes": minutes, "amocrm_lead_id": lead_id,
                "comment": f"Из amoCRM, сделка {lead_id}",
                "lines": [{"nomenclature_id": service["id"], "quantity": "1", "price": str(service["price"] or 0)}],
            }, post=True)
            await outbox.enqueue_appointment(conn, lead_id, request, doctor=doctor["name"], day=day.isoformat(),
                                             time=f"{at:%H:%M}")
            return request

    with audit.acting_as(audit.AMOCRM):
        request = await retried(booking)  # the whole booking again after a deadlock
    return {"request_id": request.id, "number": outbox.people_number(request.number)}
