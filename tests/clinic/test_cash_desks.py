"""Issue 15 point 1: the cash desks («Кассы») and the cash-flow items («Статьи движения денежных
средств»), with the three predefined items every money document falls back on."""

from tests.clinic.conftest import counts, predefined


async def test_a_cash_desk_belongs_to_an_organization_and_names_who_is_responsible(api, clinic, db):
    desk = await api.item("cash-desks", {"name": "Касса регистратуры", "organization_id": clinic.org,
                                         "responsible": "Петрова О.Н."})
    assert (desk["name"], desk["organization_id"], desk["responsible"]) == \
        ("Касса регистратуры", clinic.org, "Петрова О.Н.")
    found = await api.get("/api/catalogs/cash-desks", q="Петрова")
    assert [item["id"] for item in found["items"]] == [desk["id"]]
    before = await counts(db)
    r = await api.client.post("/api/catalogs/cash-desks", json={"name": "Без организации"}, headers=api.headers)
    assert r.status_code == 422, r.text
    assert r.json()["details"]["fields"] == {"organization_id": "обязательное поле не заполнено"}
    assert await counts(db) == before


async def test_the_cash_flow_items_are_a_tree_with_three_predefined_items(api, clinic):
    names = ("Оплата от покупателей", "Оплата поставщикам", "Прочие расходы")
    items = [await predefined(api, "cash-flow-items", name) for name in names]
    group = await api.item("cash-flow-items", {"name": "Расходы на персонал", "is_group": True})
    salary = await api.item("cash-flow-items", {"name": "Зарплата", "parent_id": group["id"]})
    assert salary["parent_id"] == group["id"]
    r = await api.client.post(f"/api/catalogs/cash-flow-items/{items[2]['id']}/mark-deletion", headers=api.headers)
    assert r.status_code == 409 and r.json()["code"] == "predefined_item", r.text

