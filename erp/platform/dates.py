"""Reading dates and moments from input: the one place that decides what a
date is.

- A day is an ISO ``ГГГГ-ММ-ДД`` string (or a ``date``) from 01.01.1900 to
  31.12.9999. A number is never a date: ``20261205`` is refused, not read as
  a Unix time.
- A moment is an ISO 8601 string (or a ``datetime``) from 02.01.1900 to
  31.12.9998 (a month either side stays in the calendar for the registers);
  without an offset it is read in the given time zone. Fractional seconds are dropped (truncated):
  documents and visits are kept to the second, so ``09:05:00.999`` is
  ``09:05:00`` on every path.
- Arithmetic at the edges (the day after 31.12.9999, a month before
  01.1900) is a refusal, not an ``OverflowError``.

Every failure is a :class:`ValueError` subclass with a Russian message
(:class:`DateError`); callers name the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from .errors import ValidationError
from .local_time import localize

# the extended ISO form only: "20261205" (the basic form) is as much a number as 20261205
_EXTENDED = re.compile(r"^\d{4}-\d{2}-\d{2}(?:$|[T ])")
MIN_DAY = dt.date(1900, 1, 1)
MAX_DAY = dt.date(9999, 12, 31)
# Moments (document dates, visit starts, register query points) keep a month either side, so that
# month arithmetic of the registers never leaves the calendar.
MIN_MOMENT = dt.datetime(1900, 1, 2, tzinfo=dt.UTC)
MAX_MOMENT = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
RANGE_TEXT = "дата вне допустимого диапазона (01.01.1900–31.12.9999)"
MOMENT_RANGE_TEXT = "дата вне допустимого диапазона (02.01.1900–31.12.9998)"
DAY_TEXT = "ожидается дата ГГГГ-ММ-ДД"
MOMENT_TEXT = "ожидается дата и время ISO 8601"


class DateError(ValueError):
    """A value is not a date (or moment) the system accepts; the message is Russian."""


def check_day(day: dt.date) -> dt.date:
    """``day`` itself, or DateError when it lies outside 1900–9999."""
    plain = day.date() if isinstance(day, dt.datetime) else day
    if not MIN_DAY <= plain <= MAX_DAY:
        raise DateError(RANGE_TEXT)
    return day


def read_day(raw: Any) -> dt.date:
    """A calendar day from an ISO string or a ``date`` (not a number, not a moment)."""
    if isinstance(raw, dt.datetime):
        raise DateError(DAY_TEXT)
    if isinstance(raw, dt.date):
        return check_day(raw)
    if not isinstance(raw, str):
        raise DateError(DAY_TEXT)
    text = raw.strip()
    if len(text) != 10 or not _EXTENDED.match(text):
        raise DateError(DAY_TEXT)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise DateError(DAY_TEXT) from None
    return check_day(day)


def read_moment(raw: Any, tz: ZoneInfo | None = None, field: str = "date") -> dt.datetime:
    """A moment from an ISO string, a ``datetime`` or a ``date`` (its midnight).

    Without an offset the moment is read in ``tz``; with ``tz=None`` it stays
    naive (the caller localises it). Fractional seconds are truncated."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime.combine(raw, dt.time())
    elif isinstance(raw, str):
        if not _EXTENDED.match(raw.strip()):
            raise DateError(MOMENT_TEXT)
        try:
            value = dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            raise DateError(MOMENT_TEXT) from None
    else:
        raise DateError(MOMENT_TEXT)
    check_day(value)
    value = value.replace(microsecond=0)
    if value.tzinfo is None and tz is not None:
        value = localize(value, tz, field)  # a wall time the clock skips: NonexistentLocalTime (422)
    probe = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    # 02.01.1900 on the wall clock is in range whatever the offset (the message promises it); the UTC
    # floor a day earlier keeps every moment a whole day inside what PostgreSQL and Python can shift.
    if value.date() < MIN_MOMENT.date() or not MIN_MOMENT - dt.timedelta(days=1) <= probe < MAX_MOMENT:
        raise DateError(MOMENT_RANGE_TEXT)
    return value


def shift_days(day: dt.date, days: int) -> dt.date:
    """``day + days``, refused (not an OverflowError) beyond 1900–9999."""
    try:
        return check_day(day + dt.timedelta(days=days))
    except OverflowError:
        raise DateError(RANGE_TEXT) from None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), clipped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not MIN_DAY.year <= year <= MAX_DAY.year:
        raise DateError(RANGE_TEXT)
    last = 31 if month == 11 else (dt.date(year, month + 2, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last))


def day_bounds(start: dt.date | None, end: dt.date | None, tz: dt.tzinfo,
               names: tuple[str, str] = ("start", "end")) -> tuple[dt.datetime | None, dt.datetime | None]:
    """A period of whole days as moments ``[from, to)`` in ``tz``: ``to`` is the
    start of the day after ``end``, or ``None`` (open) after 31.12.9999.
    A day outside 1900–9999 is a ValidationError naming its parameter."""
    for name, day in zip(names, (start, end), strict=True):
        if day is not None:
            checked_day(day, name)
    lower = dt.datetime.combine(start, dt.time(), tz) if start is not None else None
    upper = None
    if end is not None and end < MAX_DAY:
        upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    return lower, upper


def checked_day(day: dt.date, name: str) -> dt.date:
    """``day`` (already a date, e.g. a query parameter), or a ValidationError naming ``name``."""
    try:
        return check_day(day)
    except DateError as exc:
        raise ValidationError.field(name, str(exc)) from None


def checked_moment(raw: Any, tz: ZoneInfo | None, name: str) -> dt.datetime:
    """:func:`read_moment`, or a ValidationError naming ``name``."""
    try:
        return read_moment(raw, tz, name)
    except DateError as exc:
        raise ValidationError.field(name, str(exc)) from None
