"""Расписание: the appointment calendar (окно записи).

The day view puts doctors side by side, the week view one doctor's seven
days; time runs down in steps of 5/10/15/30/60 minutes between the day's
start and end from the settings. Working hours are white, the rest grey, and
today has a red line at the current minute. Appointments are blocks in the
colour of their visit status. A click on a free cell starts a Request for
that doctor and time; dragging a block moves the Request (snapped to the
step) and re-posts it, and a refused move snaps back with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from erp.platform.dates import DateError, read_day, read_moment, shift_days
from erp.platform.errors import ErpError, ValidationError
from erp.platform.fields import FieldError
from ui import calendar_grid, context
from ui.forms import engine_for
from ui.i18n import gettext as _
from ui.queries import lists
from ui.render import is_htmx, render
from ui.session import remember, safe_next, session_value


async def _step(request: Request, raw: str | None) -> int:
    default = session_value(request, "calendar_step") or (await context.prefs(request)).slot_step_minutes
    try:
        step = int(raw) if raw else int(default)
    except ValueError:
        step = int(default)
    if step not in calendar_grid.STEPS:
        step = 15
    if raw:
        await remember(request, calendar_step=step)
    return step


def _day(raw: str | None, fallback: dt.date) -> dt.date:
    """The day asked for, if its week and the links to the weeks around it exist; else ``fallback``."""
    try:
        day = read_day(raw) if raw else fallback
        read_moment(shift_days(day, -8))
        read_moment(shift_days(day, 8))
        return day
    except DateError:
        return fallback


async def _calendar(request: Request, *, view: str, day: dt.date, step: int, doctor_id: int | None) -> dict[str, Any]:
    tz = context.settings(request).tz
    prefs = await context.prefs(request)
    days = calendar_grid.week_of(day) if view == "week" else [day]
    start = dt.datetime.combine(days[0], dt.time(), tz)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tz)
    async with context.acquire(request) as conn:
        intervals = await lists.working_intervals_on(conn, days)
        appointments = await lists.appointments(conn, start, end)
        statuses = await lists.visit_statuses(conn)
        doctors = await lists.doctors(conn, {d for d, _ in intervals} | {a.doctor_id for a in appointments})
    doctors = [d for d in doctors if d["active"] or any(a.doctor_id == d["id"] for a in appointments)]
    if view == "week":
        chosen = next((d for d in doctors if d["id"] == doctor_id), doctors[0] if doctors else None)
        columns = [calendar_grid.column(chosen["id"], d, d.strftime("%d.%m"), "", intervals.get((chosen["id"], d), []),
                                        appointments, tz, prefs.day_start, prefs.day_end, step)
                   for d in days] if chosen else []
    else:
        chosen = None
        booked = {a.doctor_id for a in appointments}
        working = [d for d in doctors if (d["id"], day) in intervals or d["id"] in booked]
        columns = [calendar_grid.column(d["id"], day, d["name"], "", intervals.get((d["id"], day), []), appointments,
                                        tz, prefs.day_start, prefs.day_end, step) for d in (working or doctors)]
    grid = calendar_grid.grid(columns, prefs.day_start, prefs.day_end, step, dt.datetime.now(tz))
    return {"grid": grid, "view": view, "day": day, "days": days, "step": step, "steps": calendar_grid.STEPS,
            "doctors": doctors, "doctor": chosen, "statuses": statuses, "row_px": calendar_grid.ROW_PX,
            "prev_day": days[0] - dt.timedelta(days=7 if view == "week" else 1),
            "next_day": days[-1] + dt.timedelta(days=1), "today": context.today(request)}


def _link(view: str, day: dt.date, step: int, doctor: dict | None) -> str:
    path = "/schedule/week" if view == "week" else "/schedule"
    return f"{path}?date={day.isoformat()}&step={step}" + (f"&doctor_id={doctor['id']}" if doctor else "")


async def _page(request: Request, view: str, date: str | None, step: str | None, doctor_id: int | None) -> Response:
    data = await _calendar(request, view=view, day=_day(date, context.today(request)), step=await _step(request, step),
                           doctor_id=doctor_id)
    data["self_url"] = _link(view, data["day"], data["step"], data["doctor"])
    data["link"] = lambda day, view=view, step=data["step"], doctor=data["doctor"]: _link(view, day, step, doctor)
    template = "calendar/_calendar.html" if is_htmx(request) else "calendar/page.html"
    return render(request, template, section="schedule", **data)


@get("/schedule", name="ui_calendar_day")
async def day_view(request: Request, date: str | None = None, step: str | None = None) -> Response:
    return await _page(request, "day", date, step, None)


@get("/schedule/week", name="ui_calendar_week")
async def week_view(request: Request, date: str | None = None, step: str | None = None,
                    doctor_id: int | None = None) -> Response:
    return await _page(request, "week", date, step, doctor_id)


def _request_input(kind, doc) -> dict[str, Any]:
    """A stored Request as the engine's input, to change one thing and save it back."""
    return {"date": doc.date, **{f.name: doc.header.get(f.name) for f in kind.header if not f.read_only},
            "lines": [dict(line) for line in doc.lines],
            **({"based_on": {"kind": doc.based_on[0], "id": doc.based_on[1]}} if doc.based_on else {})}


async def _change_request(request: Request, doc_id: int, changes: dict[str, Any]) -> None:
    kind = context.registry(request).documents["requests"]
    context.require_write(request, kind)
    engine = await engine_for(request)
    async with context.acquire(request) as conn:
        doc = await engine.get(conn, kind, doc_id)
        await engine.update(conn, kind, doc_id, {**_request_input(kind, doc), **changes})


def _back(request: Request, form: dict[str, Any]) -> Response | None:
    """Without htmx, a form post goes back to the calendar it came from."""
    if is_htmx(request):
        return None
    return Redirect(safe_next(str(form.get("back", "/schedule"))), status_code=303)


async def _refreshed(request: Request, form: dict[str, Any]) -> Response:
    back = _back(request, form)
    if back is not None:
        return back
    return await _page(request, str(form.get("view", "day")), form.get("date"), form.get("step"),
                       int(form["doctor_filter"]) if str(form.get("doctor_filter", "")).isdigit() else None)


@post("/schedule/requests/{doc_id:int}/move", name="ui_calendar_move")
async def move(request: Request, doc_id: int) -> Response:
    """Drag and drop: the Request moves to another time or doctor and is re-posted."""
    form = await context.form_data(request)
    doctor = str(form.get("doctor_id", ""))
    try:
        starts = dt.datetime.fromisoformat(str(form.get("starts_at", "")))
    except ValueError:
        raise ValidationError.field("starts_at", _("ожидается дата и время")) from None
    if not doctor.isdigit():
        raise ValidationError.field("doctor_id", _("не выбран врач"))
    changes = {"doctor_id": int(doctor), "starts_at": starts}  # a wall time: read on the clinic's clock when parsed
    return await _changed(request, doc_id, changes, form)


async def _changed(request: Request, doc_id: int, changes: dict[str, Any], form: dict[str, Any]) -> Response:
    """Save the change and show the calendar again, or the engine's reason for refusing it."""
    try:
        await _change_request(request, doc_id, changes)
    except (ErpError, FieldError) as exc:
        message = exc.message if isinstance(exc, ErpError) else str(exc)
        status = exc.status if isinstance(exc, ErpError) else 422
        return render(request, "_error.html", status=status, message=_(message), details={})
    return await _refreshed(request, form)


@post("/schedule/requests/{doc_id:int}/status", name="ui_calendar_status")
async def set_status(request: Request, doc_id: int) -> Response:
    """The block's menu: the visit status (Записан, Пришел, Не пришел, …)."""
    form = await context.form_data(request)
    status = str(form.get("visit_status_id", ""))
    if not status.isdigit():
        raise ValidationError.field("visit_status_id", _("не выбран статус визита"))
    return await _changed(request, doc_id, {"visit_status_id": int(status)}, form)


ROUTES = [day_view, week_view, move, set_status]
