"""Point 13: a forged, damaged or stale page cursor is 422 ``invalid_cursor`` on every paged list."""

import base64

import msgspec

from tests.input.conftest import refused


def forged(values) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(values)).decode().rstrip("=")


async def test_forged_and_stale_cursors_are_refused(api, clinic):
    for i in range(3):
        await api.create("payments", {"date": f"2021-12-2{i}T10:00:00", "organization_id": clinic.org,
                                      "client_id": clinic.client, "amount": "10", "method": "cash",
                                      "cash_desk_id": clinic.desk})
    page = await api.get("/api/documents/payments", limit="25")
    assert page["next"] is None
    catalog_cursor = forged([["v", "Клиент"], ["v", 1]])
    document_cursor = forged([["t", "2021-12-22T10:00:00+03:00"], ["v", 5]])
    bad = ["%%%", "eyJ", forged([["v", "x"]]), forged([["t", "0001-01-01T00:00:00+14:00"], ["v", 1]]),
           forged([["v", "x"], ["v", 2**70]]), forged({"a": 1}), forged([["z", 1], ["v", 1]]), "A" * 5000]
    lists = {"/api/documents/payments": [catalog_cursor, forged([["v", "2021"], ["v", 1]])],
             "/api/catalogs/clients": [document_cursor, forged([["v", 5], ["v", "x"]])],
             "/api/audit-log": [catalog_cursor],
             "/api/generated-documents": [catalog_cursor],
             "/api/amocrm/exchange-log": [catalog_cursor]}
    for path, stale in lists.items():
        for cursor in bad + stale:
            r = await api.client.get(path, params={"after": cursor}, headers=api.headers)
            assert r.status_code == 422, (path, cursor, r.text)
            body = refused(r, 422)
            assert body["code"] in ("invalid_cursor", "validation_error"), body
            if len(cursor) < 200:
                assert body["code"] == "invalid_cursor", (path, cursor, body)
    # a real cursor still works
    assert (await api.get("/api/catalogs/clients", after=catalog_cursor))["items"] is not None
