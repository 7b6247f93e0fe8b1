"""Local wall-clock times in the configured zone (ERP_TIMEZONE), done in absolute time.

Python adds a timedelta to an aware datetime on the wall clock, and compares two datetimes of one
``ZoneInfo`` by their wall clock too; across a daylight-saving change both are wrong. So every
local time the product reads or steps goes through here:

* :func:`localize` reads a wall time in the zone. A time the clock skips (in Europe/Berlin,
  28.03.2027 02:00–02:59) is refused with :class:`NonexistentLocalTime` (422,
  ``nonexistent_local_time``). A time the clock shows twice (31.10.2027 02:00–02:59) is the first
  of the two, before the clock goes back (``fold=0``, PEP 495): 02:30 is 00:30 UTC.
* :func:`plus` adds real minutes: ``starts_at + 90 min`` is 90 minutes later in UTC, whatever the
  wall clock does meanwhile.
* :func:`boundary` is the moment a wall time of a day begins, for the bounds of working intervals
  (a bound the clock skips is the moment the clock jumps).
* :func:`wall_starts` steps a day's wall clock (08:00, 08:05, …) and gives each start that exists
  with its moment; a repeated time is given once, as its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from .errors import ValidationError

UTC = dt.UTC


class NonexistentLocalTime(ValidationError):
    code = "nonexistent_local_time"


def exists(naive: dt.datetime, tz: ZoneInfo) -> bool:
    """Whether the wall clock in ``tz`` ever shows ``naive``."""
    aware = naive.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive.replace(fold=0)


def nonexistent(naive: dt.datetime, tz: ZoneInfo, field: str) -> NonexistentLocalTime:
    message = (f"время {naive:%d.%m.%Y %H:%M} не существует в часовом поясе {tz.key}: "
               f"в эту ночь часы переводятся вперёд; выберите другое время")
    return NonexistentLocalTime(f"{field}: {message}", details={"fields": {field: message}})


def localize(value: dt.datetime, tz: ZoneInfo, field: str = "starts_at") -> dt.datetime:
    """``value`` as an aware moment: a naive one is read on ``tz``'s wall clock (a repeated time is
    its first occurrence; a skipped one raises :class:`NonexistentLocalTime`); an aware one is kept."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    naive = value.replace(tzinfo=None, fold=0)
    if not exists(naive, tz):
        raise nonexistent(naive, tz, field)
    return naive.replace(tzinfo=tz)


def at(day: dt.date, time: dt.time, tz: ZoneInfo, field: str = "time") -> dt.datetime:
    """The moment ``time`` on ``day`` in ``tz`` (see :func:`localize`)."""
    return localize(dt.datetime.combine(day, time), tz, field)


def plus(moment: dt.datetime, minutes: int | float) -> dt.datetime:
    """``moment`` plus real minutes, in UTC (aware arithmetic on a ZoneInfo is wall-clock arithmetic)."""
    return moment.astimezone(UTC) + dt.timedelta(minutes=minutes)


def boundary(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The moment (UTC) the wall time ``time`` of ``day`` begins; one the clock skips is the moment
    the clock jumps over it."""
    naive = dt.datetime.combine(day, time)
    later = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)  # skipped: read with the offset before the jump
    if exists(naive, tz):
        return later
    earlier = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)  # ... and with the offset after it
    while later - earlier > dt.timedelta(seconds=1):  # the jump lies between: find it
        middle = earlier + (later - earlier) / 2
        if middle.astimezone(tz).utcoffset() == earlier.astimezone(tz).utcoffset():
            earlier = middle
        else:
            later = middle
    return later.replace(microsecond=0)


def wall_starts(day: dt.date, start: dt.time, end: dt.time, tz: ZoneInfo,
                step: int) -> list[tuple[str, dt.datetime]]:
    """``("HH:MM", moment in UTC)`` for the wall times ``start``, ``start + step``, … before ``end``
    on ``day`` that the clock in ``tz`` shows."""
    out, t = [], dt.datetime.combine(day, start)
    stop = dt.datetime.combine(day, end)
    while t < stop:
        if exists(t, tz):
            out.append((f"{t:%H:%M}", t.replace(tzinfo=tz).astimezone(UTC)))
        t += dt.timedelta(minutes=step)
    return out


@functools.lru_cache(maxsize=4096)
def _clock_may_change(day: dt.date, tz: ZoneInfo) -> bool:
    """Whether ``tz``'s offset may change on ``day`` (checked widely: from 14 hours before the day
    begins in UTC to 14 hours after it ends, so every zone's day is covered)."""
    first = dt.datetime.combine(day, dt.time(), UTC) - dt.timedelta(hours=14)
    return first.astimezone(tz).utcoffset() != (first + dt.timedelta(hours=52)).astimezone(tz).utcoffset()


def shifts_within(day: dt.date, start: dt.time, end: dt.time, tz: ZoneInfo) -> bool:
    """Whether the wall clock between ``start`` and ``end`` on ``day`` is not plain real time
    (the offset changes, or ``start`` is skipped)."""
    if not _clock_may_change(day, tz):  # most days: one lookup
        return False
    first, last = boundary(day, start, tz), boundary(day, end, tz)
    wall = dt.datetime.combine(day, end) - dt.datetime.combine(day, start)
    return last - first != wall or not exists(dt.datetime.combine(day, start), tz)
