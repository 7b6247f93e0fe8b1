"""The geometry of the appointment calendar (окно записи), pure.

Time runs down in rows of ``step`` minutes from the day's start to its end;
each column is a doctor on a day (the day view: doctors side by side; the
week view: the doctors of each day side by side, day after day), or a room or
a piece of equipment on a day when the calendar shows one kind of resource. A row is white where the doctor works
and grey elsewhere; an appointment is a block placed by its start and sized
by its length; today gets a red line at the current minute. The posted places of one group slot
(a group service) are one block, «3/8», listing its participants, each with their own visit status.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from erp.platform import local_time
from ui.queries.lists import Appointment

ROW_PX = 22
STEPS = (5, 10, 15, 30, 60)


@dataclass(frozen=True)
class Cell:
    time: dt.time
    moment: str  # "YYYY-MM-DDTHH:MM", the start a new Request gets
    working: bool
    occupied: bool = False  # a posted Request holds this start: no booking link


@dataclass(frozen=True)
class Block:
    appointment: Appointment
    top: int
    height: int
    start: str
    end: str
    members: tuple[Appointment, ...] = ()  # a group slot's posted places, in booking order

    @property
    def places(self) -> str:
        """«3/8»: the places taken of the group's capacity."""
        return f"{len(self.members)}/{self.appointment.group_capacity}"


FIELDS = ("doctor_id", "room_id", "equipment_id")  # what a column books: a doctor, a room, a piece of equipment


@dataclass(frozen=True)
class Column:
    owner_id: int
    day: dt.date
    title: str
    subtitle: str
    cells: list[Cell]
    blocks: list[Block] = field(default_factory=list)
    field: str = "doctor_id"  # the Request's field the owner fills: doctor_id, room_id or equipment_id
    first_of_day: bool = True  # the week view: the day's first column starts its group

    @property
    def owner(self) -> str:
        """``doctor``, ``room`` or ``equipment``: the column's data attribute."""
        return self.field.removesuffix("_id")


@dataclass(frozen=True)
class Grid:
    day_start: dt.time
    day_end: dt.time
    step: int
    times: list[dt.time]
    columns: list[Column]
    now_top: int | None  # the current-time line, in px from the top, when today is shown
    height: int


def times(day_start: dt.time, day_end: dt.time, step: int) -> list[dt.time]:
    out, t = [], dt.datetime.combine(dt.date.min, day_start)
    stop = dt.datetime.combine(dt.date.min, day_end)
    while t < stop:
        out.append(t.time())
        t += dt.timedelta(minutes=step)
    return out


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def working(t: dt.time, step: int, intervals: list[tuple[dt.time, dt.time]]) -> bool:
    """A row is white when its start lies inside a working interval."""
    m = _minutes(t)
    return any(_minutes(a) <= m < _minutes(b) for a, b in intervals)


def place(appointment: Appointment, day: dt.date, tz, day_start: dt.time, day_end: dt.time, step: int) -> Block | None:
    """The block of an appointment on ``day``'s grid, clipped to the shown hours."""
    top_of_day = dt.datetime.combine(day, day_start, tz)
    bottom = dt.datetime.combine(day, day_end, tz)
    start, end = max(appointment.starts_at, top_of_day), min(appointment.ends_at, bottom)
    if end <= start:
        return None
    top = round((start - top_of_day).total_seconds() / 60 / step * ROW_PX)
    height = max(round((end - start).total_seconds() / 60 / step * ROW_PX), ROW_PX - 4)
    local = appointment.starts_at.astimezone(tz)
    return Block(appointment, top, height, f"{local:%H:%M}", f"{appointment.ends_at.astimezone(tz):%H:%M}")


def column(owner_id: int, day: dt.date, title: str, subtitle: str, intervals: list[tuple[dt.time, dt.time]],
           appointments: list[Appointment], tz, day_start: dt.time, day_end: dt.time, step: int,
           field: str = "doctor_id", first_of_day: bool = True) -> Column:
    """A row the clock skips that night (a daylight-saving change) is grey; a row whose start a
    posted Request of the owner (the doctor, or the room or equipment in ``field``) holds is
    occupied (shown, not a link)."""
    appointments = [a for a in appointments if getattr(a, field) == owner_id]
    held = [(a.starts_at, a.ends_at) for a in appointments if a.posted]
    cells = []
    for t in times(day_start, day_end, step):
        wall = dt.datetime.combine(day, t)
        exists = local_time.exists(wall, tz)
        moment = local_time.localize(wall, tz) if exists else None
        cells.append(Cell(t, f"{day.isoformat()}T{t:%H:%M}", exists and working(t, step, intervals),
                          moment is not None and any(a <= moment < b for a, b in held)))
    blocks = []
    groups: dict[str, list[Appointment]] = {}
    for a in appointments:
        if a.starts_at.astimezone(tz).date() <= day <= a.ends_at.astimezone(tz).date():
            if a.posted and a.group_key:
                if a.group_key in groups:
                    groups[a.group_key].append(a)
                    continue
                groups[a.group_key] = [a]
            block = place(a, day, tz, day_start, day_end, step)
            if block:
                blocks.append(block)
    blocks = [dataclasses.replace(b, members=tuple(groups[b.appointment.group_key]))
              if b.appointment.posted and b.appointment.group_key else b for b in blocks]
    return Column(owner_id, day, title, subtitle, cells, blocks, field, first_of_day)


def now_line(now: dt.datetime, days: list[dt.date], day_start: dt.time, day_end: dt.time, step: int) -> int | None:
    if now.date() not in days or not (day_start <= now.time() < day_end):
        return None
    minutes = (dt.datetime.combine(now.date(), now.time()) - dt.datetime.combine(now.date(), day_start))
    return round(minutes.total_seconds() / 60 / step * ROW_PX)


def grid(columns: list[Column], day_start: dt.time, day_end: dt.time, step: int, now: dt.datetime) -> Grid:
    rows = times(day_start, day_end, step)
    return Grid(day_start, day_end, step, rows, columns,
                now_line(now, sorted({c.day for c in columns}), day_start, day_end, step), len(rows) * ROW_PX)


def week_of(day: dt.date) -> list[dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=i) for i in range(7)]
