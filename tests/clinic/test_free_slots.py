"""Acceptance point 3: free slots. A start time t is free when [t, t + duration)
lies inside one working interval and overlaps no posted Request; starts step
from each interval's own start by ERP_SLOT_STEP_MINUTES."""

from litestar.testing import AsyncTestClient

from erp.app.application import create_app
from tests.clinic.conftest import Api
from tests.clinic.test_work_schedule import line, ws


def grid(first: str, last: str, step: int = 5) -> list[str]:
    h, m = map(int, first.split(":"))
    out, t = [], h * 60 + m
    h2, m2 = map(int, last.split(":"))
    while t <= h2 * 60 + m2:
        out.append(f"{t // 60:02d}:{t % 60:02d}")
        t += step
    return out


async def slots(api, day: str, doctor: int | None = None, duration: int | None = None) -> dict[str, list[str]]:
    params = {"date": day} | ({"doctor_id": doctor} if doctor else {}) | ({"duration": duration} if duration else {})
    return {d["name"]: d["slots"] for d in (await api.get("/api/schedule/slots", **params))["doctors"]}


async def test_slots_follow_the_intervals_and_only_posted_requests_take_time(api, clinic):
    await api.create("work-schedules", ws("2021-12-01", [
        line(clinic.efimova, "2021-12-22", "08:15", "13:00"), line(clinic.efimova, "2021-12-23", "15:30", "19:45"),
        line(clinic.ishaeva, "2021-12-22", "08:00", "16:00")]), post=True)
    free = await slots(api, "2021-12-22")
    assert list(free) == ["Ефимова Е.В.", "Ишаева М.И."]
    assert free["Ефимова Е.В."] == grid("08:15", "12:30")
    assert free["Ишаева М.И."] == grid("08:00", "15:30")
    assert (await slots(api, "2021-12-22", clinic.efimova, duration=60))["Ефимова Е.В."][-1] == "12:00"
    assert (await slots(api, "2021-12-23", clinic.efimova))["Ефимова Е.В."][:2] == ["15:30", "15:35"]
    assert await slots(api, "2021-12-24") == {}

    booking = {"doctor_id": clinic.efimova, "starts_at": "2021-12-22T10:00:00", "duration_minutes": 20}
    draft = await api.create("requests", booking)
    marked = await api.create("requests", booking)
    await api.post(f"/api/documents/requests/{marked['id']}/mark-deletion")
    assert (await slots(api, "2021-12-22", clinic.efimova))["Ефимова Е.В."] == grid("08:15", "12:30")
    await api.post(f"/api/documents/requests/{draft['id']}/post")
    # 30 minutes wanted: 09:35 would end at 10:05, so the last start before the booking is 09:30
    free = (await slots(api, "2021-12-22", clinic.efimova))["Ефимова Е.В."]
    assert free == grid("08:15", "09:30") + grid("10:20", "12:30")
    assert (await slots(api, "2021-12-22", clinic.efimova, duration=5))["Ефимова Е.В."] == \
        grid("08:15", "09:55") + grid("10:20", "12:55")
    assert (await slots(api, "2021-12-22", clinic.ishaeva))["Ишаева М.И."] == grid("08:00", "15:30")
    await api.post(f"/api/documents/requests/{draft['id']}/unpost")
    assert (await slots(api, "2021-12-22", clinic.efimova))["Ефимова Е.В."] == grid("08:15", "12:30")

    # a doctor who no longer sees patients is not offered
    await api.patch(f"/api/catalogs/doctors/{clinic.ishaeva}", {"active": False})
    assert list(await slots(api, "2021-12-22")) == ["Ефимова Е.В."]


async def test_an_interval_off_the_grid_keeps_its_own_start_and_settings_apply(clinic, settings, database_url,
                                                                                  admin):
    app = create_app(settings.with_(slot_step_minutes=60, default_appointment_minutes=45), database_url, pool_size=2)
    async with AsyncTestClient(app=app) as client:
        api = Api(client, admin)
        await api.create("work-schedules", ws("2021-12-01", [
            line(clinic.efimova, "2021-12-23", "15:30", "19:45")]), post=True)
        found = await api.get("/api/schedule/slots", date="2021-12-23")
        assert found["step_minutes"] == 60 and found["duration_minutes"] == 45
        assert found["doctors"][0]["slots"] == ["15:30", "16:30", "17:30", "18:30"]
        booked = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": "2021-12-23T16:30:00"},
                                  post=True)
        assert (booked["duration_minutes"], booked["ends_at"]) == (45, "2021-12-23T17:15:00+03:00")
        found = await api.get("/api/schedule/slots", date="2021-12-23")
        assert found["doctors"][0]["slots"] == ["15:30", "17:30", "18:30"]
