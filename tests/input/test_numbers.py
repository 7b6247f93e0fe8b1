"""Point 11: a number that does not fit is a 422 naming the field, decided before the database
by one table of limits (erp.platform.fields.LIMITS) that the OpenAPI schema states as well."""

from decimal import Decimal

from erp.platform.fields import LIMITS
from tests.input.conftest import counts, refused
from tests.input.samples import documents


async def test_int4_and_money_limits_name_the_field(api, db, clinic):
    before = await counts(db)
    for value in (2**31, -(2**31) - 1, 10**30):
        r = await api.client.post("/api/catalogs/visit-statuses", json={"name": "Ждёт", "sort_order": value},
                                  headers=api.headers)
        assert "sort_order" in refused(r)["details"]["fields"], value
    r = await api.client.post("/api/catalogs/nomenclature", headers=api.headers,
                              json={"name": "Дорогая услуга", "kind": "service", "price": "1000000000000"})
    assert refused(r)["details"]["fields"] == {"price": "слишком большое число: не больше 999 999 999 999,99"}
    body = documents(clinic)["invoices"]
    line = {"nomenclature_id": clinic.service, "quantity": "1", "price": "999999999999.99"}
    for lines, field in (([{**line, "quantity": "2"}], "lines[0].amount"),
                         ([line] * 2, "amount_total"),
                         ([{**line, "price": "999999999999.999"}], "lines[0].price"),
                         ([{**line, "quantity": "1000000000"}], "lines[0].quantity")):
        r = await api.client.post("/api/documents/invoices", json={**body, "lines": lines}, headers=api.headers)
        assert field in refused(r)["details"]["fields"], (field, r.text)
    assert await counts(db) == before
    # the limit itself is fine
    fine = await api.create("invoices", {**body, "lines": [line]})
    assert fine["amount_total"] == "999999999999.99"


async def test_register_totals_that_would_overflow_are_refused_and_write_nothing(api, db, clinic):
    line = {"nomenclature_id": clinic.service, "quantity": "1", "price": "999999999999.99"}
    doc = {"date": "2021-12-22T13:00:00", "organization_id": clinic.org, "client_id": clinic.client,
           "doctor_id": clinic.efimova, "lines": [line]}
    refusals = 0
    before = await counts(db)
    for _ in range(12):
        r = await api.client.post("/api/documents/service-renderings", params={"post": "true"}, json=doc,
                                  headers=api.headers)
        assert r.status_code in (201, 409, 422), r.text
        if r.status_code != 201:
            refused(r, r.status_code)
            refusals += 1
    assert refusals >= 2  # the client's debt cannot pass 9 999 999 999 999,99
    after = await counts(db)
    assert after["doc_service_renderings"] - before["doc_service_renderings"] == 12 - refusals
    debt = await api.balance("settlements", client_id=clinic.client)
    assert sum(Decimal(row["amount"]) for row in debt) == Decimal("999999999999.99") * (12 - refusals)


async def test_the_openapi_schema_states_the_limits(client):
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    assert schema["VisitStatusesCreate"]["properties"]["sort_order"]["oneOf"][0]["maximum"] == 2**31 - 1
    price = schema["InvoicesLineIn"]["properties"]["price"]["oneOf"][0]
    assert (price["minimum"], price["maximum"]) == (0, float(LIMITS["money"][1])) or \
        price["maximum"] == float(LIMITS["money"][1])
    assert schema["InvoicesInput"]["properties"]["client_id"]["oneOf"][0]["maximum"] == 2**63 - 1
