"""The month grid of a WorkSchedule (Установка графиков работы), pure.

Days run down, doctors across, as in the seed's form. A cell holds that
doctor's intervals of that day as text, "08:15 - 13:00, 15:30 - 20:00", so
a cell may hold several. :func:`lines_of` turns the grid into the
document's lines (remembering which cell each line came from, for errors);
:func:`fill_template` and :func:`copy_previous` are the form's two helpers.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from erp.platform.dates import DateError, add_months, read_day

_INTERVAL = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})\s*$")
Interval = tuple[dt.time, dt.time]


@dataclass
class Grid:
    month: dt.date
    doctors: list[dict]  # {"id", "name"}
    cells: dict[tuple[int, dt.date], str] = field(default_factory=dict)
    errors: dict[tuple[int, dt.date], str] = field(default_factory=dict)

    @property
    def days(self) -> list[dt.date]:
        return month_days(self.month)

    def key(self, doctor_id: int, day: dt.date) -> str:
        return f"cell-{doctor_id}-{day.isoformat()}"


def month_days(month: dt.date) -> list[dt.date]:
    first = month.replace(day=1)
    return [first.replace(day=d) for d in range(1, calendar.monthrange(first.year, first.month)[1] + 1)]


def month_of(raw: str | None, fallback: dt.date) -> dt.date:
    """``"2021-12"`` or ``"2021-12-01"`` → the first day of that month."""
    if raw:
        try:
            month = read_day(raw[:7] + "-01")
            add_months(month, -1), add_months(month, 1)  # the links to the months around it exist
            return month
        except DateError:
            pass
    return fallback.replace(day=1)


def text_of(intervals: Iterable[Interval]) -> str:
    return ", ".join(f"{a:%H:%M} - {b:%H:%M}" for a, b in sorted(intervals))


def parse_cell(text: str) -> list[Interval]:
    """``"08:15-13:00; 15:30 - 20:00"`` → intervals; raise ValueError with a Russian message."""
    out = []
    for part in re.split(r"[,;\n]+", text or ""):
        if not part.strip():
            continue
        m = _INTERVAL.match(part)
        if not m:
            raise ValueError(f"«{part.strip()}»: ожидается интервал ЧЧ:ММ - ЧЧ:ММ")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        try:
            start, end = dt.time(h1, m1), dt.time(h2, m2)
        except ValueError:
            raise ValueError(f"«{part.strip()}»: неверное время") from None
        out.append((start, end))
    return out


def grid_from_lines(month: dt.date, doctors: list[dict], lines: Iterable[Mapping]) -> Grid:
    by_cell: dict[tuple[int, dt.date], list[Interval]] = {}
    for line in lines:
        by_cell.setdefault((line["doctor_id"], line["day"]), []).append((line["start"], line["end"]))
    return Grid(month, doctors, {key: text_of(v) for key, v in by_cell.items()})


def grid_from_form(month: dt.date, doctors: list[dict], form: Mapping[str, str]) -> Grid:
    grid = Grid(month, doctors)
    for d in doctors:
        for day in grid.days:
            text = str(form.get(grid.key(d["id"], day), "")).strip()
            if text:
                grid.cells[(d["id"], day)] = text
    return grid


def lines_of(grid: Grid) -> tuple[list[dict], list[tuple[int, dt.date]]]:
    """The document's lines and, for each, its cell; unreadable cells go to ``grid.errors``."""
    lines, origins = [], []
    for (doctor_id, day), text in sorted(grid.cells.items(), key=lambda i: (i[0][1], i[0][0])):
        try:
            intervals = parse_cell(text)
        except ValueError as exc:
            grid.errors[(doctor_id, day)] = str(exc)
            continue
        for start, end in intervals:
            lines.append({"doctor_id": doctor_id, "day": day, "start": start, "end": end})
            origins.append((doctor_id, day))
    return lines, origins


def fill_template(grid: Grid, doctor_ids: Iterable[int], weekdays: Iterable[int], start: dt.time,
                  end: dt.time) -> Grid:
    """"Заполнить по шаблону": the chosen weekdays (0 = Monday) of the chosen
    doctors get ``start``–``end``; other cells stay as they are."""
    chosen, days = set(doctor_ids), set(weekdays)
    text = text_of([(start, end)])
    for d in grid.doctors:
        if d["id"] in chosen:
            for day in grid.days:
                if day.weekday() in days:
                    grid.cells[(d["id"], day)] = text
    return grid


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def source_day(day: dt.date) -> dt.date:
    """The same weekday of the same week in the month before: four weeks back,
    or five when four weeks back is still this month."""
    back = day - dt.timedelta(weeks=4)
    return back if back.month != day.month else day - dt.timedelta(weeks=5)


def copy_previous(grid: Grid, schedule: Mapping[tuple[int, dt.date], list[Interval]]) -> Grid:
    """"Скопировать из прошлого месяца": each day takes the intervals of the same
    weekday in the previous month (``schedule`` is that month's, by doctor and day)."""
    for d in grid.doctors:
        for day in grid.days:
            intervals = schedule.get((d["id"], source_day(day)), [])
            if intervals:
                grid.cells[(d["id"], day)] = text_of(intervals)
            else:
                grid.cells.pop((d["id"], day), None)
    return grid
