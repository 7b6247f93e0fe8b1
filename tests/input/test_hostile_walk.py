"""The hostile walk (points 10, 11, 12, 15): every route of the application, from its route table
and its OpenAPI schema, gets NUL bytes, numbers no column can hold and dates outside 1900–9999,
in the query, the body and the path. Every answer is a 4xx with a stable code and Russian text
(none of the validation library's English), never a 5xx, and nothing is written."""

from __future__ import annotations

import datetime as dt
import re

from tests.input.conftest import counts, refused
from tests.input.routes import Operation, concrete, hostile_values, http_routes, operations
from tests.input.samples import documents, sold_rendering

BODY_METHODS = {"POST", "PUT", "PATCH"}
WIDGET = "/api/amocrm/widget/"
NUL = "недопустимый символ: нулевой байт (NUL)"


async def world(api, clinic) -> dict:
    """A written document of every kind (their ids fill the paths) and the clinic's items."""
    ids = {"organization_id": clinic.org, "user_id": 1, "event_id": 1, "generated_id": 1}
    docs = {}
    sold = await sold_rendering(api, clinic)
    for kind, body in documents(clinic, sold).items():
        docs[kind] = await api.create(kind, body)
    return {"ids": ids, "docs": docs, "sold": sold}


def _ids_for(path: str, w: dict, clinic) -> dict[str, int]:
    ids = dict(w["ids"])
    m = re.match(r"^/api/documents/([a-z-]+)/\{doc_id", path)
    if m and m.group(1) in w["docs"]:
        ids["doc_id"] = w["docs"][m.group(1)]["id"]
    m = re.match(r"^/api/catalogs/([a-z-]+)/\{item_id", path)
    if m:
        ids["item_id"] = {"clients": clinic.client, "nomenclature": clinic.service, "doctors": clinic.efimova,
                          "organizations": clinic.org, "bank-accounts": clinic.account,
                          "warehouses": clinic.warehouse}.get(m.group(1), 1)
    return ids


async def test_nul_bytes_anywhere_are_invalid_text(api, db, clinic):
    app = api.client.app
    w = await world(api, clinic)
    before = await counts(db)
    routes = http_routes(app)
    assert len(routes) > 150
    for method, template in routes:
        path = concrete(template, _ids_for(template, w, clinic))
        r = await api.client.request(method, path, params={"probe": "a\x00b"}, headers=api.headers)
        assert refused(r, 422, "invalid_text")["details"]["fields"] == {"probe": NUL}, (method, path)
        if method in BODY_METHODS:
            r = await api.client.request(method, path, json={"name": "a\x00b", "lines": [{"note": "\x00"}]},
                                         headers=api.headers)
            fields = refused(r, 422, "invalid_text")["details"]["fields"]
            assert set(fields) == {"name", "lines[0].note"}, (method, path)
            r = await api.client.request(method, path, data={"q": "x", "name": "a\x00b"}, headers=api.headers)
            assert list(refused(r, 422, "invalid_text")["details"]["fields"]) == ["name"], (method, path)
        if "{" in template and ":str}" in template:
            r = await api.client.request(method, path.rsplit("/", 1)[0] + "/a%00b", headers=api.headers)
            assert r.status_code in (404, 405, 422), (method, path, r.status_code)
    assert await counts(db) == before


async def test_nul_in_the_login_form_the_oauth_callback_and_a_search_box(client, api, db, clinic):
    before = await counts(db)
    login = await client.post("/login", data={"username": "admin\x00", "password": "x"},
                              headers={"Accept": "text/html"})
    assert login.status_code == 422 and "нулевой байт" in login.text
    token = await client.post("/api/auth/token", json={"username": "admin-user\u0000", "password": "password-123"})
    refused(token, 422, "invalid_text")
    callback = await client.get("/api/amocrm/oauth/callback", params={"code": "abc\x00", "state": "s"})
    refused(callback, 422, "invalid_text")
    search = await client.get("/catalogs/clients", params={"q": "Иван\x00"}, headers=api.headers)
    assert search.status_code == 422
    api_search = await api.client.get("/api/catalogs/clients", params={"q": "Иван\x00"}, headers=api.headers)
    assert refused(api_search, 422, "invalid_text")["details"]["fields"] == {
        "q": "недопустимый символ: нулевой байт (NUL)"}
    # a backslash followed by "u0000" is text, not a NUL: it is kept as typed
    item = await api.item("clients", {"name": "C:\\u0000\\dir", "kind": "person"})
    assert item["name"] == "C:\\u0000\\dir"
    assert (await counts(db))["cat_clients"] == before["cat_clients"] + 1


def _base_body(op: Operation, w: dict, clinic) -> dict:
    m = re.match(r"^/api/documents/([a-z-]+)(/\{doc_id\})?$", op.path)
    if m and m.group(1) in w["docs"]:
        return dict(documents(clinic, w["sold"])[m.group(1)])
    if op.path.startswith("/api/catalogs/"):
        return {"name": "Враждебный ввод"}
    return {}


def _mutations(schema: dict, base: dict) -> list[tuple[str, dict]]:
    """``(field path, body)``: the body with one field (or the first line's field) made hostile."""
    out = []
    for name, prop in (schema.get("properties") or {}).items():
        if (prop.get("readOnly")):
            continue
        for value in hostile_values(prop):
            out.append((name, {**base, name: value}))
        items = prop.get("items") or {}
        if prop.get("type") == "array" and items.get("properties"):
            first = (base.get(name) or [{}])[0]
            for line_field, line_prop in items["properties"].items():
                if line_prop.get("readOnly"):
                    continue
                for value in hostile_values(line_prop):
                    out.append((f"{name}[0].{line_field}", {**base, name: [{**first, line_field: value}]}))
    return out


async def test_numbers_and_dates_no_column_can_hold_are_named_4xx(api, db, clinic):
    app = api.client.app
    registry = app.state.registry
    w = await world(api, clinic)
    before = await counts(db)
    tried = 0
    for op in operations(app):
        path = concrete(re.sub(r"\{(\w+)\}", r"{\1:int}", op.path), _ids_for(op.path, w, clinic))
        required = {"date": "2021-12-22", "start": "2021-12-01", "end": "2021-12-31"}
        base_query = {k: v for k, v in required.items() if k in op.query}
        for name, schema in op.query.items():
            for value in hostile_values(schema):
                r = await api.client.request(op.method, path, params={**base_query, name: str(value)},
                                             headers=api.headers)
                if op.path.startswith(WIDGET) and r.status_code == 401:  # the widget's own token
                    refused(r, 401)
                    continue
                body = refused(r, 422)
                assert name in (body["details"].get("fields") or {}) or name in body["message"], (op.path, name, body)
                tried += 1
        if op.body is not None and op.method in BODY_METHODS:
            for field, data in _mutations(op.body, _base_body(op, w, clinic)):
                r = await api.client.request(op.method, path, json=data, headers=api.headers)
                assert 400 <= r.status_code < 500, (op.method, path, field, r.status_code, r.text[:300])
                body = refused(r, r.status_code)
                if r.status_code == 422 and (op.path.startswith("/api/documents/")
                                             or op.path.startswith("/api/catalogs/")):
                    assert field in (body["details"].get("fields") or {}), (op.method, path, field, body)
                tried += 1
    # filters that are not in the schema: registers' dimensions, documents' and catalogs' attributes
    for reg in registry.registers.values():
        for dim in reg.dimensions:
            for value in ("99999999999999999999", "-1", "0001-01-01", "1e400"):
                r = await api.client.get(f"/api/registers/{reg.name}/turnovers", headers=api.headers,
                                         params={"start": "2021-12-01", "end": "2021-12-31", dim.name: value})
                assert r.status_code == 422, (reg.name, dim.name, value, r.text)
                refused(r)
    for at in ("0001-01-01", "9999-12-31", "9999-12-31T23:00:00", "1900-01-01T00:00:00+05:00", "20261205"):
        r = await api.client.get("/api/registers/stock/balance", params={"at": at}, headers=api.headers)
        assert "at" in refused(r)["details"]["fields"], at
    for kind in registry.documents.values():
        for f in kind.header:
            if f.type in ("ref", "int", "money", "date", "datetime"):
                r = await api.client.get(f"/api/documents/{kind.name}", headers=api.headers,
                                         params={f.name: "99999999999999999999" if f.type != "date" else "0001-01-01"})
                assert f.name in refused(r)["details"]["fields"], (kind.name, f.name, r.text)
    assert tried > 300
    assert await counts(db) == before


async def test_a_number_is_never_a_date_and_edges_are_refused(api, db, clinic, schedule):
    before = await counts(db)
    for date in (20261205, 1733400000, "20261205", "0001-01-01T00:00:00", "9999-12-31T12:00:00", "10000-01-01"):
        r = await api.client.post("/api/documents/payments", headers=api.headers, json={
            "date": date, "organization_id": clinic.org, "client_id": clinic.client, "amount": "10", "method": "cash",
            "cash_desk_id": clinic.desk})
        assert refused(r)["details"]["fields"].keys() == {"date"}, (date, r.text)
    for month in ("0001-01-01", "9999-13-01", 202112):
        r = await api.client.post("/api/documents/work-schedules", json={"month": month, "lines": []},
                                  headers=api.headers)
        assert "month" in refused(r)["details"]["fields"], month
    r = await api.client.post("/api/documents/requests", headers=api.headers, json={
        "doctor_id": clinic.efimova, "starts_at": "9999-12-31T23:30:00"})
    assert "starts_at" in refused(r)["details"]["fields"]
    for path, params in (("/api/schedule/slots", {"date": "9999-12-31"}),
                         ("/api/schedule/slots", {"date": "0001-01-01"}),
                         ("/api/amocrm/widget/slots", {"date": "0001-01-01"}),
                         ("/api/documents/payments", {"start": "0001-01-01"}),
                         ("/api/audit-log", {"end": "1899-12-31"}),
                         ("/api/generated-documents", {"generated_from": "0001-01-01"}),
                         ("/api/amocrm/exchange-log", {"start": "0001-01-01"})):
        r = await api.client.get(path, params=params, headers=api.headers)
        assert r.status_code in (401, 422), (path, params, r.text)
        if r.status_code == 422:
            assert set(params) <= set(refused(r)["details"]["fields"]), (path, r.text)
    # the last day is a valid end of a period
    assert (await api.get("/api/documents/payments", end="9999-12-31"))["items"] == []
    assert await api.get("/api/audit-log", start="1900-01-01", end="9999-12-31")
    assert await counts(db) == before
    assert dt.date(9999, 12, 31)


async def test_ui_pages_take_hostile_query_values_without_a_5xx(api, db, clinic, browser):
    """The UI's pages read dates, months, numbers and cursors from their query too."""
    app = api.client.app
    w = await world(api, clinic)
    before = await counts(db)
    values = ("0001-01-01", "9999-12-31", "10000-01-01", "20261205", "99999999999999999999", "-1", "eyJ4", "")
    names = ("date", "day", "start", "end", "month", "week", "at", "after", "before", "limit", "doctor_id",
             "client_id", "parent_id", "generated_from", "generated_to", "q", "sort", "page")
    pages = [(m, t) for m, t in http_routes(app) if m == "GET" and not t.startswith(("/api", "/schema", "/static"))]
    assert len(pages) > 20
    assert (await browser.client.get("/catalogs/clients")).status_code == 200  # logged in
    for _, template in pages:
        path = concrete(template, _ids_for(template, w, clinic))
        for name in names:
            for value in values:
                r = await browser.client.get(path, params={name: value})
                assert r.status_code < 500, (path, name, value, r.status_code, r.text[:300])
    assert await counts(db) == before
