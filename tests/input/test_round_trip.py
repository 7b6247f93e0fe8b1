"""Point 16: what GET returns, PUT accepts. A document read and sent back as it is (with its id,
number, flags, computed totals and the lines' ``line_no``) is saved, unchanged, for every kind; a
catalog item read and sent back by PATCH likewise."""

from tests.input.samples import documents, sold_rendering


async def test_every_document_kind_can_be_saved_back_as_read(api, clinic):
    kinds = documents(clinic, await sold_rendering(api, clinic))
    registry = api.client.app.state.registry
    assert set(kinds) == set(registry.documents), "a new document kind needs a sample here"
    for kind, body in kinds.items():
        created = await api.create(kind, body, post=True)
        read = await api.get(f"/api/documents/{kind}/{created['id']}")
        if "lines" in read:
            assert [ln["line_no"] for ln in read["lines"]] == list(range(1, len(read["lines"]) + 1))
        saved = await api.put(f"/api/documents/{kind}/{created['id']}", read)
        assert saved == read, kind
        draft = await api.create(kind, {**body, "date": "2021-12-21T11:00:00"})
        again = await api.get(f"/api/documents/{kind}/{draft['id']}")
        assert await api.put(f"/api/documents/{kind}/{draft['id']}", again) == again, kind


async def test_read_only_fields_sent_back_change_nothing(api, clinic):
    created = await api.create("invoices", documents(clinic)["invoices"], post=True)
    forged = {**created, "id": 999, "number": "ЧУЖОЙ-1", "posted": False, "amount_total": "1.00",
              "status": "paid", "lines": [{**ln, "line_no": 7} for ln in created["lines"]]}
    saved = await api.put(f"/api/documents/invoices/{created['id']}", forged)
    assert (saved["id"], saved["number"], saved["posted"], saved["amount_total"], saved["status"]) == (
        created["id"], created["number"], True, "2700.00", "unpaid")
    assert [ln["line_no"] for ln in saved["lines"]] == [1]
    # a line amount that contradicts quantity × price is checked, not silently taken
    wrong = {**created, "lines": [{**ln, "amount": "1.00"} for ln in created["lines"]]}
    r = await api.client.put(f"/api/documents/invoices/{created['id']}", json=wrong, headers=api.headers)
    assert r.status_code == 422 and "lines[0].amount" in r.json()["details"]["fields"]


async def test_a_catalog_item_can_be_patched_back_as_read(api, clinic):
    for catalog, item_id in (("nomenclature", clinic.service), ("clients", clinic.client),
                             ("organizations", clinic.org)):
        read = await api.get(f"/api/catalogs/{catalog}/{item_id}")
        assert await api.patch(f"/api/catalogs/{catalog}/{item_id}", read) == read
