"""The generic REST of declared objects, on the tests' own small configuration."""

import re

import pytest


@pytest.fixture
async def h(users):
    return await users.headers("accountant")


async def make_shop(client, h, name="Центр"):
    r = await client.post("/api/catalogs/shops", json={"name": name, "prefix": "Ц"}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


async def make_thing(client, h, name, price="10.00"):
    r = await client.post("/api/catalogs/things", json={"name": name, "price": price}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


async def test_catalog_crud_search_filters_and_keyset_pages(core_client, h):
    created = [await make_thing(core_client, h, f"Вещь {i:02d}", price=str(i)) for i in range(30)]
    assert created[0]["code"] == "000000002" and created[0]["price"] == "0.00"
    r = await core_client.get("/api/catalogs/things?limit=25", headers=h)
    page = r.json()
    assert len(page["items"]) == 25 and page["next"]
    rest = (await core_client.get(f"/api/catalogs/things?limit=25&after={page['next']}", headers=h)).json()
    names = [i["name"] for i in page["items"] + rest["items"]]
    assert len(names) == 31 and names == sorted(names) and rest["next"] is None
    found = (await core_client.get("/api/catalogs/things?q=щь 1", headers=h)).json()["items"]
    assert [i["name"] for i in found] == [f"Вещь 1{i}" for i in range(10)]
    by_price = (await core_client.get("/api/catalogs/things?price=7", headers=h)).json()["items"]
    assert [i["name"] for i in by_price] == ["Вещь 07"]
    item = created[3]
    r = await core_client.patch(f"/api/catalogs/things/{item['id']}", json={"price": "99.90"}, headers=h)
    assert r.status_code == 200 and r.json()["price"] == "99.90" and r.json()["name"] == "Вещь 03"
    r = await core_client.post(f"/api/catalogs/things/{item['id']}/mark-deletion", headers=h)
    assert r.json()["deletion_mark"] is True
    marked = (await core_client.get("/api/catalogs/things?deletion_mark=true", headers=h)).json()["items"]
    assert [i["id"] for i in marked] == [item["id"]]
    r = await core_client.post(f"/api/catalogs/things/{item['id']}/unmark-deletion", headers=h)
    assert r.json()["deletion_mark"] is False
    assert (await core_client.get("/api/catalogs/things/999999", headers=h)).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "Вещь", "price": "abc"}, "price"),
    ({"name": "Вещь", "price": "-5"}, "price"),
    ({"name": "Вещь", "colour": "red"}, "colour"),
    ({"name": 12}, "name"),
    ({"price": "1"}, "name"),
    ({"name": "Вещь", "parent_id": 424242}, "parent_id"),
])
async def test_bad_catalog_input_is_422_naming_the_field(core_client, h, db, body, field):
    r = await core_client.post("/api/catalogs/things", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert field in r.json()["details"]["fields"]
    assert r.json()["message"].startswith("Неверн")
    assert await db.fetchval("SELECT count(*) FROM cat_things WHERE predefined IS NULL") == 0


async def test_documents_through_rest(core_client, h, db):
    shop = await make_shop(core_client, h)
    thing = await make_thing(core_client, h, "Стол")
    body = {"date": "2021-12-22T09:05:00", "shop_id": shop["id"],
            "lines": [{"thing_id": thing["id"], "qty": "5", "value": "50"}]}
    r = await core_client.post("/api/documents/arrivals?post=true", json=body, headers=h)
    assert r.status_code == 201, r.text
    arrival = r.json()
    assert arrival["posted"] is True and arrival["number"] == "Ц0000000001"
    again = (await core_client.get(f"/api/documents/arrivals/{arrival['id']}", headers=h)).json()
    assert again["date"] == arrival["date"] == "2021-12-22T09:05:00+03:00"
    assert arrival["date"].startswith("2021-12-22T09:05:00") and arrival["date"].endswith("+03:00")
    assert arrival["lines"][0] == {"line_no": 1, "thing_id": thing["id"], "qty": "5.000", "value": "50.00"}
    moves = (await core_client.get(f"/api/documents/arrivals/{arrival['id']}/movements", headers=h)).json()
    assert moves["boxes"][0]["qty"] == "5.000" and moves["boxes"][0]["record_type"] == 1
    based = (await core_client.get(f"/api/documents/arrivals/{arrival['id']}/based/departures", headers=h)).json()
    assert based["based_on"] == {"kind": "arrivals", "id": arrival["id"]} and based["shop_id"] == shop["id"]
    based["lines"][0].update(qty="2", value="20")
    based["date"] = "2021-12-22T12:00:00"
    r = await core_client.post("/api/documents/departures?post=true", json=based, headers=h)
    assert r.status_code == 201, r.text
    departure = r.json()
    tree = (await core_client.get(f"/api/documents/arrivals/{arrival['id']}/subordination", headers=h)).json()
    assert tree["tree"]["children"][0]["id"] == departure["id"]
    balance = (await core_client.get(f"/api/registers/boxes/balance?shop_id={shop['id']}", headers=h)).json()
    assert balance == [{"shop_id": shop["id"], "thing_id": thing["id"], "qty": "3.000", "value": "30.00"}]
    early = (await core_client.get("/api/registers/boxes/balance?at=2021-12-22T09:04:59", headers=h)).json()
    assert early == []
    turn = (await core_client.get("/api/registers/sold/turnovers?start=2021-12-01&end=2021-12-31"
                                  "&periodicity=day", headers=h)).json()
    assert turn == [{"period": "2021-12-22", "thing_id": thing["id"], "qty": "2.000"}]
    bt = (await core_client.get("/api/registers/boxes/balance-and-turnovers?start=2021-12-01&end=2021-12-31",
                                headers=h)).json()[0]
    assert (bt["qty_opening"], bt["qty_receipt"], bt["qty_expense"], bt["qty_closing"]) == \
        ("0.000", "5.000", "2.000", "3.000")
    # a shortage through the API is a 409 with the full list
    r = await core_client.put(f"/api/documents/departures/{departure['id']}",
                              json={**based, "lines": [{"thing_id": thing["id"], "qty": "9"}]}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "balance_shortage"
    assert r.json()["details"]["shortfalls"][0]["available"] == "5.000"
    assert (await core_client.get(f"/api/documents/departures/{departure['id']}", headers=h)).json()["lines"][0][
        "qty"] == "2.000"
    r = await core_client.post(f"/api/documents/departures/{departure['id']}/mark-deletion", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "transition_refused"
    r = await core_client.post(f"/api/documents/departures/{departure['id']}/unpost", headers=h)
    assert r.json()["posted"] is False
    r = await core_client.post(f"/api/documents/departures/{departure['id']}/mark-deletion", headers=h)
    assert r.json()["deletion_mark"] is True
    listed = (await core_client.get("/api/documents/departures?deletion_mark=true&start=2021-12-01&end=2021-12-31",
                                    headers=h)).json()
    assert [d["id"] for d in listed["items"]] == [departure["id"]]


async def test_document_lists_page_by_keyset_newest_first(core_client, h):
    shop = await make_shop(core_client, h)
    for day in range(1, 31):
        r = await core_client.post("/api/documents/arrivals", json={"date": f"2021-11-{day:02d}T10:00:00",
                                                                    "shop_id": shop["id"]}, headers=h)
        assert r.status_code == 201
    first = (await core_client.get("/api/documents/arrivals?limit=25", headers=h)).json()
    second = (await core_client.get(f"/api/documents/arrivals?limit=25&after={first['next']}", headers=h)).json()
    days = [d["date"][:10] for d in first["items"] + second["items"]]
    assert days == [f"2021-11-{d:02d}" for d in range(30, 0, -1)]
    period = (await core_client.get("/api/documents/arrivals?start=2021-11-10&end=2021-11-12", headers=h)).json()
    assert [d["date"][:10] for d in period["items"]] == ["2021-11-12", "2021-11-11", "2021-11-10"]
    r = await core_client.get("/api/documents/arrivals?limit=7", headers=h)
    assert r.status_code == 422 and "limit" in r.json()["details"]["fields"]


async def test_period_lock_only_admin_sets_it_and_the_error_names_the_date(core_client, users, db):
    h = await users.headers("accountant")
    shop = await make_shop(core_client, h)
    r = await core_client.put("/api/period-lock", json={"date": "2021-12-31"}, headers=h)
    assert r.status_code == 403
    r = await core_client.put("/api/period-lock", json={"date": "2021-12-31"}, headers=await users.headers("admin"))
    assert r.status_code == 200
    r = await core_client.post("/api/documents/arrivals", json={"date": "2021-12-30T10:00:00", "shop_id": shop["id"]},
                               headers=h)
    assert r.status_code == 409 and "31.12.2021" in r.json()["message"]
    assert await db.fetchval("SELECT count(*) FROM doc_arrivals") == 0
    assert (await core_client.get("/api/period-lock", headers=h)).json() == [
        {"date": "2021-12-31", "organization_id": None}]


async def test_bad_document_input_writes_nothing(core_client, h, db):
    shop = await make_shop(core_client, h)
    thing = await make_thing(core_client, h, "Стол")
    cases = [
        ({"shop_id": shop["id"], "lines": [{"thing_id": thing["id"], "qty": "0"}]}, "lines[0].qty"),
        ({"shop_id": shop["id"], "lines": [{"thing_id": thing["id"], "qty": "x"}]}, "lines[0].qty"),
        ({"shop_id": shop["id"], "lines": [{"thing_id": 77777, "qty": "1"}]}, "lines[0].thing_id"),
        ({"shop_id": shop["id"], "extra": 1}, "extra"),
        ({"shop_id": "one"}, "shop_id"),
        ({"date": "вчера", "shop_id": shop["id"]}, "date"),
    ]
    for body, field in cases:
        r = await core_client.post("/api/documents/arrivals?post=true", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        body = r.json()
        assert field in body["details"]["fields"], (field, body)
        # The message is Russian and names the field, for the person who sent it.
        assert field in body["message"] and re.search("[а-яА-Я]", body["details"]["fields"][field]), body
    assert await db.fetchval("SELECT count(*) FROM doc_arrivals") == 0


async def test_openapi_lists_every_object_with_its_fields(core_client):
    schema = (await core_client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in ("/api/catalogs/things", "/api/catalogs/things/{item_id}/mark-deletion",
                 "/api/documents/arrivals", "/api/documents/arrivals/{doc_id}/post",
                 "/api/documents/arrivals/{doc_id}/based/departures", "/api/registers/boxes/balance",
                 "/api/registers/sold/turnovers", "/api/documents/departures/{doc_id}/subordination"):
        assert path in paths, path
    components = schema["components"]["schemas"]
    assert {"name", "price", "parent_id"} <= set(components["ThingsCreate"]["properties"])
    assert {"shop_id", "lines", "date", "based_on"} <= set(components["ArrivalsInput"]["properties"])


async def test_roles_on_generic_routes(core_client, users):
    manager = await users.headers("manager")
    r = await core_client.post("/api/catalogs/things", json={"name": "Вещь"}, headers=manager)
    assert r.status_code == 403
    assert (await core_client.get("/api/catalogs/things", headers=manager)).status_code == 200
    assert (await core_client.get("/api/catalogs/things")).status_code == 401
