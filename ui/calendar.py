"""Расписание: the appointment calendar (окно записи).

The day view puts doctors side by side, the week view the doctors of each
day side by side, day after day (or one chosen doctor's seven days), with the
time column fixed while it scrolls sideways; either shows the rooms or the
equipment instead of the doctors when asked (``?resource=room``). Time runs
down in steps of 5/10/15/30/60 minutes between the day's start and end from
the settings. Working hours are white, the rest grey, and today has a red line
at the current minute. Appointments are blocks in the colour of their visit
status. A click on a free cell starts a Request for that doctor (or resource)
and time; a range of free cells selected by dragging or shift-click sets its
length, and «Записать» opens the Request with it (``calendar.js``). Dragging a
block moves the Request (snapped to the step) and re-posts it, and a refused
move snaps back with the reason. The month view counts each day's Requests
and free time per doctor (:mod:`ui.calendar_month`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from erp.catalogs.resources import EQUIPMENT, ROOM
from erp.platform.dates import DateError, read_day, read_moment, shift_days
from erp.platform.errors import ErpError, ValidationError
from erp.platform.fields import FieldError
from ui import calendar_grid, calendar_month, context
from ui.forms import engine_for
from ui.i18n import gettext as _
from ui.queries import lists
from ui.render import is_htmx, render
from ui.session import remember, safe_next, session_value

FIELDS = {"": "doctor_id", ROOM: "room_id", EQUIPMENT: "equipment_id"}  # the Request's field a column fills


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


RESOURCE_KINDS = (("", "Врачи"), (ROOM, "Кабинеты"), (EQUIPMENT, "Оборудование"))


def _resource(raw: str | None) -> str:
    """The kind of resource the columns are (``room``, ``equipment``), or ``""`` for doctors."""
    return raw if raw in (ROOM, EQUIPMENT) else ""


async def _owners(conn, resource: str, days: list[dt.date], booked: set[int], prefs) -> tuple[list[dict], dict]:
    """Who the columns are, and their working intervals on ``days``: the doctors (active, or booked in
    the period), or the resources of one kind; an always available one works the calendar's hours."""
    if not resource:
        intervals = await lists.working_intervals_on(conn, days)
        doctors = await lists.doctors(conn, {d for d, _ in intervals} | booked)
        return [d for d in doctors if d["active"] or d["id"] in booked], intervals
    items = await lists.resources(conn, resource, booked)
    intervals = await lists.resource_intervals_on(conn, days, [r["id"] for r in items if not r["always_available"]])
    for r in items:
        if r["always_available"]:
            intervals.update({(r["id"], d): [(prefs.day_start, prefs.day_end)] for d in days})
    return items, intervals


async def _calendar(request: Request, *, view: str, day: dt.date, step: int, doctor_id: int | None,
                    resource: str) -> dict[str, Any]:
    tz = context.settings(request).tz
    prefs = await context.prefs(request)
    days = calendar_grid.week_of(day) if view == "week" else [day]
    start = dt.datetime.combine(days[0], dt.time(), tz)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tz)
    field = FIELDS[resource]
    async with context.acquire(request) as conn:
        appointments = await lists.appointments(conn, start, end)
        booked = {getattr(a, field) for a in appointments} - {None}
        owners, intervals = await _owners(conn, resource, days, booked, prefs)
        statuses = await lists.visit_statuses(conn)
    chosen = next((d for d in owners if d["id"] == doctor_id), None) if view == "week" and not resource else None
    shown = [chosen] if chosen else owners
    if not resource:  # doctors who work in the period or are booked in it, else all of them
        shown = [d for d in shown if d["id"] in booked or any((d["id"], x) in intervals for x in days)] or shown
    columns = [calendar_grid.column(o["id"], d, o["name"], "", intervals.get((o["id"], d), []), appointments, tz,
                                    prefs.day_start, prefs.day_end, step, field, i == 0)
               for d in days for i, o in enumerate(shown)]
    grid = calendar_grid.grid(columns, prefs.day_start, prefs.day_end, step, dt.datetime.now(tz))
    return {"grid": grid, "view": view, "day": day, "days": days, "step": step, "steps": calendar_grid.STEPS,
            "doctors": owners if not resource else [], "doctor": chosen, "statuses": statuses,
            "row_px": calendar_grid.ROW_PX, "resource": resource, "resource_kinds": RESOURCE_KINDS,
            "prev_day": days[0] - dt.timedelta(days=7 if view == "week" else 1),
            "next_day": days[-1] + dt.timedelta(days=1), "today": context.today(request),
            "book_url": "/documents/requests/new" + (f"?doctor_id={chosen['id']}" if chosen else "")}


PATHS = {"day": "/schedule", "week": "/schedule/week", "month": "/schedule/month"}


def _link(view: str, day: dt.date, step: int, doctor: dict | None, resource: str = "") -> str:
    return (f"{PATHS[view]}?date={day.isoformat()}&step={step}" + (f"&doctor_id={doctor['id']}" if doctor else "")
            + (f"&resource={resource}" if resource else ""))


async def _page(request: Request, view: str, date: str | None, step: str | None, doctor_id: int | None,
                resource: str | None = None) -> Response:
    data = await _calendar(request, view=view, day=_day(date, context.today(request)), step=await _step(request, step),
                           doctor_id=doctor_id, resource=_resource(resource))
    data["self_url"] = _link(view, data["day"], data["step"], data["doctor"], data["resource"])
    data["link"] = lambda day, view=view, step=data["step"], doctor=data["doctor"], resource=data["resource"]: _link(
        view, day, step, doctor, resource)
    data["view_link"] = lambda view, day=data["day"], step=data["step"], resource=data["resource"]: _link(
        view, day, step, None, resource)
    template = "calendar/_calendar.html" if is_htmx(request) else "calendar/page.html"
    return render(request, template, section="schedule", **data)


@get("/schedule", name="ui_calendar_day")
async def day_view(request: Request, date: str | None = None, step: str | None = None,
                   resource: str | None = None) -> Response:
    return await _page(request, "day", date, step, None, resource)


@get("/schedule/week", name="ui_calendar_week")
async def week_view(request: Request, date: str | None = None, step: str | None = None,
                    doctor_id: str | None = None, resource: str | None = None) -> Response:
    """``doctor_id`` empty («Все врачи») or absent: every doctor of each day."""
    doctor = int(doctor_id) if doctor_id and doctor_id.isdigit() and len(doctor_id) < 19 else None
    return await _page(request, "week", date, step, doctor, resource)


@get("/schedule/month", name="ui_calendar_month")
async def month_view(request: Request, date: str | None = None, resource: str | None = None) -> Response:
    """The month: each day its doctors (or resources) with their Requests and free time; a day opens
    the day view."""
    tz = context.settings(request).tz
    prefs = await context.prefs(request)
    today = context.today(request)
    month = calendar_month.first_of(_month(date, today))
    weeks = calendar_month.weeks(month)
    days = [d for w in weeks for d in w]
    resource = _resource(resource)
    field = FIELDS[resource]
    start = dt.datetime.combine(days[0], dt.time(), tz)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tz)
    async with context.acquire(request) as conn:
        bookings = await lists.bookings(conn, start, end)
        booked = {getattr(b, field) for b in bookings} - {None}
        owners, intervals = await _owners(conn, resource, days, booked, prefs)
    step = await _step(request, None)
    return render(request, "calendar/month.html", section="schedule", view="month", resource=resource,
                  resource_kinds=RESOURCE_KINDS, month=month, today=today, step=step,
                  weeks=calendar_month.month_days(month, owners, field, intervals, bookings, tz),
                  weekdays=weeks[0], prev_month=calendar_month.shift_month(month, -1),
                  next_month=calendar_month.shift_month(month, 1), book_url="/documents/requests/new",
                  day_link=lambda day: _link("day", day, step, None, resource),
                  month_link=lambda day: _link("month", day, step, None, resource).replace(f"&step={step}", ""),
                  view_link=lambda view: _link(view, month if month.month != today.month or month.year != today.year
                                               else today, step, None, resource))


def _month(raw: str | None, fallback: dt.date) -> dt.date:
    """The month asked for (``YYYY-MM-DD`` or ``YYYY-MM``), if its grid and the months around it exist."""
    try:
        day = read_day(raw if raw is None or len(raw) != 7 else f"{raw}-01") if raw else fallback
        read_moment(shift_days(day, -50))
        read_moment(shift_days(day, 50))
        return day
    except DateError:
        return fallback


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
    view = str(form.get("view", "day"))
    return await _page(request, view if view in ("day", "week") else "day", form.get("date"), form.get("step"),
                       int(form["doctor_filter"]) if str(form.get("doctor_filter", "")).isdigit() else None,
                       str(form.get("resource", "")))


@post("/schedule/requests/{doc_id:int}/move", name="ui_calendar_move")
async def move(request: Request, doc_id: int) -> Response:
    """Drag and drop: the Request moves to another time and doctor (or room, or piece of equipment,
    on a resource's column) and is re-posted."""
    form = await context.form_data(request)
    try:
        starts = dt.datetime.fromisoformat(str(form.get("starts_at", "")))
    except ValueError:
        raise ValidationError.field("starts_at", _("ожидается дата и время")) from None
    owner = next((f for f in calendar_grid.FIELDS if form.get(f) not in (None, "")), "doctor_id")
    if not str(form.get(owner, "")).isdigit():
        raise ValidationError.field("doctor_id", _("не выбран врач"))
    changes = {owner: int(str(form[owner])), "starts_at": starts}  # a wall time: read on the clinic's clock
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


ROUTES = [day_view, week_view, month_view, move, set_status]
