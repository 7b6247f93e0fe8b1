"""Установка графиков работы ресурсов: a month of working intervals of rooms and equipment, the
same document as the doctors' «Установка графиков работы» with a resource in each line (the same
checks: intervals inside the month, each starting before it ends, none overlapping another of the
same resource that day, the period lock). Posting writes the resource-schedule register; a
resource marked «Всегда доступен» needs none."""

import functools

from erp.documents import work_schedule
from erp.platform.document import Doc, DocumentKind
from erp.platform.fields import Field
from erp.registers.resource_schedule import resource_schedule

OWNER = "resource_id"


def movements(doc: Doc, _inputs) -> dict:
    return {resource_schedule: [{"resource_id": ln[OWNER], "day": ln["day"], "start_time": ln["start"],
                                 "end_time": ln["end"]} for ln in doc.lines]}


resource_schedules = DocumentKind(
    "resource-schedules", "Установка графиков работы ресурсов",
    header=(
        Field("month", "date", "Месяц графика", required=True),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field(OWNER, "ref", "Ресурс", ref="resources", required=True),
        Field("day", "date", "День", required=True),
        Field("start", "time", "Начало", required=True),
        Field("end", "time", "Окончание", required=True),
    ),
    registers=(resource_schedule,), movements=movements,
    prepare=functools.partial(work_schedule.prepare, owner=OWNER),
    rules=functools.partial(work_schedule.rules, owner=OWNER), lines_title="График",
)
