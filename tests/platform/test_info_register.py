"""Регистр сведений: a recorder's set replaces its previous one, and the срез
последних returns every record of the latest set per key."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.platform.conftest import at, install, make_schedule

DAY = dt.date(2024, 3, 4)


def hours(rows) -> list[tuple]:
    return [(r["doctor_id"], r["start"].hour, r["end"].hour) for r in rows]


def interval(start: int, end: int, doctor_id: int = 1, day: dt.date = DAY, **more) -> dict:
    return {"doctor_id": doctor_id, "day": day, "start": dt.time(start), "end": dt.time(end), **more}


@pytest.fixture
async def schedule(db):
    reg = make_schedule()
    await install(db, reg)
    return reg


async def test_the_latest_schedule_wins_and_unposting_brings_back_the_previous(db, schedule):
    await schedule.write_records(db, "schedule", 1, [interval(9, 12), interval(13, 18), interval(10, 14, 2)],
                                 period=at(2024, 3, 1))
    await schedule.write_records(db, "schedule", 2, [interval(15, 20)], period=at(2024, 3, 3))

    assert hours(await schedule.slice_last(db, at(2024, 3, 2), day=DAY)) == [(1, 9, 12), (1, 13, 18), (2, 10, 14)]
    now = await schedule.slice_last(db, at(2024, 3, 10), day=DAY)
    assert hours(now) == [(1, 15, 20), (2, 10, 14)]
    assert (now[0]["recorder_kind"], now[0]["recorder_id"], now[0]["period"]) == ("schedule", 2, at(2024, 3, 3))
    # A set written exactly at the moment counts.
    assert hours(await schedule.slice_last(db, at(2024, 3, 3), doctor_id=1)) == [(1, 15, 20)]
    assert await schedule.slice_last(db, at(2024, 2, 1)) == []

    await schedule.write_records(db, "schedule", 2, [], period=at(2024, 3, 3))  # unposted
    assert hours(await schedule.slice_last(db, at(2024, 3, 10), doctor_id=[1])) == [(1, 9, 12), (1, 13, 18)]


async def test_re_posting_replaces_the_set_and_order_key_breaks_ties(db, schedule):
    await schedule.write_records(db, "schedule", 1, [interval(9, 12)], period=at(2024, 3, 1), order_key=1)
    await schedule.write_records(db, "schedule", 7, [interval(8, 9), interval(10, 11)], period=at(2024, 3, 1),
                                 order_key=2)
    assert hours(await schedule.slice_last(db, at(2024, 3, 5))) == [(1, 8, 9), (1, 10, 11)]
    # The document with the lower number is re-posted with a later date: now it wins.
    await schedule.write_records(db, "schedule", 1, [interval(12, 16, room="5")], period=at(2024, 3, 2),
                                 order_key=1)
    rows = await schedule.slice_last(db, at(2024, 3, 5))
    assert hours(rows) == [(1, 12, 16)] and rows[0]["room"] == "5"
    assert await db.fetchval(f"SELECT count(*) FROM {schedule.table} WHERE recorder_id = 1") == 1


async def test_independent_records_and_non_periodic_registers(db, schedule):
    await schedule.write_independent(db, {"doctor_id": 3, "day": DAY}, [interval(9, 10)], period=at(2024, 1, 1))
    await schedule.write_independent(db, {"doctor_id": 3, "day": DAY},
                                     [{"start": dt.time(11), "end": dt.time(12)}], period=at(2024, 1, 1))
    assert hours(await schedule.slice_last(db, at(2024, 2, 1))) == [(3, 11, 12)]
    await schedule.write_records(db, "schedule", 1, [interval(14, 15, 3)], period=at(2024, 1, 1))
    assert hours(await schedule.slice_last(db, at(2024, 2, 1))) == [(3, 14, 15)]

    rooms = make_schedule(periodic=False)
    await install(db, rooms)
    await rooms.write_records(db, "plan", 1, [interval(9, 10)])
    await rooms.write_records(db, "plan", 2, [interval(11, 12), interval(12, 13)])
    assert hours(await rooms.slice_last(db)) == [(1, 11, 12), (1, 12, 13)]
    await rooms.write_records(db, "plan", 2, [])
    assert hours(await rooms.slice_last(db, at(1990, 1, 1))) == [(1, 9, 10)]


async def test_bad_records_are_refused(db, schedule):
    with pytest.raises(ValueError, match="dimension day"):
        await schedule.write_records(db, "schedule", 1, [{"doctor_id": 1, "start": dt.time(9)}],
                                     period=at(2024, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        await schedule.write_records(db, "schedule", 1, [interval(9, 10)], period=dt.datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="unknown fields"):
        await schedule.write_records(db, "schedule", 1, [interval(9, 10, chair=2)], period=at(2024, 1, 1))
