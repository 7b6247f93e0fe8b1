"""Issue 14, point 17 (part): an invoice without lines, or whose total is zero, is not posted:
422 ``empty_invoice`` on every path. As a draft it may be saved."""

from tests.clinic.conftest import counts


def invoice(clinic, *lines: tuple[int, str, str]) -> dict:
    return {"date": "2021-12-22T10:00:00", "organization_id": clinic.org, "client_id": clinic.client,
            "lines": [{"nomenclature_id": n, "quantity": q, "price": p} for n, q, p in lines]}


async def test_an_empty_or_zero_invoice_is_not_posted(api, db, clinic):
    before = await counts(db)
    free = invoice(clinic, (clinic.service, "1", "1500"))
    free["lines"][0]["discount_percent"] = "100"
    for body in (invoice(clinic), invoice(clinic, (clinic.service, "1", "0"), (clinic.goods, "1", "0")), free):
        refused = await api.create("invoices", body, status=422, post=True)
        assert refused["code"] == "empty_invoice"
        assert refused["message"] == "Счёт не проведён: в нём нет строк или его сумма равна нулю"
    assert await counts(db) == before
    draft = await api.create("invoices", invoice(clinic, (clinic.service, "1", "0")))
    assert draft["posted"] is False
    posted = await api.post(f"/api/documents/invoices/{draft['id']}/post", status=422)
    assert posted["code"] == "empty_invoice"
    put = await api.put(f"/api/documents/invoices/{draft['id']}?post=true", invoice(clinic), status=422)
    assert put["code"] == "empty_invoice"
    assert (await api.get(f"/api/documents/invoices/{draft['id']}"))["posted"] is False
    fixed = await api.put(f"/api/documents/invoices/{draft['id']}?post=true",
                          invoice(clinic, (clinic.service, "1", "1500")))
    assert fixed["posted"] is True and fixed["amount_total"] == "1500.00"
