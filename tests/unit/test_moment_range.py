"""The range of moments the system accepts is the one its message names, 02.01.1900–31.12.9998 on the
clinic's wall clock, whatever the clinic's offset from UTC."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from erp.platform.dates import MOMENT_RANGE_TEXT, DateError, read_moment

ZONES = [ZoneInfo("Europe/Moscow"), ZoneInfo("Asia/Kamchatka"), ZoneInfo("America/New_York"), None]


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_the_first_and_last_days_the_message_names_are_accepted(tz):
    assert read_moment("1900-01-02T00:00:00", tz).date() == dt.date(1900, 1, 2)
    assert read_moment("1900-01-02", tz).date() == dt.date(1900, 1, 2)
    assert read_moment("9998-12-31T12:00:00", tz).date() == dt.date(9998, 12, 31)


@pytest.mark.parametrize("tz", ZONES, ids=str)
@pytest.mark.parametrize("raw", ["1900-01-01T23:59:59", "1900-01-01", "9999-01-01T12:00:00", "9999-12-31"])
def test_a_day_outside_is_refused_with_the_range(tz, raw):
    with pytest.raises(DateError) as refused:
        read_moment(raw, tz)
    assert str(refused.value) == MOMENT_RANGE_TEXT


def test_an_explicit_offset_is_judged_by_its_own_wall_clock():
    assert read_moment("1900-01-02T00:00:00+14:00").date() == dt.date(1900, 1, 2)
    with pytest.raises(DateError):
        read_moment("1900-01-01T23:00:00-12:00")
