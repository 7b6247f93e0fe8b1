"""Acceptance points 8 and 9: several documents in one PDF, and the registry of
generated documents — every PDF kept with its document, amoCRM lead, form,
user, organization, document type and time; filtered by each, paged by
25/50/100/200, and downloaded again."""

import datetime as dt

from tests.printing.conftest import Api, generated_count, invoice_data, pdf_pages, pdf_text, rendering_data


async def test_batch_prints_invoices_and_acts_in_one_pdf_in_the_chosen_order(api, clinic, db):
    first = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "100")), post=True)
    second = await api.create("invoices", invoice_data(clinic, (clinic.service, "2", "100")), post=True)
    act = await api.create("service-renderings", rendering_data(clinic, (clinic.service, "3", "100")), post=True)
    r = await api.raw("POST", "/api/print/batch", json={"documents": [
        {"kind": "invoices", "id": second["id"]}, {"kind": "service-renderings", "id": act["id"]},
        {"kind": "invoices", "id": first["id"]}]})
    assert r.headers["content-type"] == "application/pdf"
    pages = pdf_pages(r.content)
    assert len(pages) == 3
    assert "Счёт на оплату № 2 от 22 декабря 2021 г." in pages[0]
    assert "Двести рублей 00 копеек" in pages[0]
    assert "Акт об оказании услуг № 1 от 22 декабря 2021 г." in pages[1] and "Триста рублей 00 копеек" in pages[1]
    assert "Счёт на оплату № 1 от 22 декабря 2021 г." in pages[2] and "Сто рублей 00 копеек" in pages[2]
    assert all("Страница 1 из 1" in page for page in pages), "each document keeps its own page numbers"
    # Each document is kept in the registry with its own pages.
    ids = [int(i) for i in r.headers["x-generated-document-ids"].split(",")]
    assert len(ids) == 3
    kept = await api.raw("GET", f"/api/generated-documents/{ids[1]}/download")
    assert pdf_pages(kept.content) == [pages[1]]
    assert await generated_count(db) == 3


async def test_batch_with_one_form_for_all_and_bad_batches(api, clinic, db):
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "100")), post=True)
    act = await api.create("service-renderings", rendering_data(clinic, (clinic.service, "1", "100")), post=True)
    text = pdf_text((await api.raw("POST", "/api/print/batch", json={
        "documents": [{"kind": "invoices", "id": doc["id"]}], "form": "invoice"})).content)
    assert "Счёт на оплату № 1" in text
    wrong_form = await api.post("/api/print/batch", {"documents": [
        {"kind": "invoices", "id": doc["id"]}, {"kind": "service-renderings", "id": act["id"]}],
        "form": "invoice"}, status=422)
    assert wrong_form["code"] == "unknown_print_form"
    empty = await api.post("/api/print/batch", {"documents": []}, status=422)
    assert empty["details"]["fields"] == {"documents": "выберите хотя бы один документ"}
    unknown = await api.post("/api/print/batch", {"documents": [{"kind": "invoices", "id": 999}]}, status=404)
    assert unknown["message"] == "Документ «Счёт на оплату» с id 999 не найден"
    not_printable = await api.post("/api/print/batch", {"documents": [{"kind": "money-transfers", "id": 1}]},
                                   status=404)
    assert not_printable["code"] == "no_print_forms"
    assert await generated_count(db) == 1


async def test_registry_keeps_each_attribute_and_filters_by_it(api, clinic, client, users, db):
    lead = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "100"), amocrm_lead_id=219219),
                            post=True)
    other = await api.create("invoices", invoice_data(clinic, (clinic.goods, "1", "25")), post=True)
    act = await api.create("service-renderings", rendering_data(clinic, (clinic.service, "1", "100")), post=True)
    await api.pdf(f"/api/documents/invoices/{lead['id']}/print/invoice")
    manager = Api(client, await users.headers("manager"))
    await manager.pdf(f"/api/documents/invoices/{other['id']}/print/invoice")
    await manager.pdf(f"/api/documents/service-renderings/{act['id']}/print/act")

    page = await api.get("/api/generated-documents")
    assert [(g["document_kind"], g["document_id"]) for g in page["items"]] == [
        ("service-renderings", act["id"]), ("invoices", other["id"]), ("invoices", lead["id"])]
    first = page["items"][-1]
    admin_id = await db.fetchval("SELECT id FROM users WHERE username = 'admin-user'")
    assert {k: first[k] for k in ("document_number", "document_date", "amocrm_lead_id", "form", "document_type",
                                  "user_id", "user_name", "organization_id", "organization", "client_id",
                                  "posted", "facsimile", "file_name", "sent_to")} == {
        "document_number": "К0000000001", "document_date": "2021-12-22", "amocrm_lead_id": 219219,
        "form": "invoice", "document_type": "Счёт", "user_id": admin_id, "user_name": "admin-user",
        "organization_id": clinic.org, "organization": "Клиника", "client_id": clinic.client, "posted": True,
        "facsimile": False, "file_name": "Счёт на оплату № 1 от 22.12.2021.pdf", "sent_to": None}
    assert dt.datetime.fromisoformat(first["generated_at"]).utcoffset() == dt.timedelta(hours=3)

    async def ids(**filters) -> list[int]:
        return [g["document_id"] for g in (await api.get("/api/generated-documents", **filters))["items"]]

    manager_id = await db.fetchval("SELECT id FROM users WHERE username = 'manager-user'")
    assert await ids(amocrm_lead_id=219219) == [lead["id"]]
    assert await ids(form="act") == [act["id"]]
    assert await ids(document_type="Счёт") == [other["id"], lead["id"]]
    assert await ids(user_id=manager_id) == [act["id"], other["id"]]
    assert await ids(document_kind="invoices", document_id=other["id"]) == [other["id"]]
    assert await ids(organization_id=clinic.org) == [act["id"], other["id"], lead["id"]]
    assert await ids(organization_id=clinic.org + 1) == []
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=3))).date()
    assert len(await ids(generated_from=today.isoformat(), generated_to=today.isoformat())) == 3
    assert await ids(generated_to=(today - dt.timedelta(days=1)).isoformat()) == []

    download = await api.raw("GET", page["items"][0]["download_url"])
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "Акт об оказании услуг № 1 от 22 декабря 2021 г." in pdf_text(download.content)
    assert (await api.get("/api/generated-documents/999", status=404))["code"] == "generated_not_found"


async def test_registry_pages_by_25_50_100_200(api, clinic, db):
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "100")), post=True)
    r = await api.raw("GET", f"/api/documents/invoices/{doc['id']}/print/invoice")
    # 60 stored PDFs of that document, as 60 prints would leave them.
    await db.execute("INSERT INTO generated_documents (document_kind, document_id, document_number, form,"
                     " document_type, file_name, content, size_bytes, generated_at)"
                     " SELECT 'invoices', $1, 'К0000000001', 'invoice', 'Счёт', 'f.pdf', $2, 1,"
                     " now() - make_interval(mins => g) FROM generate_series(1, 59) g", doc["id"], r.content)
    seen, after = [], None
    while True:
        page = await api.get("/api/generated-documents", limit=25, **({"after": after} if after else {}))
        seen += [g["id"] for g in page["items"]]
        after = page["next"]
        if not after:
            break
    assert len(seen) == 60 and len(set(seen)) == 60
    assert len((await api.get("/api/generated-documents", limit=50))["items"]) == 50
    assert (await api.get("/api/generated-documents", limit=200))["next"] is None
    error = await api.get("/api/generated-documents", limit=30, status=422)
    assert error["details"]["fields"] == {"limit": "размер страницы: 25, 50, 100, 200"}


async def test_a_large_batch_is_shared_between_worker_processes_and_keeps_its_order(api, clinic, db):
    from erp.printing.render import PARALLEL_FROM

    count = PARALLEL_FROM + 1
    docs = [await api.create("invoices", invoice_data(clinic, (clinic.service, "1", f"{100 + n}")), post=True)
            for n in range(count)]
    r = await api.raw("POST", "/api/print/batch", json={
        "documents": [{"kind": "invoices", "id": d["id"]} for d in reversed(docs)]})
    pages = pdf_pages(r.content)
    assert len(pages) == count
    for page, n in zip(pages, reversed(range(count)), strict=True):
        assert f"Счёт на оплату № {n + 1} от 22 декабря 2021 г." in page
        assert f"Всего к оплате: {100 + n},00" in page
    assert await generated_count(db) == count
