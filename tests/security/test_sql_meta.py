"""SQL metacharacters in search and filters are data, never SQL.

Quotes, semicolons, comments, LIKE's ``%`` and ``_``, backslashes and the
classic injections go into the search box and every filter of the catalog
and document lists (API and UI), the pickers, the registers, the reports and
the exchange log. Nothing answers 5xx, a search finds exactly the names that
contain the typed text (``%`` finds only the name with a percent sign), and
every table is still there afterwards with the same rows.
"""

from __future__ import annotations

from urllib.parse import quote

from markupsafe import escape

from tests.clinic.conftest import counts

PAYLOADS = ["'", '"', ";", "--", "%", "_", "\\", "' OR 1=1 --", "'); DROP TABLE cat_clients; --",
            "1; DROP TABLE users", "%' OR '1'='1", "\\'", "*/ SELECT pg_sleep(5) /*", "$1", "NULL", "::text"]
NAMES = ["Скидка 50% постоянным", "Иванов_Петров", "O'Brien", "Back\\slash", 'Кавычки "Ромашка"',
         "Точка; с запятой", "Тире -- двойное", "Иванов Иван"]


def matching(q: str, names: list[str]) -> set[str]:
    return {n for n in names if q.strip().casefold() in n.casefold()}


def texts(html: str, names: list[str]) -> set[str]:
    """The names the page shows (escaped as Jinja escapes them)."""
    return {n for n in names if str(escape(n)) in html}


async def test_metacharacters_in_every_search_and_filter_are_harmless(browser, api, clinic, db):
    for name in NAMES:
        await api.item("clients", {"name": name, "kind": "person"})
    invoices = [await api.create("invoices", {
        "date": "2030-01-10T09:00:00", "organization_id": clinic.org, "client_id": clinic.client, "comment": comment,
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1"}]})
        for comment in ("Скидка 50% постоянным", "Без скидки")]
    all_names = [c["name"] for c in (await api.get("/api/catalogs/clients", limit=200))["items"]]
    tables = {r["tablename"] for r in await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    before = await counts(db)
    tried = 0
    for payload in PAYLOADS:
        found = {c["name"] for c in (await api.get("/api/catalogs/clients", q=payload, limit=200))["items"]}
        assert found == matching(payload, all_names), payload
        ui = (await browser.get(f"/catalogs/clients?q={quote(payload)}")).text
        assert texts(ui, all_names) == matching(payload, all_names), payload
        picker = (await browser.get(f"/lookup/clients?q={quote(payload)}", headers={"HX-Request": "true"})).text
        assert texts(picker, all_names) == matching(payload, all_names), payload
        tried += 3
        requests = [
            ("api", "/api/catalogs/clients", {"kind": payload}), ("api", "/api/catalogs/clients", {"inn": payload}),
            ("api", "/api/catalogs/clients", {"sort": payload}), ("api", "/api/catalogs/clients", {"after": payload}),
            ("api", "/api/catalogs/nomenclature", {"q": payload, "kind": payload}),
            ("api", "/api/documents/invoices", {"client_id": payload}),
            ("api", "/api/documents/invoices", {"comment": payload}),
            ("api", "/api/documents/invoices", {"posted": payload, "after": payload}),
            ("api", "/api/documents/requests", {"doctor_id": payload, "limit": payload}),
            ("api", "/api/registers/stock/balance", {"warehouse_id": payload, "at": payload}),
            ("api", "/api/registers/stock/turnovers", {"start": payload, "end": payload}),
            ("api", "/api/registers/settlements/balance", {"client_id": payload}),
            ("api", "/api/reports/invoices", {"status": payload, "client_id": payload}),
            ("api", "/api/reports/money", {"date": payload, "organization_id": payload}),
            ("api", "/api/reports/money/documents", {"organization_id": clinic.org, "account_kind": payload,
                                                     "account_id": clinic.desk, "direction": payload}),
            ("api", "/api/reports/receivables/invoices", {"client_id": clinic.client, "bucket": payload,
                                                          "date": payload}),
            ("api", "/api/amocrm/exchange-log", {"state": payload, "kind": payload, "direction": payload}),
            ("api", "/api/amocrm/exchange-log", {"lead_id": payload, "after": payload, "start": payload}),
            ("api", "/api/generated-documents", {"form": payload, "document_kind": payload}),
            ("ui", "/documents/invoices", {"q": payload}), ("ui", "/documents/invoices", {"client_id": payload}),
            ("ui", "/documents/invoices", {"sort": payload, "start": payload, "end": payload}),
            ("ui", "/catalogs/clients", {"kind": payload, "sort": payload, "after": payload}),
            ("ui", "/lookup/invoices", {"q": payload}), ("ui", "/lookup/doctors", {"q": payload}),
            ("ui", "/reports/stock", {"date": payload, "warehouse_id": payload}),
            ("ui", "/reports/settlements", {"date": payload, "client_id": payload}),
            ("ui", "/reports/sales", {"start": payload, "end": payload, "group": payload}),
            ("ui", "/reports/invoices", {"status": payload, "client_id": payload}),
            ("ui", "/reports/money/flow", {"start": payload, "organization_id": payload}),
            ("ui", "/reports/money/documents", {"organization_id": clinic.org, "account_kind": payload,
                                                "account_id": clinic.desk, "cash_flow_item_id": payload,
                                                "direction": payload, "without_item": payload}),
            ("ui", "/reports/receivables/invoices", {"client_id": clinic.client, "bucket": payload,
                                                     "overdue": payload, "organization_id": payload}),
            ("ui", "/integrations/exchange-log", {"state": payload, "lead_id": payload, "kind": payload}),
            ("ui", "/schedule", {"date": payload, "step": payload}),
            ("ui", "/admin/audit-log", {"q": payload, "user_id": payload, "object": payload}),
        ]
        for side, path, params in requests:
            client = browser.client
            r = await client.get(path, params=params, headers=api.headers if side == "api" else {})
            assert r.status_code < 500, f"{path} {params}: {r.status_code} {r.text[:300]}"
            tried += 1
    percent = (await browser.get("/documents/invoices?q=%25")).text
    assert f'/documents/invoices/{invoices[0]["id"]}"' in percent
    assert f'/documents/invoices/{invoices[1]["id"]}"' not in percent, "% matches only a comment with a percent"
    numbers = (await browser.get("/lookup/invoices?q=%25", headers={"HX-Request": "true"})).text
    assert 'data-id="' not in numbers and "Ничего не найдено" in numbers, "a typed % is a percent, not 'any number'"
    assert {r["tablename"] for r in await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")} \
        == tables
    assert await counts(db) == before
    assert tried == len(PAYLOADS) * 38
