"""Free slots (свободное время врачей).

A start time ``t`` is free for a doctor on a day when ``[t, t + duration)``
lies inside one of the doctor's working intervals that day and overlaps no
posted Request. Start times step from each interval's own start by the slot
step (so an interval from 15:30 offers 15:30, 15:35, …). Everything for one
day is read in two queries and computed in one pass.

Local times are :mod:`erp.platform.local_time`'s: on a day the clock changes, a start the clock
skips is never offered, a repeated one is offered once (its first occurrence), and an
appointment's length is real minutes. On today, only starts after the current moment are offered.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import asyncpg

from erp.platform import local_time
from erp.platform.dates import checked_moment
from erp.registers.doctor_schedule import doctor_schedule

FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class DoctorSlots:
    id: int
    name: str
    intervals: list[tuple[dt.time, dt.time]]
    slots: list[str]
    duration_minutes: int | None = None  # for a service: how long this doctor performs it
    taken: dict[str, int] = field(default_factory=dict)  # a group service's begun slots: places taken


async def working_intervals(conn: asyncpg.Connection, day: dt.date,
                            doctor_id: int | None = None) -> dict[int, list[tuple[dt.time, dt.time]]]:
    filters = {"day": day} | ({"doctor_id": doctor_id} if doctor_id else {})
    rows = await doctor_schedule.slice_last(conn, FAR_FUTURE, **filters)
    out: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for r in rows:
        out.setdefault(r["doctor_id"], []).append((r["start_time"], r["end_time"]))
    for intervals in out.values():
        intervals.sort()
    return out


async def bookings(conn: asyncpg.Connection, day: dt.date, tz: ZoneInfo, doctor_ids: list[int],
                   exclude_request: int | None = None) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    start, end = day_bounds(day, tz)
    rows = await conn.fetch(
        "SELECT doctor_id, starts_at, ends_at FROM doc_requests WHERE posted AND NOT deletion_mark"
        " AND doctor_id = ANY($1::bigint[]) AND starts_at < $3 AND ends_at > $2 AND id <> $4",
        doctor_ids, start, end, exclude_request or 0)
    out: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for r in rows:
        out.setdefault(r["doctor_id"], []).append((r["starts_at"], r["ends_at"]))
    return out


def day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The real moments ``day`` begins and ends in ``tz`` (23 or 25 hours apart on a clock change)."""
    return local_time.boundary(day, dt.time(), tz), local_time.boundary(day + dt.timedelta(days=1), dt.time(), tz)


LABELS = [f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)]


def slots_for(day: dt.date, tz: ZoneInfo, intervals: list[tuple[dt.time, dt.time]],
              busy: list[tuple[dt.datetime, dt.datetime]], step: int, duration: int) -> list[str]:
    """The free start times, as "HH:MM"; pure.

    One pass in integer seconds: the Requests, merged where they touch, leave
    free gaps in each working interval, and the grid's starts that fit in a
    gap are counted out with arithmetic rather than tried one by one. Start
    times step by wall-clock minutes, as the day's grid shows them."""
    return slots_in_seconds(day, tz, intervals,
                            [(math.floor(b.timestamp()), math.ceil(e.timestamp())) for b, e in busy], step, duration)


def slots_in_seconds(day: dt.date, tz: ZoneInfo, intervals: list[tuple[dt.time, dt.time]],
                     busy: list[tuple[int, int]], step: int, duration: int) -> list[str]:
    """:func:`slots_for` with the busy spans already in epoch seconds, as the slots query reads them
    (a thousand timestamps decoded and converted back cost more than the rest of the pass)."""
    spans: list[list[int]] = []
    for b, e in sorted(busy):
        if spans and b <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], e)
        else:
            spans.append([b, e])
    length, stride = duration * 60, step * 60
    out: list[str] = []
    for start, end in intervals:
        if local_time.shifts_within(day, start, end, tz):  # the clock moves within the interval: the exact, slow way
            out += _slots_across_shift(day, tz, start, end, spans, step, duration)
            continue
        first = dt.datetime.combine(day, start, tz)
        last = dt.datetime.combine(day, end, tz)
        wall = start.hour * 3600 + start.minute * 60 + start.second
        origin = int(first.timestamp())  # the interval's first start, in absolute seconds
        stop = origin + int((last - first).total_seconds())
        gap_start = origin
        for b, e in [*spans, [stop, stop]]:
            gap_end = min(b, stop)
            if gap_end - gap_start >= length:  # starts k with gap_start <= t and t + length <= gap_end
                first_k, last_k = -(-(gap_start - origin) // stride), (gap_end - length - origin) // stride
                # the labels of starts first_k..last_k: every step-th minute from the interval's start
                out += LABELS[wall // 60 + first_k * step:wall // 60 + last_k * step + 1:step]
            gap_start = max(gap_start, e)
            if gap_start >= stop:
                break
    return out


def _slots_across_shift(day: dt.date, tz: ZoneInfo, start: dt.time, end: dt.time, spans: list[list[int]],
                        step: int, duration: int) -> list[str]:
    last = local_time.boundary(day, end, tz).timestamp()
    out = []
    for label, moment in local_time.wall_starts(day, start, end, tz, step):
        lo, hi = moment.timestamp(), moment.timestamp() + duration * 60
        if hi <= last and not any(b < hi and lo < e for b, e in spans):
            out.append(label)
    return out


async def free_slots(conn: asyncpg.Connection, day: dt.date, *, tz: ZoneInfo, step: int, duration: int,
                     doctor_id: int | None = None, now: dt.datetime | None = None,
                     service_id: int | None = None) -> list[DoctorSlots]:
    """Doctors who work on ``day`` (active ones, by name), each with their free start times;
    on today (``now``, by default the current moment) only the starts after ``now``. For a service
    (``service_id``): only its performers, each for their own duration, at times one of its rooms is
    free too, and the group slots of a group service that still have a place
    (:mod:`erp.services.service_slots`)."""
    from erp.services import service_slots

    checked_moment(day, tz, "date")  # a day that can hold a visit (422 outside 1900–9998)
    svc = await service_slots.service(conn, service_id) if service_id is not None else None
    now = now or dt.datetime.now(dt.UTC)
    past = [(0, math.floor(now.timestamp()) + 1)] if day == now.astimezone(tz).date() else []
    intervals = await working_intervals(conn, day, doctor_id)
    if svc is not None and svc.performers:
        intervals = {d: hours for d, hours in intervals.items() if d in svc.performers}
    if not intervals:
        return []
    start, end = day_bounds(day, tz)
    doctors = await conn.fetch(  # the doctors and their posted Requests that day, one round trip
        "SELECT d.id, d.name, array_remove(array_agg(floor(extract(epoch FROM r.starts_at))::bigint), NULL) AS starts,"
        " array_remove(array_agg(ceil(extract(epoch FROM r.ends_at))::bigint), NULL) AS ends"
        " FROM cat_doctors d LEFT JOIN doc_requests r ON r.doctor_id = d.id AND r.posted AND NOT r.deletion_mark"
        " AND r.starts_at < $3 AND r.ends_at > $2"
        " WHERE d.id = ANY($1::bigint[]) AND d.active AND NOT d.deletion_mark"
        " GROUP BY d.id, d.name ORDER BY d.name, d.id", list(intervals), start, end)
    if svc is None:
        return [DoctorSlots(d["id"], d["name"], intervals[d["id"]],
                            slots_in_seconds(day, tz, intervals[d["id"]],
                                             [*zip(d["starts"], d["ends"], strict=True), *past], step, duration))
                for d in doctors]
    groups = await service_slots.open_groups(conn, day, tz, svc, [d["id"] for d in doctors])
    rooms = await service_slots.rooms_on(conn, day, tz, svc.rooms) if svc.rooms else None
    out = []
    for d in doctors:
        minutes = svc.minutes(d["id"], duration)
        labels = set(slots_in_seconds(day, tz, intervals[d["id"]], [*zip(d["starts"], d["ends"], strict=True), *past],
                                      step, minutes))
        taken = {label: n for label, (a, b, n) in groups.get(d["id"], {}).items()
                 if (b - a) == dt.timedelta(minutes=minutes) and (not past or a > now)}
        labels |= {label for label, n in taken.items() if n < (svc.capacity or 1)}
        if rooms is not None:
            def room_free(label: str, doctor: int = d["id"], minutes: int = minutes) -> bool:
                starts = service_slots.slot_moment(day, label, tz)
                ends = local_time.plus(starts, minutes)
                return rooms.free(day, tz, starts, ends, svc.key(doctor, starts, ends)) is not None
            labels = {label for label in labels if room_free(label)}
        out.append(DoctorSlots(d["id"], d["name"], intervals[d["id"]], sorted(labels), minutes,
                               {label: n for label, n in taken.items() if label in labels}))
    return out


def inside_intervals(day: dt.date, tz: ZoneInfo, intervals: list[tuple[dt.time, dt.time]],
                     starts: dt.datetime, ends: dt.datetime) -> bool:
    """Whether ``[starts, ends)`` lies in one working interval of ``day``, in real time."""
    return any(local_time.boundary(day, a, tz) <= starts and ends <= local_time.boundary(day, b, tz)
               for a, b in intervals)
