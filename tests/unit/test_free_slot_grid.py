"""Free start times computed in one pass give exactly the times a doctor's
grid shows when every start is tried against every Request, DST days included:
a start the clock skips is never offered, and an appointment lasts real minutes."""

import datetime as dt
import functools
import random
from zoneinfo import ZoneInfo

from erp.services.scheduling import slots_for


@functools.cache
def _clock(day: dt.date, tz: ZoneInfo) -> dict[dt.datetime, dt.datetime]:
    """Each wall time the clock shows around ``day`` -> the first UTC minute it shows it."""
    first_seen: dict[dt.datetime, dt.datetime] = {}
    t = dt.datetime.combine(day, dt.time(), dt.UTC) - dt.timedelta(hours=15)
    while t < dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(hours=39):
        first_seen.setdefault(t.astimezone(tz).replace(tzinfo=None), t)
        t += dt.timedelta(minutes=1)
    return first_seen


def tried_one_by_one(day, tz, intervals, busy, step, duration) -> list[str]:
    """The oracle, in real time: every minute of the day in UTC, read on the local clock, says which
    wall times exist and when each first begins (a repeated one: its first occurrence); a start is
    free when ``duration`` real minutes from it end by the interval's end and overlap no Request."""
    first_seen = _clock(day, tz)

    def begins(wall: dt.datetime) -> dt.datetime:  # a wall time, or the first one after it the clock shows
        return min(m for w, m in first_seen.items() if w >= wall)

    length, out = dt.timedelta(minutes=duration), []
    for start, end in intervals:
        wall, stop = dt.datetime.combine(day, start), begins(dt.datetime.combine(day, end))
        while wall < dt.datetime.combine(day, end):
            t = first_seen.get(wall)
            if t is not None and t + length <= stop and not any(b < t + length and t < e for b, e in busy):
                out.append(wall.strftime("%H:%M"))
            wall += dt.timedelta(minutes=step)
    return out


def test_one_pass_matches_trying_every_start():
    rnd = random.Random(2021)
    for zone in ("Europe/Moscow", "Europe/Berlin", "America/New_York"):
        tz = ZoneInfo(zone)
        for day in (dt.date(2021, 12, 22), dt.date(2024, 3, 31), dt.date(2024, 10, 27), dt.date(2024, 11, 3)):
            for _ in range(40):
                a = rnd.randrange(0, 20 * 60)
                b = min(rnd.randrange(a + 5, 24 * 60), 23 * 60 + 59)
                intervals = [(dt.time(a // 60, a % 60), dt.time(b // 60, b % 60))]
                busy = []
                for _ in range(rnd.randrange(0, 8)):  # as the database returns them: UTC, any second
                    s = (dt.datetime.combine(day, dt.time(), tz) + dt.timedelta(
                        seconds=rnd.randrange(86400), microseconds=rnd.choice([0, 1, 500_000]))).astimezone(dt.UTC)
                    busy.append((s, s + dt.timedelta(seconds=rnd.randrange(60, 7200))))
                step, duration = rnd.choice([5, 10, 15, 30]), rnd.choice([5, 20, 30, 40, 60])
                assert slots_for(day, tz, intervals, busy, step, duration) == \
                    tried_one_by_one(day, tz, intervals, busy, step, duration)


def test_seed_day_with_a_request_at_nine_oh_five():
    """Seed 001: Ефимова Е.В. works 08:15–13:00 on 22.12.2021; a Request at 09:05 for 30
    minutes removes exactly the starts from 08:40 to 09:30."""
    tz = ZoneInfo("Europe/Moscow")
    day = dt.date(2021, 12, 22)
    booked = dt.datetime(2021, 12, 22, 9, 5, tzinfo=tz).astimezone(dt.UTC)
    free = slots_for(day, tz, [(dt.time(8, 15), dt.time(13, 0))], [(booked, booked + dt.timedelta(minutes=30))], 5, 30)
    assert free[:6] == ["08:15", "08:20", "08:25", "08:30", "08:35", "09:35"]
    assert free[-1] == "12:30"
