"""График работы врачей: each doctor's working intervals per day, written by
WorkSchedule documents. For a doctor and day the latest posted schedule
(by date, then number) that covers the day wins; unposting it brings back
the one before."""

from erp.platform.fields import Field
from erp.platform.info_register import InformationRegister

doctor_schedule = InformationRegister(
    "doctor-schedule", periodic=True, title="График работы врачей",
    dimensions=(Field("doctor_id", "ref", "Врач", ref="doctors", required=True),
                Field("day", "date", "День", required=True)),
    resources=(Field("start_time", "time", "Начало", required=True),
               Field("end_time", "time", "Окончание", required=True)),
)
