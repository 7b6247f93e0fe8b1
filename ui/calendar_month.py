"""The month view of the appointment calendar, pure: the weeks Monday to Sunday that cover a month,
and for each day who works or is booked (doctors, or the rooms or equipment of one kind), with the
number of posted Requests that start that day and the free time left in their working hours.

A booking counts on the clinic's day it starts on (a visit at 01:00 on the 1st belongs to the
1st, though UTC says the last day of the month before). Free time is the working intervals' real
minutes less the booked minutes inside them, overlapping bookings (a group slot's places) once.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ui.queries.lists import Booking


@dataclass(frozen=True)
class OwnerDay:
    """One doctor (or resource) on one day: Requests starting then, and minutes still free."""

    id: int
    name: str
    count: int
    working_minutes: int
    free_minutes: int

    @property
    def free(self) -> str:
        """«3:45»: the free time, hours and minutes."""
        return f"{self.free_minutes // 60}:{self.free_minutes % 60:02d}"


@dataclass(frozen=True)
class Day:
    day: dt.date
    in_month: bool
    owners: tuple[OwnerDay, ...]

    @property
    def count(self) -> int:
        return sum(o.count for o in self.owners)


def first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def weeks(month: dt.date) -> list[list[dt.date]]:
    """The Monday-to-Sunday weeks that cover ``month``'s days (four to six of them)."""
    first = first_of(month)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    day = first - dt.timedelta(days=first.weekday())
    out = []
    while day <= last:
        out.append([day + dt.timedelta(days=i) for i in range(7)])
        day += dt.timedelta(days=7)
    return out


def shift_month(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _merged(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _minutes(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> int:
    return int(sum((b - a).total_seconds() for a, b in spans) // 60)


def owner_day(owner: dict, day: dt.date, intervals: Sequence[tuple[dt.time, dt.time]], held: Sequence[Booking],
              tz) -> OwnerDay:
    """``owner``'s day: ``held`` are the owner's bookings (any day); ``intervals`` its working hours."""
    work = _merged((dt.datetime.combine(day, a, tz), dt.datetime.combine(day, b, tz)) for a, b in intervals if a < b)
    booked = _merged((b.starts_at, b.ends_at) for b in held)
    inside = [(max(a, c), min(b, d)) for a, b in work for c, d in booked if max(a, c) < min(b, d)]
    count = sum(1 for b in held if b.starts_at.astimezone(tz).date() == day)
    return OwnerDay(owner["id"], owner["name"], count, _minutes(work), _minutes(work) - _minutes(inside))


def month_days(month: dt.date, owners: Sequence[dict], field: str,
               intervals: dict[tuple[int, dt.date], list[tuple[dt.time, dt.time]]], bookings: Sequence[Booking],
               tz) -> list[list[Day]]:
    """The month's weeks of days; on each day the owners (``field`` of a booking names its owner:
    ``doctor_id``, ``room_id`` or ``equipment_id``) who work that day or have a booking starting then."""
    by_owner: dict[int, list[Booking]] = {}
    for b in bookings:
        key = getattr(b, field)
        if key is not None:
            by_owner.setdefault(key, []).append(b)
    first = first_of(month)
    out = []
    for week in weeks(first):
        days = []
        for day in week:
            start = dt.datetime.combine(day, dt.time(), tz)
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
            shown = []
            for owner in owners:
                held = [b for b in by_owner.get(owner["id"], []) if b.starts_at < end and b.ends_at > start]
                summary = owner_day(owner, day, intervals.get((owner["id"], day), []), held, tz)
                if summary.working_minutes or summary.count:
                    shown.append(summary)
            days.append(Day(day, (day.year, day.month) == (first.year, first.month), tuple(shown)))
        out.append(days)
    return out
