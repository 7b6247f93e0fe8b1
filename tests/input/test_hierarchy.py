"""Points 13 (the ``parent_id`` filter) and 14: the nomenclature tree has no cycles, an item is
never a parent, a group with children stays a group; each refusal is 422 ``invalid_hierarchy``
and changes nothing."""

from tests.input.conftest import counts, refused


async def tree(api):
    top = await api.item("nomenclature", {"name": "Услуги", "is_group": True, "kind": "service"})
    sub = await api.item("nomenclature", {"name": "Терапия", "is_group": True, "parent_id": top["id"],
                                          "kind": "service"})
    leaf = await api.item("nomenclature", {"name": "Осмотр", "parent_id": sub["id"], "kind": "service",
                                           "price": "100"})
    return top["id"], sub["id"], leaf["id"]


async def test_no_cycles_no_item_parents_no_emptied_groups(api, db, clinic):
    top, sub, leaf = await tree(api)
    before = await counts(db)
    path = "/api/catalogs/nomenclature"
    for item_id, change, field, text in (
            (top, {"parent_id": sub}, "parent_id", "группа не может входить в собственную подгруппу"),
            (top, {"parent_id": top}, "parent_id", "элемент не может быть родителем самого себя"),
            (sub, {"parent_id": leaf}, "parent_id", "родителем может быть только группа, а не элемент"),
            (clinic.goods, {"parent_id": leaf}, "parent_id", "родителем может быть только группа, а не элемент"),
            (sub, {"is_group": False}, "is_group", "в группе есть элементы: сначала перенесите их")):
        r = await api.client.patch(f"{path}/{item_id}", json=change, headers=api.headers)
        body = refused(r, 422, "invalid_hierarchy")
        assert body["details"]["fields"] == {field: text}
    created = await api.client.post(path, json={"name": "Под элементом", "parent_id": leaf, "kind": "service"},
                                    headers=api.headers)
    assert refused(created, 422, "invalid_hierarchy")["details"]["fields"] == {
        "parent_id": "родителем может быть только группа, а не элемент"}
    assert await counts(db) == before
    assert (await api.get(f"{path}/{top}"))["parent_id"] is None
    # moving a subtree under another group and emptying a group is fine
    other = await api.item("nomenclature", {"name": "Прочее", "is_group": True, "kind": "service"})
    assert (await api.patch(f"{path}/{sub}", {"parent_id": other["id"]}))["parent_id"] == other["id"]
    assert (await api.patch(f"{path}/{top}", {"is_group": False}))["is_group"] is False


async def test_the_parent_filter_lists_a_groups_children(api, clinic):
    top, sub, leaf = await tree(api)
    path = "/api/catalogs/nomenclature"
    assert [i["id"] for i in (await api.get(path, parent_id=str(sub)))["items"]] == [leaf]
    assert [i["id"] for i in (await api.get(path, parent_id=str(top)))["items"]] == [sub]
    top_level = {i["id"] for i in (await api.get(path, parent_id=""))["items"]}
    assert top in top_level and sub not in top_level and leaf not in top_level
    for bad in ("abc", "0", "99999999999999999999999"):
        r = await api.client.get(path, params={"parent_id": bad}, headers=api.headers)
        assert "parent_id" in refused(r)["details"]["fields"]
