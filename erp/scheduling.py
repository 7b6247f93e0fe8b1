"""Free slots (свободное время врачей).

A start time ``t`` is free for a doctor on a day when ``[t, t + duration)``
lies inside one of the doctor's working intervals that day and overlaps no
posted Request. Start times step from each interval's own start by the slot
step (so an interval from 15:30 offers 15:30, 15:35, …). Everything for one
day is read in two queries and computed in one pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import asyncpg

from erp.registers.doctor_schedule import doctor_schedule

FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class DoctorSlots:
    id: int
    name: str
    intervals: list[tuple[dt.time, dt.time]]
    slots: list[str]


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
    start = dt.datetime.combine(day, dt.time(), tz)
    end = start + dt.timedelta(days=1)
    rows = await conn.fetch(
        "SELECT doctor_id, starts_at, ends_at FROM doc_requests WHERE posted AND NOT deletion_mark"
        " AND doctor_id = ANY($1::bigint[]) AND starts_at < $3 AND ends_at > $2 AND id <> $4",
        doctor_ids, start, end, exclude_request or 0)
    out: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for r in rows:
        out.setdefault(r["doctor_id"], []).append((r["starts_at"], r["ends_at"]))
    return out


def slots_for(day: dt.date, tz: ZoneInfo, intervals: list[tuple[dt.time, dt.time]],
              busy: list[tuple[dt.datetime, dt.datetime]], step: int, duration: int) -> list[str]:
    """The free start times, as "HH:MM"; pure."""
    length = dt.timedelta(minutes=duration)
    stride = dt.timedelta(minutes=step)
    busy = sorted(busy)
    out: list[str] = []
    for start, end in intervals:
        t = dt.datetime.combine(day, start, tz)
        stop = dt.datetime.combine(day, end, tz)
        while t + length <= stop:
            if not any(b_start < t + length and t < b_end for b_start, b_end in busy):
                out.append(t.strftime("%H:%M"))
            t += stride
    return out


async def free_slots(conn: asyncpg.Connection, day: dt.date, *, tz: ZoneInfo, step: int, duration: int,
                     doctor_id: int | None = None) -> list[DoctorSlots]:
    """Doctors who work on ``day`` (active ones, by name), each with their free start times."""
    intervals = await working_intervals(conn, day, doctor_id)
    if not intervals:
        return []
    doctors = await conn.fetch(
        "SELECT id, name FROM cat_doctors WHERE id = ANY($1::bigint[]) AND active AND NOT deletion_mark"
        " ORDER BY name, id", list(intervals))
    busy = await bookings(conn, day, tz, [d["id"] for d in doctors])
    return [DoctorSlots(d["id"], d["name"], intervals[d["id"]],
                        slots_for(day, tz, intervals[d["id"]], busy.get(d["id"], []), step, duration))
            for d in doctors]


def inside_intervals(day: dt.date, tz: ZoneInfo, intervals: list[tuple[dt.time, dt.time]],
                     starts: dt.datetime, ends: dt.datetime) -> bool:
    return any(dt.datetime.combine(day, a, tz) <= starts and ends <= dt.datetime.combine(day, b, tz)
               for a, b in intervals)
