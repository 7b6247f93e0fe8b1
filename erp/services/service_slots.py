"""Free slots for a service (issue 18, points 9 and 10).

A service may list its performers («Исполнители услуги», each with their own duration) and its rooms
(«Кабинеты услуги»). Its free slots are those of its performers only — each as long as that doctor
performs it —, and only at times when one of its rooms is free too (working, and held by no posted
Request). A service without performers is performed by any doctor; without rooms, anywhere.

A group service (with «Мест в группе») also offers the group slots already begun that still have a
place: the doctor's time is taken there, but a client may join the group (``taken`` says how many
places are gone, so the widget shows «3/8»).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import asyncpg

from erp.platform import local_time
from erp.platform.errors import ValidationError
from erp.registers.resource_schedule import resource_schedule
from erp.services.scheduling import FAR_FUTURE, day_bounds, inside_intervals


@dataclass(frozen=True)
class Service:
    id: int
    name: str
    duration: int | None
    capacity: int | None  # places of a group service; None: one client at a time
    performers: dict[int, int | None]  # doctor -> their own duration (None: the service's)
    rooms: tuple[int, ...]

    def minutes(self, doctor: int, default: int) -> int:
        return self.performers.get(doctor) or self.duration or default

    def key(self, doctor: int, starts: dt.datetime, ends: dt.datetime) -> str | None:
        """The group slot key (as :func:`erp.documents.request.group_key` writes it)."""
        if self.capacity is None:
            return None
        a, b = (m.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S") for m in (starts, ends))
        return f"{self.id}/{doctor}/{a}/{b}"


async def service(conn: asyncpg.Connection, service_id: int) -> Service:
    """The service with its links; 422 on ``service_id`` when it is not a service."""
    row = await conn.fetchrow(
        "SELECT n.id, n.name, n.duration_minutes, n.group_capacity,"
        " ARRAY(SELECT ROW(p.doctor_id, p.duration_minutes) FROM cat_nomenclature_performers p"
        "   WHERE p.owner_id = n.id ORDER BY p.line_no) AS performers,"
        " ARRAY(SELECT r.room_id FROM cat_nomenclature_rooms r WHERE r.owner_id = n.id AND r.room_id IS NOT NULL"
        "   ORDER BY r.line_no) AS rooms"
        " FROM cat_nomenclature n WHERE n.id = $1 AND n.kind = 'service' AND NOT n.deletion_mark", service_id)
    if row is None:
        raise ValidationError.field("service_id", "услуга не найдена: выберите услугу из списка")
    return Service(row["id"], row["name"], row["duration_minutes"], row["group_capacity"],
                   {d: m for d, m in row["performers"]}, tuple(row["rooms"]))


@dataclass
class Rooms:
    """The service's rooms on one day: their working intervals (None: always available) and bookings."""

    intervals: dict[int, list[tuple[dt.time, dt.time]] | None]
    bookings: dict[int, list[tuple[dt.datetime, dt.datetime, str | None]]] = field(default_factory=dict)

    def free(self, day: dt.date, tz: ZoneInfo, starts: dt.datetime, ends: dt.datetime,
             key: str | None) -> int | None:
        """A room that is free for ``[starts, ends)`` (a booking of the same group slot ``key`` does not
        hold it: the group meets there), preferring the one the group already meets in."""
        for room in sorted(self.intervals, key=lambda r: not any(k == key and key for *_s, k in
                                                                  self.bookings.get(r, ()))):
            hours = self.intervals[room]
            if hours is not None and not inside_intervals(day, tz, hours, starts, ends):
                continue
            if any(b < ends and starts < e and (key is None or k != key) for b, e, k in self.bookings.get(room, ())):
                continue
            return room
        return None


async def rooms_on(conn: asyncpg.Connection, day: dt.date, tz: ZoneInfo, rooms: tuple[int, ...]) -> Rooms:
    found = await conn.fetch("SELECT id, always_available FROM cat_resources"
                             " WHERE id = ANY($1::bigint[]) AND NOT deletion_mark AND kind = 'room'", list(rooms))
    out = Rooms({r["id"]: None if r["always_available"] else [] for r in found})
    scheduled = [r for r, hours in out.intervals.items() if hours is not None]
    for room in scheduled:
        rows = await resource_schedule.slice_last(conn, FAR_FUTURE, day=day, resource_id=room)
        out.intervals[room] = sorted((r["start_time"], r["end_time"]) for r in rows)
    start, end = day_bounds(day, tz)
    for r in await conn.fetch(
            "SELECT room_id, starts_at, ends_at, group_key FROM doc_requests WHERE posted AND NOT deletion_mark"
            " AND room_id = ANY($1::bigint[]) AND starts_at < $3 AND ends_at > $2", list(out.intervals), start, end):
        out.bookings.setdefault(r["room_id"], []).append((r["starts_at"], r["ends_at"], r["group_key"]))
    return out


async def open_groups(conn: asyncpg.Connection, day: dt.date, tz: ZoneInfo, svc: Service,
                      doctors: list[int]) -> dict[int, dict[str, tuple[dt.datetime, dt.datetime, int]]]:
    """The group slots of ``svc`` that day per doctor: ``{doctor: {"HH:MM": (starts, ends, taken)}}``."""
    if svc.capacity is None:
        return {}
    start, end = day_bounds(day, tz)
    rows = await conn.fetch(
        "SELECT doctor_id, starts_at, ends_at, count(*) AS taken FROM doc_requests"
        " WHERE posted AND NOT deletion_mark AND starts_with(group_key, $1) AND doctor_id = ANY($2::bigint[])"
        " AND starts_at >= $3 AND starts_at < $4 GROUP BY doctor_id, starts_at, ends_at",
        f"{svc.id}/", doctors, start, end)
    out: dict[int, dict[str, tuple[dt.datetime, dt.datetime, int]]] = {}
    for r in rows:
        out.setdefault(r["doctor_id"], {})[f"{r['starts_at'].astimezone(tz):%H:%M}"] = (
            r["starts_at"], r["ends_at"], r["taken"])
    return out


def slot_moment(day: dt.date, label: str, tz: ZoneInfo) -> dt.datetime:
    hours, minutes = label.split(":")
    return local_time.at(day, dt.time(int(hours), int(minutes)), tz)
