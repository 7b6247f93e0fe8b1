"""One list service for the REST API and the UI (issue 21, point 9).

A catalog or document list asked with the same parameters shows the same rows in
the same order over ``/api/...`` and on the page, whichever filter it is (search,
flags, period, organization, number, group, order, pages), and a ``%``, ``_`` or
``\\`` typed into the search is a letter, never "anything".
"""

from __future__ import annotations

import re

from tests.ui.conftest import DAY


def on_page(html: str, base: str) -> list[int]:
    """The ids of a list's rows, top to bottom."""
    return [int(i) for i in re.findall(rf'data-href="{base}/(\d+)"', html)]


async def both(api, browser, base: str, params: dict[str, str]) -> tuple[list[int], list[int]]:
    """The rows of the same list asked the same way: over the API and in the UI."""
    listed = await api.get(f"/api{base}", **params)
    page = (await browser.get(base, params=params)).text
    return [item["id"] for item in listed["items"]], on_page(page, base)


LITERALS = {  # what is typed → the names it must find, and nothing else
    "50%": {"Скидка 50% постоянным"},
    "%": {"Скидка 50% постоянным"},
    "в_П": {"Иванов_Петров"},
    "_": {"Иванов_Петров"},
    "\\": {"Back\\slash"},
    "k\\s": {"Back\\slash"},
}
LOOKALIKES = ["Скидка 50% постоянным", "Скидка 500 постоянным", "Иванов_Петров", "ИвановXПетров",
              "Back\\slash", "Backslash"]


async def test_percent_underscore_and_backslash_find_just_themselves_over_the_api_and_in_the_ui(
        api, browser, clinic):
    clients = {(await api.item("clients", {"name": name, "kind": "person"}))["id"]: name for name in LOOKALIKES}
    invoices = {}
    for comment in LOOKALIKES:
        doc = await api.create("invoices", {
            "date": f"{DAY}T09:00:00", "organization_id": clinic.org, "client_id": clinic.client,
            "comment": comment, "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1"}]})
        invoices[doc["id"]] = comment
    for typed, expected in LITERALS.items():
        api_rows, ui_rows = await both(api, browser, "/catalogs/clients", {"q": typed, "limit": "200"})
        assert {clients.get(i) for i in api_rows} == expected, typed
        assert {clients.get(i) for i in ui_rows} == expected, typed
        api_rows, ui_rows = await both(api, browser, "/documents/invoices", {"q": typed, "limit": "200"})
        assert {invoices.get(i) for i in api_rows} == expected, typed
        assert {invoices.get(i) for i in ui_rows} == expected, typed


def rendering(clinic, org: int, day: str, quantity: str, comment: str = "") -> dict:
    return {"date": f"{day}T12:00:00", "organization_id": org, "client_id": clinic.client,
            "doctor_id": clinic.efimova, "comment": comment,
            "lines": [{"nomenclature_id": clinic.service, "quantity": quantity, "price": "1500"}]}


async def test_every_document_filter_gives_the_same_rows_over_the_api_and_in_the_ui(api, browser, clinic):
    branch = await api.item("organizations", {"name": "Филиал на Арбате", "inn": "500100732259"})
    docs = [await api.create("service-renderings", rendering(clinic, org, day, q, comment), post=posted)
            for org, day, q, comment, posted in (
                (clinic.org, DAY, "1", "первичный", True), (clinic.org, "2030-01-15", "3", "", False),
                (branch["id"], DAY, "2", "повторный", True), (branch["id"], "2030-02-01", "4", "", True),
                (clinic.org, "2030-02-02", "5", "", False))]
    await api.post(f"/api/documents/service-renderings/{docs[4]['id']}/mark-deletion")
    cases = [
        {}, {"organization_id": str(branch["id"])}, {"posted": "true"}, {"posted": "0"},
        {"deletion_mark": "1"}, {"deletion_mark": "false"}, {"start": DAY, "end": "2030-01-31"},
        {"q": "Арбат"},  # the organization's name
        {"q": "повтор"},  # the comment
        {"q": docs[1]["number"][-3:]},
        {"number": docs[3]["number"]}, {"comment": "повторный"}, {"amount_total": "4500"},
        {"sort": "amount_total"}, {"sort": "-amount_total"}, {"sort": "number"}, {"sort": "date"},
        {"organization_id": str(clinic.org), "posted": "false", "sort": "-amount_total"},
    ]
    for params in cases:
        api_rows, ui_rows = await both(api, browser, "/documents/service-renderings", params)
        assert api_rows == ui_rows, params
    ids = [d["id"] for d in docs]
    arbat, _ = await both(api, browser, "/documents/service-renderings", {"q": "Арбат"})
    assert sorted(arbat) == sorted(ids[2:4])
    by_amount, _ = await both(api, browser, "/documents/service-renderings", {"sort": "-amount_total"})
    assert by_amount == [ids[4], ids[3], ids[1], ids[2], ids[0]]
    assert (await both(api, browser, "/documents/service-renderings", {"amount_total": "4500"}))[0] == [ids[1]]
    january, _ = await both(api, browser, "/documents/service-renderings", {"start": DAY, "end": "2030-01-31"})
    assert january == [ids[1], ids[2], ids[0]]  # newest first; the same day by id, newest first


async def test_every_catalog_filter_and_page_is_the_same_over_the_api_and_in_the_ui(api, browser, clinic):
    for i in range(30):
        await api.item("clients", {"name": f"Пациент {i:02d}", "kind": "person",
                                   "phone": f"+7 900 000-00-{29 - i:02d}"})
    company = await api.item("clients", {"name": "ООО «Вектор»", "kind": "company", "inn": "7707083893"})
    await api.post(f"/api/catalogs/clients/{company['id']}/mark-deletion")
    cases = [{}, {"q": "пациент 1"}, {"kind": "company"}, {"deletion_mark": "true"}, {"deletion_mark": "0"},
             {"sort": "-name"}, {"sort": "code"}, {"sort": "phone"}, {"phone": "+7 900 000-00-07"},
             {"q": "Пациент", "kind": "person", "sort": "-name"}]
    for params in cases:
        api_rows, ui_rows = await both(api, browser, "/catalogs/clients", params)
        assert api_rows == ui_rows, params
    names = [c["name"] for c in (await api.get("/api/catalogs/clients", sort="-name", limit="200"))["items"]]
    assert names == sorted(names, reverse=True) and names[0] == "Пациент 29"
    # page by page: the API's next page is the page the UI's "next" link shows
    first = await api.get("/api/catalogs/clients", limit="25")
    page = (await browser.get("/catalogs/clients", params={"limit": "25"})).text
    assert [c["id"] for c in first["items"]] == on_page(page, "/catalogs/clients")
    link = re.search(r'href="(/catalogs/clients\?[^"]*after=[^"]+)"', page).group(1).replace("&amp;", "&")
    second = await api.get("/api/catalogs/clients", limit="25", after=first["next"])
    assert [c["id"] for c in second["items"]] == on_page((await browser.get(link)).text, "/catalogs/clients")
    assert len(second["items"]) == 34 - 25 and second["next"] is None


async def test_a_catalogs_group_filter_works_in_the_ui_as_over_the_api(api, browser, clinic):
    group = await api.item("nomenclature", {"name": "Анализы", "is_group": True, "kind": "service"})
    inside = await api.item("nomenclature", {"name": "Общий анализ крови", "parent_id": group["id"],
                                             "kind": "service"})
    in_group, ui_rows = await both(api, browser, "/catalogs/nomenclature", {"parent_id": str(group["id"])})
    assert in_group == ui_rows == [inside["id"]]
    top, ui_rows = await both(api, browser, "/catalogs/nomenclature", {"parent_id": "null"})
    assert top == ui_rows and group["id"] in top and inside["id"] not in top


async def test_a_forged_cursor_or_page_size_is_a_clear_refusal_on_both_sides(api, browser, clinic):
    for base in ("/catalogs/clients", "/documents/invoices"):
        r = await api.client.get(f"/api{base}", params={"after": "eyJ"}, headers=api.headers)
        assert r.status_code == 422 and r.json()["code"] == "invalid_cursor"
        page = await browser.get(base, status=422, params={"after": "eyJ"})
        assert "неверный курсор страницы" in page.text
        r = await api.client.get(f"/api{base}", params={"limit": str(10**30)}, headers=api.headers)
        assert 400 <= r.status_code < 500, r.text
        r = await api.client.get(f"/api{base}", params={"limit": "1000000"}, headers=api.headers)
        assert r.status_code == 422 and "limit" in r.json()["details"]["fields"]
        r = await api.client.get(f"/api{base}", params={"q": "a\x00b"}, headers=api.headers)
        assert r.status_code == 422 and r.json()["code"] == "invalid_text"


async def test_the_logs_filter_the_same_over_the_api_and_in_the_ui(api, browser, db, clinic, users):
    """The exchange log by direction and event, the audit log by user: filters the API had, now on the page too."""
    out, incoming = [await db.fetchval(
        "INSERT INTO amocrm_events (direction, kind, lead_id, state, payload) VALUES ($1, $2, 219219, $3, '{}')"
        " RETURNING id", *values) for values in (("out", "budget", "failed"), ("in", "lead_lost", "delivered"))]
    cases = (({"direction": "in"}, [incoming]), ({"direction": "out"}, [out]), ({"kind": "lead_lost"}, [incoming]),
             ({"kind": "budget", "state": "failed"}, [out]), ({}, [incoming, out]))
    for params, expected in cases:
        listed = await api.get("/api/amocrm/exchange-log", **params)
        page = (await browser.get("/integrations/exchange-log", params=params)).text
        assert [e["id"] for e in listed["items"]] == expected, params
        assert [int(i) for i in re.findall(r'data-event="(\d+)"', page)] == expected, params
    accountant = await users.headers("accountant")
    r = await api.client.post("/api/catalogs/clients", json={"name": "Клиент бухгалтера", "kind": "person"},
                              headers=accountant)
    assert r.status_code == 201, r.text
    admin = await db.fetchval("SELECT id FROM users WHERE username = 'admin-user'")
    mine = await api.get("/api/audit-log", user_id=str(admin), object_kind="catalog:clients")
    page = (await browser.get("/admin/audit-log", params={"user_id": str(admin),
                                                          "object_kind": "catalog:clients"})).text
    assert mine["items"] and {e["username"] for e in mine["items"]} == {"admin-user"}
    assert [e["presentation"] for e in mine["items"]][:2] == ["ООО «МедСнаб»", "Иванов Иван Иванович"]
    assert all(e["presentation"] in page for e in mine["items"])
    assert "Клиент бухгалтера" not in page and "Клиент бухгалтера" not in {e["presentation"] for e in mine["items"]}
