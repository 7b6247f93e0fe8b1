"""Acceptance point 2: WorkSchedule («Установка графиков работы») writes each
doctor's intervals per day; several a day are allowed but must not overlap and
must start before they end; the latest posted schedule (by date, then number)
covering a day wins, and unposting it brings back the one before."""

from tests.clinic.conftest import counts


def ws(month: str, lines: list[dict], date: str = "2021-12-08T09:00:00") -> dict:
    return {"date": date, "month": month, "lines": lines}


def line(doctor: int, day: str, start: str, end: str) -> dict:
    return {"doctor_id": doctor, "day": day, "start": start, "end": end}


async def intervals(api, day: str, doctor: int) -> list[list[str]]:
    found = await api.get("/api/schedule/slots", date=day, doctor_id=doctor)
    return found["doctors"][0]["intervals"] if found["doctors"] else []


async def test_several_intervals_a_day_are_written_and_bad_ones_are_refused(api, db, clinic):
    doc = await api.create("work-schedules", ws("2021-12-01", [
        line(clinic.efimova, "2021-12-22", "14:00", "18:00"), line(clinic.efimova, "2021-12-22", "08:15", "13:00"),
        line(clinic.ishaeva, "2021-12-22", "08:00", "16:00")]), post=True)
    assert doc["posted"] and doc["month"] == "2021-12-01"
    assert [(ln["day"], ln["start"], ln["end"]) for ln in doc["lines"]][:2] == [
        ("2021-12-22", "08:15", "13:00"), ("2021-12-22", "14:00", "18:00")]
    assert await intervals(api, "2021-12-22", clinic.efimova) == [["08:15", "13:00"], ["14:00", "18:00"]]
    rows = await api.get("/api/registers/doctor-schedule/slice-last", day="2021-12-22", doctor_id=clinic.ishaeva)
    assert [(r["start_time"], r["end_time"]) for r in rows] == [("08:00", "16:00")]

    before = await counts(db)
    overlap = await api.create("work-schedules", ws("2021-12-01", [
        line(clinic.efimova, "2021-12-23", "08:15", "13:00"), line(clinic.efimova, "2021-12-23", "12:00", "15:00")]),
        status=422, post=True)
    assert "пересекаются" in overlap["details"]["fields"]["lines[1].start"]
    assert "lines[1].start" in overlap["message"]
    backwards = await api.create("work-schedules", ws("2021-12-01", [
        line(clinic.efimova, "2021-12-23", "13:00", "08:15")]), status=422)
    assert backwards["details"]["fields"] == {"lines[0].end": "окончание должно быть позже начала"}
    empty = await api.create("work-schedules", ws("2021-12-01", [
        line(clinic.efimova, "2021-12-23", "13:00", "13:00")]), status=422)
    assert "lines[0].end" in empty["details"]["fields"]
    outside = await api.create("work-schedules", ws("2021-12-01", [
        line(clinic.efimova, "2022-01-10", "08:15", "13:00")]), status=422)
    assert outside["details"]["fields"] == {"lines[0].day": "день 10.01.2022 вне месяца графика 12.2021"}
    # the posted schedule's movements can't be broken by a bad edit either
    await api.put(f"/api/documents/work-schedules/{doc['id']}", ws("2021-12-01", [
        line(clinic.efimova, "2021-12-22", "08:15", "13:00"), line(clinic.efimova, "2021-12-22", "09:00", "10:00")]),
        status=422)
    assert await counts(db) == before
    assert await intervals(api, "2021-12-23", clinic.efimova) == []
    assert await intervals(api, "2021-12-22", clinic.efimova) == [["08:15", "13:00"], ["14:00", "18:00"]]


async def test_the_latest_posted_schedule_covering_the_day_wins_and_unposting_brings_back_the_previous(api, clinic):
    day = "2021-12-22"
    first = await api.create("work-schedules", ws("2021-12-01", [
        line(clinic.efimova, day, "08:15", "13:00"), line(clinic.efimova, "2021-12-23", "15:30", "19:45")],
        date="2021-12-08T09:00:00"), post=True)
    later = await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, day, "15:30", "20:00")],
                                                  date="2021-12-15T09:00:00"), post=True)
    assert await intervals(api, day, clinic.efimova) == [["15:30", "20:00"]]
    # the same date: the larger number wins
    same_date = await api.create("work-schedules", ws("2021-12-01", [
        line(clinic.efimova, day, "10:00", "12:00"), line(clinic.efimova, day, "14:00", "16:00")],
        date="2021-12-15T09:00:00"), post=True)
    assert same_date["number"] > later["number"]
    assert await intervals(api, day, clinic.efimova) == [["10:00", "12:00"], ["14:00", "16:00"]]
    # posted last but dated earlier: it does not win
    await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, day, "07:00", "08:00")],
                                          date="2021-12-01T09:00:00"), post=True)
    assert await intervals(api, day, clinic.efimova) == [["10:00", "12:00"], ["14:00", "16:00"]]
    # a later schedule that does not cover the 23rd leaves it as it was
    assert await intervals(api, "2021-12-23", clinic.efimova) == [["15:30", "19:45"]]

    await api.post(f"/api/documents/work-schedules/{same_date['id']}/unpost")
    assert await intervals(api, day, clinic.efimova) == [["15:30", "20:00"]]
    await api.post(f"/api/documents/work-schedules/{later['id']}/unpost")
    assert await intervals(api, day, clinic.efimova) == [["08:15", "13:00"]]
    # re-posting an edited schedule replaces what it wrote
    await api.put(f"/api/documents/work-schedules/{first['id']}", ws("2021-12-01", [
        line(clinic.efimova, day, "09:00", "11:00")]))
    assert await intervals(api, day, clinic.efimova) == [["09:00", "11:00"]]
    assert await intervals(api, "2021-12-23", clinic.efimova) == []
