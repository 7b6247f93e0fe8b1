"""The rules of a Request (Заявка), pure, checked by the engine on every path: creating, saving,
posting a draft, re-posting, unposting, a calendar move, a widget booking.

* the doctor must be active (422 ``validation_error`` on ``doctor_id``);
* the room must be a room and the equipment equipment (422 ``validation_error`` on the field);
* a service that lists its performers («Исполнители услуги») is booked with one of them only (409
  ``doctor_not_linked`` naming the service and who performs it), and a service that lists its rooms
  («Кабинеты услуги») in one of them when a room is chosen (409 ``room_not_linked``);
* the visit's day must be outside the closed period, before and after a change (409 ``period_closed``);
* a visit that has not started cannot be «Пришел» (409 ``visit_not_started``);
* a visit already rendered (a posted «Оказание услуг» based on it) cannot be moved to another time or
  doctor (409 ``request_rendered``).

Working intervals are the posting rule's own check (:func:`erp.documents.request.movements`).
"""

from __future__ import annotations

import datetime as dt

from erp.catalogs.resources import EQUIPMENT, ROOM
from erp.catalogs.visit_statuses import CAME
from erp.platform.document import Doc
from erp.platform.errors import Conflict, ErpError, ValidationError
from erp.platform.period_lock import PeriodClosed

# A patient may come in a little early and be marked as arrived; a visit later than this is «in the future».
EARLY_ARRIVAL = dt.timedelta(minutes=60)


def moved(old: Doc | None, new: Doc) -> bool:
    return old is not None and (old.starts_at != new.starts_at or old.doctor_id != new.doctor_id)


def _performers(new: Doc, inputs) -> list[ErpError]:
    doctor = new.header.get("doctor_id")
    services, performers = inputs["durations"], inputs["performers"]
    for item in dict.fromkeys(ln.get("nomenclature_id") for ln in new.lines):
        rows = performers.get(item)
        service = services.get(item)
        if not rows or service is None or service["kind"] != "service" or any(r["doctor_id"] == doctor for r in rows):
            continue
        who = ", ".join(r["name"] for r in rows)
        return [Conflict(f"Услугу «{service['name']}» оказывает только {who}: выбранный врач её не оказывает",
                         code="doctor_not_linked",
                         details={"nomenclature_id": item, "doctors": [r["doctor_id"] for r in rows],
                                  "fields": {"doctor_id": "врач не оказывает эту услугу"}})]
    room = new.header.get("room_id")
    for item in dict.fromkeys(ln.get("nomenclature_id") for ln in new.lines) if room else ():
        rows = inputs["service_rooms"].get(item, ())
        service = services.get(item)
        if not rows or service is None or service["kind"] != "service" or any(r["room_id"] == room for r in rows):
            continue
        where = ", ".join(r["name"] for r in rows)
        return [Conflict(f"Услугу «{service['name']}» оказывают только в кабинетах: {where}",
                         code="room_not_linked",
                         details={"nomenclature_id": item, "rooms": [r["room_id"] for r in rows],
                                  "fields": {"room_id": "в этом кабинете услугу не оказывают"}})]
    return []


def rules(old: Doc | None, new: Doc, inputs) -> list[ErpError]:
    tz = inputs.settings.tz
    unposting = old is not None and old.posted and not new.posted
    lock = inputs.lock
    days = [("перенести приём на" if moved(old, new) else "записать на приём", new.starts_at)]
    days += [("перенести приём с", old.starts_at)] if moved(old, new) else []
    for verb, moment in days:
        day = moment.astimezone(tz).date()
        if lock is not None and day <= lock:
            # the visit itself is an accounting fact: it can't be booked into, or moved out of, a closed period
            return [PeriodClosed(f"Период закрыт: дата запрета изменения {lock:%d.%m.%Y}."
                                 f" Нельзя {verb} {day:%d.%m.%Y}.",
                                 details={"lock_date": lock.isoformat(), "fields": {"starts_at": "период закрыт"}})]
    if unposting:
        return []
    errors: list[ErpError] = []
    doctor, status = inputs["doctor"], inputs["status"]
    if doctor is not None and doctor["active"] is False:
        errors.append(ValidationError.field("doctor_id", "врач не ведёт приём (не активен)"))
    for field, kind, wrong in (("room_id", ROOM, "это не кабинет"), ("equipment_id", EQUIPMENT, "это не оборудование")):
        resource = inputs.get(field)
        if resource is not None and resource["kind"] != kind:
            errors.append(ValidationError.field(field, f"«{resource['name']}» — {wrong}"))
    errors += _performers(new, inputs)
    if status is not None and status["predefined"] == CAME and \
            new.starts_at > dt.datetime.now(dt.UTC) + EARLY_ARRIVAL:
        errors.append(Conflict(f"Приём {new.starts_at.astimezone(tz):%d.%m.%Y в %H:%M} ещё не начался: "
                               "отметить «Пришел» можно, когда пациент пришёл", code="visit_not_started",
                               details={"fields": {"visit_status_id": "приём ещё не начался"}}))
    renderings = [r["number"] for r in inputs.get("renderings", [])]
    if renderings:
        numbers = ", ".join(n.lstrip("0") or n for n in renderings)
        errors.append(Conflict(f"По заявке уже оказаны услуги (Оказание услуг № {numbers}): перенести приём нельзя. "
                               "Отмените проведение оказания услуг, чтобы перенести заявку.",
                               code="request_rendered", details={"renderings": renderings}))
    return errors
