"""Установка графиков работы: a month of doctors' working intervals.

A doctor may work several intervals a day; they must not overlap and each
must start before it ends. Posting writes the intervals into the
doctor-schedule register. Rooms and equipment keep their schedules in the
same shape (:mod:`erp.documents.resource_schedule`), with these same checks.
"""

import datetime as dt
import itertools

from erp.platform.document import Doc, DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.period_lock import PeriodClosed
from erp.registers.doctor_schedule import doctor_schedule


def prepare(header: dict, lines: list[dict], _settings, *, owner: str = "doctor_id") -> tuple[dict, list[dict]]:
    """The month starts on its 1st; each interval starts before it ends, lies in the month and overlaps
    no other interval of its ``owner`` (the doctor, or the resource) that day."""
    month: dt.date = header["month"]
    if month.day != 1:
        month = header["month"] = month.replace(day=1)
    problems: dict[str, str] = {}
    by_key: dict[tuple, list[tuple[int, dict]]] = {}
    for i, line in enumerate(lines):
        day = line["day"]
        if (day.year, day.month) != (month.year, month.month):
            problems[f"lines[{i}].day"] = f"день {day:%d.%m.%Y} вне месяца графика {month:%m.%Y}"
        if line["start"] >= line["end"]:
            problems[f"lines[{i}].end"] = "окончание должно быть позже начала"
        by_key.setdefault((line[owner], day), []).append((i, line))
    for (_, day), items in by_key.items():
        items.sort(key=lambda item: item[1]["start"])
        for (_, a), (j, b) in itertools.pairwise(items):
            if b["start"] < a["end"]:
                problems[f"lines[{j}].start"] = (
                    f"интервалы {a['start']:%H:%M}–{a['end']:%H:%M} и {b['start']:%H:%M}–{b['end']:%H:%M}"
                    f" пересекаются ({day:%d.%m.%Y})")
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Неверный график — {summary}", details={"fields": problems})
    lines.sort(key=lambda ln: (ln["day"], ln[owner], ln["start"]))
    return header, lines


def rules(old: Doc | None, new: Doc, inputs, *, owner: str = "doctor_id") -> list:
    """The period lock holds for the working hours too: what a posted schedule says about a day on or
    before the lock date cannot change (post, re-post, unpost), whatever the document's own date."""
    lock = inputs.lock
    if lock is None:
        return []

    def closed(doc: Doc | None) -> set[tuple]:
        if doc is None or not doc.posted:
            return set()
        return {(ln[owner], ln["day"], ln["start"], ln["end"]) for ln in doc.lines if ln["day"] <= lock}

    changed = closed(old) ^ closed(new)
    if not changed:
        return []
    day = min(key[1] for key in changed)
    return [PeriodClosed(f"Период закрыт: дата запрета изменения {lock:%d.%m.%Y}. "
                         f"Нельзя изменить график работы на {day:%d.%m.%Y}.",
                         details={"lock_date": lock.isoformat(), "document_date": day.isoformat()})]


def movements(doc: Doc, _inputs) -> dict:
    return {doctor_schedule: [{"doctor_id": ln["doctor_id"], "day": ln["day"], "start_time": ln["start"],
                               "end_time": ln["end"]} for ln in doc.lines]}


work_schedules = DocumentKind(
    "work-schedules", "Установка графиков работы",
    header=(
        Field("month", "date", "Месяц графика", required=True),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("doctor_id", "ref", "Врач", ref="doctors", required=True),
        Field("day", "date", "День", required=True),
        Field("start", "time", "Начало", required=True),
        Field("end", "time", "Окончание", required=True),
    ),
    registers=(doctor_schedule,), movements=movements, prepare=prepare, rules=rules, lines_title="График",
)
