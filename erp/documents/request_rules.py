"""The rules of a Request (Заявка), checked by the engine on every path: creating, saving,
posting a draft, re-posting, unposting, a calendar move, a widget booking.

* the doctor must be active (422 ``validation_error`` on ``doctor_id``);
* the visit's day must be outside the closed period, before and after a change (409 ``period_closed``);
* a visit that has not started cannot be «Пришел» (409 ``visit_not_started``);
* a visit already rendered (a posted «Оказание услуг» based on it) cannot be moved to another time or
  doctor (409 ``request_rendered``).

Working intervals are the posting rule's own check (:func:`erp.documents.request.movements`).
"""

from __future__ import annotations

import datetime as dt

from erp.catalogs.visit_statuses import CAME
from erp.platform.document import Doc
from erp.platform.errors import Conflict, ValidationError
from erp.platform.period_lock import PeriodClosed, get_lock

# A patient may come in a little early and be marked as arrived; a visit later than this is «in the future».
EARLY_ARRIVAL = dt.timedelta(minutes=60)


async def check(conn, old: Doc | None, new: Doc, settings) -> None:
    tz = settings.tz
    unposting = old is not None and old.posted and not new.posted
    moved = old is not None and (old.starts_at != new.starts_at or old.doctor_id != new.doctor_id)
    row = await conn.fetchrow(
        "SELECT (SELECT active FROM cat_doctors WHERE id = $1) AS doctor_active,"
        " (SELECT predefined FROM cat_visit_statuses WHERE id = $2) AS status,"
        " (SELECT array_agg(number ORDER BY id) FROM doc_service_renderings"
        "   WHERE based_on_kind = 'requests' AND based_on_id = $3 AND posted AND $4) AS renderings",
        new.doctor_id, new.header.get("visit_status_id"), new.id or 0, moved)
    lock = await get_lock(conn)
    days = [("перенести приём на" if moved else "записать на приём", new.starts_at)]
    days += [("перенести приём с", old.starts_at)] if moved else []
    for verb, moment in days:
        day = moment.astimezone(tz).date()
        if lock is not None and day <= lock:
            # the visit itself is an accounting fact: it can't be booked into, or moved out of, a closed period
            raise PeriodClosed(f"Период закрыт: дата запрета изменения {lock:%d.%m.%Y}. Нельзя {verb} {day:%d.%m.%Y}.",
                               details={"lock_date": lock.isoformat(), "fields": {"starts_at": "период закрыт"}})
    if unposting:
        return
    if row["doctor_active"] is False:
        raise ValidationError.field("doctor_id", "врач не ведёт приём (не активен)")
    if row["status"] == CAME and new.starts_at > dt.datetime.now(dt.UTC) + EARLY_ARRIVAL:
        raise Conflict(f"Приём {new.starts_at.astimezone(tz):%d.%m.%Y в %H:%M} ещё не начался: "
                       "отметить «Пришел» можно, когда пациент пришёл",
                       code="visit_not_started", details={"fields": {"visit_status_id": "приём ещё не начался"}})
    if row["renderings"]:
        numbers = ", ".join(n.lstrip("0") or n for n in row["renderings"])
        raise Conflict(f"По заявке уже оказаны услуги (Оказание услуг № {numbers}): перенести приём нельзя. "
                       "Отмените проведение оказания услуг, чтобы перенести заявку.",
                       code="request_rendered", details={"renderings": row["renderings"]})
