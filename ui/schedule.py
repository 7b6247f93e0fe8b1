"""The WorkSchedule form (Установка графиков работы) as a month grid.

Days × doctors, like the seed's form; each cell is edited as text and may
hold several intervals. "Заполнить по шаблону" fills chosen weekdays with a
time range, "Скопировать из прошлого месяца" copies the schedule in force a
month earlier, weekday by weekday. Both only change the grid; Записать and
Провести save it through the posting engine, and a posted schedule shows in
the calendar at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from erp.platform.errors import ErpError
from ui import context, schedule_grid
from ui.forms import NOTICES, engine_for
from ui.i18n import gettext as _
from ui.queries import lists
from ui.render import render

KIND = "work-schedules"
BASE = "/schedule/work-schedules"
SAVE_ACTIONS = ("write", "post", "post_close", "unpost", "mark", "unmark")


def _kind(request: Request):
    return context.registry(request).documents[KIND]


async def _doctors(request: Request, ids) -> list[dict]:
    async with context.acquire(request) as conn:
        return [{"id": d["id"], "name": d["name"]} for d in await lists.doctors(conn, ids)]


async def _render(request: Request, grid: schedule_grid.Grid, *, doc=None, date: str = "", comment: str = "",
                  errors: list[str] | None = None, notice: str = "", dirty: bool = False,
                  status: int = 200) -> Response:
    kind = _kind(request)
    first_working = min((day for (_doctor, day) in grid.cells), default=grid.month)
    return render(request, "schedule/grid.html", status=status, section="schedule", kind=kind, grid=grid, doc=doc,
                  date=date, comment=comment, errors=errors or [], notice=_(NOTICES.get(notice, "")), dirty=dirty,
                  can_write=context.can_write(request, kind), calendar_day=first_working, base=BASE,
                  weekdays=[(i, dt.date(2024, 1, 1 + i)) for i in range(7)])


@get(f"{BASE}/new", name="ui_schedule_new")
async def new_schedule(request: Request, month: str | None = None) -> Response:
    context.require_write(request, _kind(request))
    tz = context.settings(request).tz
    grid = schedule_grid.Grid(schedule_grid.month_of(month, context.today(request)), await _doctors(request, []))
    return await _render(request, grid, date=dt.datetime.now(tz).strftime("%Y-%m-%dT%H:%M"))


@get(f"{BASE}/{{doc_id:int}}", name="ui_schedule")
async def open_schedule(request: Request, doc_id: int, notice: str = "") -> Response:
    async with context.acquire(request) as conn:
        doc = await context.engine(request).get(conn, _kind(request), doc_id)
    doctors = await _doctors(request, {ln["doctor_id"] for ln in doc.lines})
    grid = schedule_grid.grid_from_lines(doc.header["month"], doctors, doc.lines)
    tz = context.settings(request).tz
    return await _render(request, grid, doc=doc, date=doc.date.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
                         comment=doc.header.get("comment") or "", notice=notice)


def _template_values(form: dict[str, Any]) -> tuple[list[int], list[int], dt.time, dt.time]:
    def many(name: str) -> list[int]:
        raw = form.get(name, [])
        return [int(v) for v in (raw if isinstance(raw, list) else [raw]) if str(v).isdigit()]

    try:
        start, end = dt.time.fromisoformat(str(form.get("tpl_start"))), dt.time.fromisoformat(str(form.get("tpl_end")))
    except ValueError:
        raise ValueError(_("Шаблон: укажите время начала и окончания")) from None
    if start >= end:
        raise ValueError(_("Шаблон: окончание должно быть позже начала"))
    return many("tpl_doctor"), many("tpl_weekday"), start, end


async def _submit(request: Request, doc_id: int | None) -> Response:
    kind = _kind(request)
    context.require_write(request, kind)
    form = await context.form_data(request)
    action = str(form.get("action", "write"))
    month = schedule_grid.month_of(str(form.get("month", "")), context.today(request))
    ids = {int(k.split("-")[1]) for k in form if k.startswith("cell-") and k.split("-")[1].isdigit()}
    grid = schedule_grid.grid_from_form(month, await _doctors(request, ids), form)
    date, comment = str(form.get("date", "")), str(form.get("comment", ""))
    doc = None
    if doc_id is not None:
        async with context.acquire(request) as conn:
            doc = await context.engine(request).get(conn, kind, doc_id)
    if action == "fill":
        try:
            schedule_grid.fill_template(grid, *_template_values(form))
        except ValueError as exc:
            return await _render(request, grid, doc=doc, date=date, comment=comment, errors=[str(exc)], status=422,
                                 dirty=True)
        return await _render(request, grid, doc=doc, date=date, comment=comment, dirty=True)
    if action == "copy":
        previous = schedule_grid.month_days(schedule_grid.previous_month(month))
        async with context.acquire(request) as conn:
            intervals = await lists.working_intervals_on(conn, previous)
        grid.doctors = await _doctors(request, {d for d, _day in intervals} | ids)
        schedule_grid.copy_previous(grid, intervals)
        return await _render(request, grid, doc=doc, date=date, comment=comment, dirty=True)
    if action not in SAVE_ACTIONS:  # the month changed: show its days
        return await _render(request, grid, doc=doc, date=date, comment=comment, dirty=True)
    lines, origins = schedule_grid.lines_of(grid)
    if grid.errors:
        return await _render(request, grid, doc=doc, date=date, comment=comment, status=422, dirty=True,
                             errors=[_("График не записан: исправьте отмеченные клетки")])
    data = {"month": month, "comment": comment, "lines": lines, **({"date": date} if date else {})}
    engine = await engine_for(request)
    user = request.scope["user"]
    try:
        async with context.acquire(request) as conn:
            if action in ("unpost", "mark", "unmark"):
                saved = await (engine.unpost(conn, kind, doc_id) if action == "unpost"
                               else engine.set_deletion_mark(conn, kind, doc_id, action == "mark"))
            elif doc_id is None:
                saved = await engine.create(conn, kind, data, post=action != "write", author_id=user.user_id)
            else:
                saved = await engine.update(conn, kind, doc_id, data, post=(action != "write") or None)
    except ErpError as exc:
        for key, message in ((exc.details or {}).get("fields") or {}).items():
            index = key[len("lines["):].split("]")[0] if key.startswith("lines[") else ""
            if index.isdigit() and int(index) < len(origins):
                grid.errors[origins[int(index)]] = message
        return await _render(request, grid, doc=doc, date=date, comment=comment, status=exc.status, dirty=True,
                             errors=[_("График не записан: исправьте отмеченные клетки") if grid.errors
                                     else _(exc.message)])
    if action == "post_close":
        return Redirect("/documents/work-schedules", status_code=303)
    notice = {"write": "written", "post": "posted", "unpost": "unposted", "mark": "marked", "unmark": "unmarked"}
    return Redirect(f"{BASE}/{saved.id}?notice={notice[action]}", status_code=303)


@post(f"{BASE}/new", name="ui_schedule_create")
async def create_schedule(request: Request) -> Response:
    return await _submit(request, None)


@post(f"{BASE}/{{doc_id:int}}", name="ui_schedule_save")
async def save_schedule(request: Request, doc_id: int) -> Response:
    return await _submit(request, doc_id)


ROUTES = [new_schedule, open_schedule, create_schedule, save_schedule]
