"""Point 17 (part): a moment with fractional seconds is truncated to the second on every path
(decided once, in erp.platform.dates), and a period lock for an organization that does not
exist is a 422 that writes nothing."""

from tests.input.conftest import refused


async def test_fractional_seconds_are_truncated(api, clinic, schedule):
    request = await api.create("requests", {"date": "2021-12-20T10:00:00.999999", "doctor_id": clinic.efimova,
                                            "starts_at": "2021-12-22T09:05:00.750"}, post=True)
    assert request["starts_at"].startswith("2021-12-22T09:05:00+03:00")
    assert request["date"] == "2021-12-20T10:00:00+03:00"
    moved = await api.put(f"/api/documents/requests/{request['id']}",
                          {**request, "starts_at": "2021-12-22T10:00:00.5"})
    assert moved["starts_at"].startswith("2021-12-22T10:00:00+03:00")


async def test_a_lock_for_an_organization_that_does_not_exist(api, db, clinic):
    before = await db.fetch("SELECT key, value FROM constants WHERE key LIKE 'period_lock%' ORDER BY key")
    for org in (999_999, 2**63 - 1):
        r = await api.client.put("/api/period-lock", json={"date": "2021-12-31", "organization_id": org},
                                 headers=api.headers)
        assert "organization_id" in refused(r)["details"]["fields"]
    for date in ("0001-01-01", "1899-12-31", 20211231):
        r = await api.client.put("/api/period-lock", json={"date": date}, headers=api.headers)
        assert "date" in refused(r)["details"]["fields"]
    assert await db.fetch("SELECT key, value FROM constants WHERE key LIKE 'period_lock%' ORDER BY key") == before
    await api.call("PUT", "/api/period-lock", json={"date": "2021-12-31", "organization_id": clinic.org})
    assert {"date": "2021-12-31", "organization_id": clinic.org} in await api.get("/api/period-lock")
