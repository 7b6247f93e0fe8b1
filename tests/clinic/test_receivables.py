"""Дебиторская задолженность по срокам (issue 15 point 6): on a date, what each client still owes on
posted invoices, in buckets by days past «Оплатить до» (0–30 — the ones not yet due too — 31–60,
61–90, 90+), exactly at the boundary days; overdue invoices flagged and listed in the drill-down;
payments made later and paid invoices do not count; an invoice without «Оплатить до» is due after
the configured term; Excel holds the same numbers; bad input is a Russian 4xx, never a 500."""

from __future__ import annotations

import datetime as dt

from erp.services.receivables import BUCKETS, bucket
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures)
from tests.ui.test_reports import sheet_rows

REPORT = "/api/reports/receivables"
DAY = dt.date(2030, 3, 31)
# days past due on DAY → the amount of its invoice (powers of two: every sum names its invoices)
AGES = {-5: "1.00", 0: "2.00", 30: "4.00", 31: "8.00", 60: "16.00", 61: "32.00", 90: "64.00", 91: "128.00"}


def test_the_buckets_at_their_boundary_days():
    assert [bucket(d) for d in (-400, -5, 0, 1, 30, 31, 60, 61, 90, 91, 5000)] == [0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3]
    assert BUCKETS == ("0–30", "31–60", "61–90", "90+")


async def invoice(api, clinic, amount: str, due: dt.date | None, date: str = "2029-11-01T10:00:00",
                  client: int | None = None, post: bool = True, **header) -> dict:
    return await api.create("invoices", {
        "date": date, "organization_id": clinic.org, "bank_account_id": clinic.account,
        "client_id": client or clinic.client, "due_date": due.isoformat() if due else None,
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": amount}], **header}, post=post)


async def pay(api, clinic, invoice_id: int, amount: str, date: str, client: int | None = None) -> dict:
    return await api.create("payments", {
        "date": date, "organization_id": clinic.org, "client_id": client or clinic.client, "amount": amount,
        "method": "bank", "bank_account_id": clinic.account, "invoice_id": invoice_id}, post=True)


async def aged(api, clinic) -> dict[int, dict]:
    """One invoice of the client per age of :data:`AGES`, by days past due on :data:`DAY`."""
    return {days: await invoice(api, clinic, amount, DAY - dt.timedelta(days=days)) for days, amount in AGES.items()}


async def test_each_invoice_falls_into_its_bucket_at_the_boundaries(api, clinic):
    made = await aged(api, clinic)
    report = await api.get(REPORT, date=DAY.isoformat())
    assert report["buckets"] == ["0–30", "31–60", "61–90", "90+"] and report["payment_days"] == 5
    [row] = report["rows"]
    assert (row["client_id"], row["client"]) == (clinic.client, "Иванов Иван Иванович")
    assert row["buckets"] == ["7.00", "24.00", "96.00", "128.00"]  # -5, 0, 30 | 31, 60 | 61, 90 | 91
    assert (row["total"], row["overdue"], row["invoices"], row["overdue_invoices"]) == ("255.00", "252.00", 8, 6)
    assert (report["total"], report["overdue"], report["bucket_totals"]) == (
        "255.00", "252.00", ["7.00", "24.00", "96.00", "128.00"])
    # a day later every invoice is a day older: 30 → 31, 60 → 61, 90 → 91
    later = await api.get(REPORT, date=(DAY + dt.timedelta(days=1)).isoformat())
    assert later["rows"][0]["buckets"] == ["3.00", "12.00", "48.00", "192.00"]
    assert later["rows"][0]["overdue"] == "254.00"  # the one due that day is now a day late

    # the drill-down: every invoice, the oldest due first, flagged; only the overdue ones; one bucket's
    found = await api.get(f"{REPORT}/invoices", client_id=clinic.client, date=DAY.isoformat())
    assert [(r["id"], r["days_past_due"], r["bucket"], r["overdue"], r["amount_due"]) for r in found["rows"]] == [
        (made[d]["id"], d, BUCKETS[bucket(d)], d > 0, AGES[d]) for d in sorted(AGES, reverse=True)]
    assert found["rows"][0]["due_date"] == "2029-12-30" and found["rows"][0]["due_date_assumed"] is False
    assert (found["total"], found["overdue"], found["client"]) == ("255.00", "252.00", "Иванов Иван Иванович")
    overdue = await api.get(f"{REPORT}/invoices", client_id=clinic.client, date=DAY.isoformat(), overdue="true")
    assert {r["id"] for r in overdue["rows"]} == {made[d]["id"] for d in (30, 31, 60, 61, 90, 91)}
    second = await api.get(f"{REPORT}/invoices", client_id=clinic.client, date=DAY.isoformat(), bucket=1)
    assert [r["id"] for r in second["rows"]] == [made[60]["id"], made[31]["id"]] and second["bucket"] == "31–60"
    assert second["total"] == row["buckets"][1]


async def test_what_is_still_due_on_the_date_counts_and_nothing_else(api, clinic):
    other = await api.item("clients", {"name": "ООО «Ромашка»", "kind": "company"})
    partly = await invoice(api, clinic, "100.00", DAY - dt.timedelta(days=45))
    paid = await invoice(api, clinic, "70.00", DAY - dt.timedelta(days=10))
    await pay(api, clinic, partly["id"], "30.00", "2030-02-01T10:00:00")
    await pay(api, clinic, paid["id"], "70.00", "2030-03-01T10:00:00")
    late_payment = await invoice(api, clinic, "50.00", DAY - dt.timedelta(days=100))
    await pay(api, clinic, late_payment["id"], "50.00", "2030-04-05T10:00:00")  # after the report's day
    await invoice(api, clinic, "999.00", DAY, date="2030-04-02T10:00:00")  # written after the day
    await invoice(api, clinic, "888.00", DAY - dt.timedelta(days=70), post=False)  # a draft asks nothing
    # no «Оплатить до»: due 5 days (the default term) after its date, 20.03 + 5 = 25.03, 6 days late
    bare = await invoice(api, clinic, "10.00", None, date="2030-03-20T01:30:00", client=other["id"])

    report = await api.get(REPORT, date=DAY.isoformat())
    assert [(r["client"], r["buckets"], r["overdue"]) for r in report["rows"]] == [
        ("Иванов Иван Иванович", ["0.00", "70.00", "0.00", "50.00"], "120.00"),
        ("ООО «Ромашка»", ["10.00", "0.00", "0.00", "0.00"], "10.00")]
    found = await api.get(f"{REPORT}/invoices", client_id=other["id"], date=DAY.isoformat())
    assert [(r["id"], r["due_date"], r["due_date_assumed"], r["days_past_due"]) for r in found["rows"]] == [
        (bare["id"], "2030-03-25", True, 6)]
    # the payment made after the day counts from its day on; the client filter keeps one client
    after = await api.get(REPORT, date="2030-04-05", client_id=clinic.client)
    assert [(r["client"], r["total"]) for r in after["rows"]] == [("Иванов Иван Иванович", "1069.00")]
    assert (await api.get(REPORT, date="2029-10-31"))["rows"] == []
    # another organization owes nothing here
    branch = await api.item("organizations", {"name": "Филиал", "full_name": "ООО «Филиал»", "inn": "7707083893",
                                              "kpp": "773601002", "ogrn": "1027700132195", "vat_rate": "none"})
    assert (await api.get(REPORT, date=DAY.isoformat(), organization_id=branch["id"]))["rows"] == []
    # unposting takes an invoice out
    await api.post(f"/api/documents/invoices/{bare['id']}/unpost")
    assert [r["client"] for r in (await api.get(REPORT, date=DAY.isoformat()))["rows"]] == ["Иванов Иван Иванович"]


async def test_bad_input_is_a_russian_4xx_and_only_readers_read_it(api, clinic, client, users):
    headers = await users.headers("admin")
    for path in (REPORT, f"{REPORT}/invoices"):
        for bad in ("10000-01-01", "9999-12-31", "2030-02-30", "вчера", "2030-01-01\x00"):
            r = await client.get(path, params={"date": bad, "client_id": clinic.client}, headers=headers)
            assert 400 <= r.status_code < 500 and r.json()["code"], (path, bad, r.status_code)
            assert any("а" <= ch <= "я" for ch in r.json()["message"].lower())
        for name in ("organization_id", "client_id"):
            for bad in (str(2**63), "0", "-3", "x", "1\x00"):
                r = await client.get(path, params={name: bad}, headers=headers)
                assert 400 <= r.status_code < 500 and r.json()["code"], (path, name, bad, r.status_code)
    error = await api.get(f"{REPORT}/invoices", expect=422)
    assert error["details"]["fields"] == {"client_id": "обязательный параметр не передан"}
    error = await api.get(f"{REPORT}/invoices", expect=422, client_id=clinic.client, bucket=4)
    assert error["details"]["fields"] == {"bucket": "номер интервала от 0 до 3"}
    for bad in (str(2**70), "x"):
        r = await client.get(f"{REPORT}/invoices", params={"client_id": clinic.client, "bucket": bad},
                             headers=headers)
        assert 400 <= r.status_code < 500 and r.json()["code"], bad

    await invoice(api, clinic, "10.00", DAY - dt.timedelta(days=40))
    for role in ("manager", "accountant", "admin"):
        r = await client.get(REPORT, params={"date": DAY.isoformat()}, headers=await users.headers(role))
        assert r.status_code == 200 and r.json()["overdue"] == "10.00", role
    assert (await client.get(REPORT)).status_code == 401
    assert (await client.get(f"{REPORT}/invoices", params={"client_id": clinic.client})).status_code == 401


async def test_the_page_flags_overdue_drills_down_and_exports(browser, api, clinic, login_as):  # noqa: F811
    made = await aged(api, clinic)
    page = (await browser.get("/reports")).text
    assert 'href="/reports/receivables"' in page and "Дебиторская задолженность по срокам" in page
    page = (await browser.get(f"/reports/receivables?date={DAY}")).text.replace("\xa0", " ")
    assert "Дебиторская задолженность по срокам на 31.03.2030" in page and 'data-report="receivables"' in page
    assert "Иванов Иван Иванович" in page and "252,00" in page and 'data-chart="bars"' in page
    assert "более 90 дн." in page and "data-overdue" in page
    link = f"/reports/receivables/invoices?client_id={clinic.client}&amp;date={DAY}"
    assert f'href="{link}"' in page and f'href="{link}&amp;overdue=1"' in page and f'href="{link}&amp;bucket=3"' in page
    rows = sheet_rows((await browser.get(f"/reports/receivables?date={DAY}&format=xlsx")).content)
    assert rows[0] == ("Клиент", "Долг по счетам", "Просрочено", "0–30 дн.", "31–60 дн.", "61–90 дн.", "более 90 дн.")
    assert rows[1:] == [("Иванов Иван Иванович", 255, 252, 7, 24, 96, 128), ("Итого", 255, 252, 7, 24, 96, 128)]

    drill = (await browser.get(link.replace("&amp;", "&") + "&overdue=1")).text.replace("\xa0", " ")
    assert "Счета клиента по срокам: Иванов Иван Иванович на 31.03.2030" in drill
    assert drill.count("data-overdue") == 6 and "просрочен 91 дн." in drill
    assert f'href="/documents/invoices/{made[91]["id"]}"' in drill
    assert f'href="/documents/invoices/{made[0]["id"]}"' not in drill
    every = (await browser.get(link.replace("&amp;", "&"))).text
    assert every.count("data-overdue") == 6 and every.count("в срок") == 2
    rows = sheet_rows((await browser.get(link.replace("&amp;", "&") + "&format=xlsx")).content)
    assert rows[0] == ("Счёт", "Дата", "Организация", "Оплатить до", "Сумма", "Осталось оплатить", "Дней просрочки",
                       "Интервал, дн.", "Просрочен")
    assert [(r[5], r[6], r[7], r[8]) for r in rows[1:-1]] == [
        (128, 91, "более 90", "Да"), (64, 90, "61–90", "Да"), (32, 61, "61–90", "Да"), (16, 60, "31–60", "Да"),
        (8, 31, "31–60", "Да"), (4, 30, "0–30", "Да"), (2, 0, "0–30", "Нет"), (1, 0, "0–30", "Нет")]
    assert rows[-1][0] == "Итого" and rows[-1][5] == 255
    assert "ожидается дата ГГГГ-ММ-ДД" in (await browser.get("/reports/receivables?date=2030-13-01", status=422)).text

    manager = await login_as("manager")
    assert "Иванов Иван Иванович" in (await manager.get(f"/reports/receivables?date={DAY}")).text
    await browser.post("/locale", {"lang": "en", "next": "/reports"})
    english = (await browser.get(f"/reports/receivables?date={DAY}")).text
    assert "Receivables ageing" in english and "over 90 days" in english
