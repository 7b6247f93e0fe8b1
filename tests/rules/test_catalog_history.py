"""Issue 14, point 3: catalog changes cannot rewrite history. An item's kind (goods or service)
cannot change once documents use it, and a used item cannot be deleted: 409 ``item_in_use``
naming the documents, on the REST API and in the item form. Marking it for deletion stays allowed
(as in 1C: only the real deletion is refused)."""

from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import receipt


async def test_the_kind_of_a_used_item_is_fixed(api, db, browser, clinic):
    arrived = await receipt(api, clinic, (clinic.goods, "5", "10.00"), date="2021-12-01T09:00:00")
    number = arrived["number"].lstrip("0")
    before = await counts(db)
    refused = await api.patch(f"/api/catalogs/nomenclature/{clinic.goods}", {"kind": "service"}, status=409)
    assert refused["code"] == "item_in_use"
    assert refused["message"] == ("«Шприц 5 мл» уже используется в документах, нельзя изменить «Вид»: "
                                  f"Поступление товаров № {number} от 01.12.2021")
    assert [(d["kind"], d["id"]) for d in refused["details"]["documents"]] == [("goods-receipts", arrived["id"])]
    usage = await api.get(f"/api/catalogs/nomenclature/{clinic.goods}/usage")
    assert [(u["title"], u["number"], u["posted"]) for u in usage] == [("Поступление товаров", arrived["number"], True)]
    form = await browser.get(f"/catalogs/nomenclature/{clinic.goods}")
    assert 'value="goods"' in form.text
    page = await browser.post(f"/catalogs/nomenclature/{clinic.goods}", {
        "name": "Шприц 5 мл", "kind": "service", "unit": "шт", "article": "", "vat_rate": "none", "price": "25,00",
        "duration_minutes": "", "parent_id": ""}, status=409)
    assert f"Поступление товаров № {number} от 01.12.2021" in page.text
    assert await counts(db) == before
    assert (await api.get(f"/api/catalogs/nomenclature/{clinic.goods}"))["kind"] == "goods"
    # the other attributes still change, and an unused item's kind too
    renamed = await api.patch(f"/api/catalogs/nomenclature/{clinic.goods}", {"name": "Шприц 5 мл (100 шт.)",
                                                                             "kind": "goods"})
    assert renamed["name"] == "Шприц 5 мл (100 шт.)"
    fresh = await api.item("nomenclature", {"name": "Бахилы", "kind": "service"})
    assert (await api.patch(f"/api/catalogs/nomenclature/{fresh['id']}", {"kind": "goods"}))["kind"] == "goods"


async def test_a_used_item_is_marked_but_not_deleted(api, db, clinic):
    request = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": "2021-12-22T09:00:00",
                                            "lines": [{"nomenclature_id": clinic.service}]})
    before = await counts(db)
    refused = await api.call("DELETE", f"/api/catalogs/nomenclature/{clinic.service}", status=409)
    assert refused["code"] == "item_in_use"
    assert f"Заявка № {request['number'].lstrip('0')}" in refused["message"]
    assert await counts(db) == before
    marked = await api.post(f"/api/catalogs/nomenclature/{clinic.service}/mark-deletion")
    assert marked["deletion_mark"] is True
    # the doctor of the request, referred to by nothing but documents, is kept as well
    doctor = await api.call("DELETE", f"/api/catalogs/doctors/{clinic.efimova}", status=409)
    assert doctor["code"] == "item_in_use"
    unused = await api.item("nomenclature", {"name": "Бахилы", "kind": "goods"})
    await api.call("DELETE", f"/api/catalogs/nomenclature/{unused['id']}", status=204)
    await api.get(f"/api/catalogs/nomenclature/{unused['id']}", expect=404)
