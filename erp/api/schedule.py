"""``GET /api/schedule/slots``: who works on a day and their free start times; with ``service_id``,
the service's performers only, each for their own duration, when one of its rooms is free too
(:mod:`erp.services.service_slots`)."""

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Request, get
from litestar.params import Parameter

from erp.api.schemas import OptionalId
from erp.api.security import ANY_USER
from erp.services.preferences import effective_settings
from erp.services.scheduling import free_slots


class DoctorFreeTime(msgspec.Struct):
    id: int
    name: str
    slots: list[str]
    intervals: list[list[str]]
    duration_minutes: int | None = None  # for a service: this doctor's duration of it
    taken: dict[str, int] = msgspec.field(default_factory=dict)  # a group service's begun slots: places taken


class FreeSlots(msgspec.Struct):
    date: dt.date
    step_minutes: int
    duration_minutes: int
    doctors: list[DoctorFreeTime]


async def slots_for_day(request: Request, day: dt.date, doctor_id: int | None,
                        duration: int | None, service_id: int | None = None) -> FreeSlots:
    async with request.app.state.pool.acquire() as conn:
        settings = await effective_settings(conn, request.app.state.settings)
        minutes = duration or settings.default_appointment_minutes
        doctors = await free_slots(conn, day, tz=settings.tz, step=settings.slot_step_minutes,
                                   duration=minutes, doctor_id=doctor_id, service_id=service_id)
    return FreeSlots(date=day, step_minutes=settings.slot_step_minutes, duration_minutes=minutes,
                     doctors=[DoctorFreeTime(d.id, d.name, d.slots,
                                             [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in d.intervals],
                                             d.duration_minutes, d.taken)
                              for d in doctors])


@get("/api/schedule/slots", guards=[ANY_USER], tags=["Расписание"], summary="Свободное время врачей на дату")
async def slots(request: Request, date: dt.date,
                doctor_id: OptionalId = None,
                duration: Annotated[int | None, Parameter(ge=1, le=1440)] = None,
                service_id: OptionalId = None) -> FreeSlots:
    return await slots_for_day(request, date, doctor_id, duration, service_id)


ROUTES = [slots]
