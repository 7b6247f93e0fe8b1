"""Lists of catalogs and documents: search as you type, filters, sorting,
keyset paging with a remembered page size, 1C's icons, batch print, Excel."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.ui.conftest import DAY, schedule_month


def names_in(html: str) -> list[str]:
    """The names in a catalog list, top to bottom."""
    return re.findall(r'<a href="/catalogs/clients/\d+">([^<]+)</a>', html)


async def many_clients(api, n: int = 30) -> None:
    for i in range(n):
        await api.item("clients", {"name": f"Пациент {i:02d}", "kind": "person", "phone": f"+7 900 000-00-{i:02d}"})


async def test_search_as_you_type_returns_just_the_rows(browser, api, clinic):
    await many_clients(api, 5)
    r = await browser.get("/catalogs/clients?q=иванов", headers={"HX-Request": "true"})
    assert "<html" not in r.text  # a fragment for htmx
    assert names_in(r.text) == ["Иванов Иван Иванович"]
    page = (await browser.get("/catalogs/clients")).text
    assert 'hx-trigger="input changed delay:300ms from:#q' in page and 'id="list"' in page


async def test_sorting_by_a_column_in_both_directions(browser, api, clinic):
    await many_clients(api, 3)
    ascending = names_in((await browser.get("/catalogs/clients?sort=name&desc=0")).text)
    descending = names_in((await browser.get("/catalogs/clients?sort=name&desc=1")).text)
    assert ascending == sorted(ascending) and descending == list(reversed(ascending))
    page = (await browser.get("/catalogs/clients?sort=name&desc=1")).text
    assert 'aria-sort="descending"' in page


async def test_keyset_paging_and_the_page_size_is_remembered(browser, api, clinic):
    await many_clients(api, 30)
    first = (await browser.get("/catalogs/clients?limit=25")).text
    assert len(names_in(first)) == 25
    next_link = re.search(r'href="(/catalogs/clients\?[^"]*after=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = (await browser.get(next_link)).text
    rest = names_in(second)
    assert len(rest) == 33 - 25  # 30 patients, the clinic's two clients and the predefined one
    assert not set(rest) & set(names_in(first))
    back = re.search(r'href="(/catalogs/clients\?[^"]*before=[^"]+)"', second).group(1).replace("&amp;", "&")
    assert names_in((await browser.get(back)).text) == names_in(first)
    remembered = (await browser.get("/catalogs/clients")).text
    assert '<strong aria-current="true">25</strong>' in remembered and len(names_in(remembered)) == 25


async def test_document_filters_and_icons(browser, api, clinic):
    await schedule_month(api, clinic)
    posted = await api.create("requests", {"client_id": clinic.client, "doctor_id": clinic.efimova,
                                           "starts_at": f"{DAY}T09:00:00"}, post=True)
    draft = await api.create("requests", {"client_id": clinic.supplier, "doctor_id": clinic.ishaeva,
                                          "starts_at": f"{DAY}T10:00:00", "comment": "позвонить"})
    page = (await browser.get("/documents/requests")).text
    assert 'data-state="posted"' in page and 'data-state="draft"' in page
    only_posted = (await browser.get("/documents/requests?posted=1")).text
    assert f"/documents/requests/{posted['id']}" in only_posted
    assert f"/documents/requests/{draft['id']}" not in only_posted
    by_client = (await browser.get(f"/documents/requests?client_id={clinic.supplier}")).text
    assert f"/documents/requests/{draft['id']}" in by_client and f"/documents/requests/{posted['id']}" not in by_client
    assert "ООО «МедСнаб»" in by_client  # the chosen client is shown by name in its filter
    by_doctor = (await browser.get(f"/documents/requests?doctor_id={clinic.efimova}")).text
    assert f"/documents/requests/{posted['id']}" in by_doctor and f"/documents/requests/{draft['id']}" not in by_doctor
    searched = (await browser.get("/documents/requests?q=позвонить", headers={"HX-Request": "true"})).text
    assert f"/documents/requests/{draft['id']}" in searched and f"/documents/requests/{posted['id']}" not in searched
    outside = (await browser.get("/documents/requests?start=2031-01-01&end=2031-12-31")).text
    assert "Ничего не найдено" in outside
    await api.post(f"/api/documents/requests/{draft['id']}/mark-deletion")
    marked = (await browser.get("/documents/requests?deletion_mark=1")).text
    assert 'data-state="marked"' in marked and f"/documents/requests/{posted['id']}" not in marked


async def test_excel_exports_the_filtered_list(browser, api, clinic):
    await many_clients(api, 12)
    r = await browser.get("/catalogs/clients/export.xlsx?q=Пациент 1&sort=name&desc=1")
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Код", "Наименование")
    assert [row[1] for row in rows[1:]] == [f"Пациент {i:02d}" for i in (11, 10)]


async def test_invoices_list_shows_status_and_prints_a_selection(browser, api, clinic):
    invoice = await api.create("invoices", {"organization_id": clinic.org, "bank_account_id": clinic.account,
                                            "client_id": clinic.client, "lines": [
                                                {"nomenclature_id": clinic.service, "quantity": "1",
                                                 "price": "1500"}]}, post=True)
    page = (await browser.get("/documents/invoices")).text
    assert "Не оплачен" in page and "1 500,00" in page.replace("\xa0", " ")
    assert f'name="doc" value="{invoice["id"]}"' in page and 'action="/print/batch"' in page
    refused = await browser.post("/print/batch", {"kind": "invoices", "form": "invoice", "doc": invoice["id"]},
                                 status=422)
    assert "не заполнены реквизиты: адрес" in refused.text
    await api.patch(f"/api/catalogs/organizations/{clinic.org}", {"address": "Москва, ул. Тверская, 1",
                                                                    "director": "Смирнов А.А.",
                                                                    "chief_accountant": "Кузнецова Т.В."})
    r = await browser.post("/print/batch", {"kind": "invoices", "form": "invoice", "doc": invoice["id"]}, status=200)
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")


def rendering(clinic, org: int, quantity: str) -> dict:
    return {"date": f"{DAY}T12:00:00", "organization_id": org, "client_id": clinic.client,
            "doctor_id": clinic.efimova, "lines": [{"nomenclature_id": clinic.service, "quantity": quantity,
                                                     "price": "1500"}]}


def listed(html: str, kind: str) -> list[int]:
    """The documents of a list, top to bottom."""
    return [int(i) for i in re.findall(rf'data-href="/documents/{kind}/(\d+)"', html)]


async def test_a_document_list_filtered_by_organization(browser, api, clinic):
    branch = await api.item("organizations", {"name": "Филиал на Арбате", "inn": "500100732259"})
    main = [await api.create("service-renderings", rendering(clinic, clinic.org, q), post=True) for q in ("1", "3")]
    other = await api.create("service-renderings", rendering(clinic, branch["id"], "2"), post=True)
    page = (await browser.get(f"/documents/service-renderings?organization_id={branch['id']}")).text
    assert listed(page, "service-renderings") == [other["id"]]
    assert 'value="Филиал на Арбате"' in page  # the chosen organization, by name, in its filter
    page = (await browser.get(f"/documents/service-renderings?organization_id={clinic.org}")).text
    assert sorted(listed(page, "service-renderings")) == sorted(doc["id"] for doc in main)


async def test_a_document_list_sorted_by_its_amount_both_ways(browser, api, clinic):
    docs = {q: await api.create("service-renderings", rendering(clinic, clinic.org, q), post=True)
            for q in ("2", "3", "1")}
    ascending = (await browser.get("/documents/service-renderings?sort=amount_total&desc=0")).text
    assert listed(ascending, "service-renderings") == [docs[q]["id"] for q in ("1", "2", "3")]
    header = re.search(r'<a href="([^"]+)"[^>]*aria-sort="ascending">Сумма документа ▲</a>', ascending)
    assert header, "the column says it sorts ascending"
    descending = (await browser.get(header.group(1).replace("&amp;", "&"))).text  # a click on the header again
    assert listed(descending, "service-renderings") == [docs[q]["id"] for q in ("3", "2", "1")]
    assert 'aria-sort="descending">Сумма документа ▼</a>' in descending
    amounts = re.findall(r"(\d \d00,00)", descending.replace("\xa0", " ").replace("\u202f", " "))
    assert amounts[:3] == ["4 500,00", "3 000,00", "1 500,00"]
