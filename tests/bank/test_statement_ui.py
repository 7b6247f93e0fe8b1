"""«Загрузить выписку» in the web UI: from the payments list to the page, the preview with the row that needs
a choice, the choice made in the form, the statement loaded without choosing the file again; a broken file
is said in Russian; a manager does not get the page."""

from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path

from tests.ui.test_accessibility import Controls

FILES = Path(__file__).parent / "statements"
CONTENT = re.compile(r'name="content" value="([^"]+)"')


async def test_an_accountant_previews_chooses_and_loads_a_statement(browser, api, clinic):
    buyer = await api.item("clients", {"name": "ООО «Ромашка»", "kind": "company", "inn": "7701234560",
                                       "kpp": "770101001"})
    bills = [await api.create("invoices", {
        "date": "2026-11-30T12:00:00", "organization_id": clinic.org, "bank_account_id": clinic.account,
        "client_id": buyer["id"], "lines": [{"nomenclature_id": clinic.service, "quantity": "3", "price": "1500"}]},
        post=True) for _ in range(2)]
    payments = (await browser.get("/documents/payments")).text
    assert 'href="/bank-statements"' in payments and "Загрузить выписку" in payments
    assert "Загрузка выписки банка" in (await browser.get("/documents")).text
    page = (await browser.get("/bank-statements")).text
    assert "Загрузка выписки банка" in page and "kl_to_1c.txt" in page

    content = (FILES / "kl_to_1c_windows.txt").read_bytes()
    r = await browser.post("/bank-statements/preview", {}, status=200, htmx=True,
                           files={"file": ("kl_to_1c.txt", content, "text/plain")})
    assert "ООО «Ромашка»" in r.text and "Сидорова Анна Петровна" in r.text
    assert 'data-status="unmatched"' in r.text and "Нужен выбор" in r.text
    assert "Оплата поставщику" in r.text and 'name="row-2-client_id"' in r.text
    # the purpose names invoice № 1; both of the client's open invoices are offered
    chosen = re.search(r'<select id="row-1-invoice".*?</select>', r.text, re.S).group(0)
    assert f'<option value="{bills[0]["id"]}" selected>' in chosen and f'value="{bills[1]["id"]}"' in chosen
    for html in (page, r.text):  # every control of the page and of the preview has its label
        controls = Controls()
        controls.feed(html)
        assert controls.controls and controls.unlabelled() == []
    stash = CONTENT.search(r.text)
    assert stash, "the preview carries the statement"

    # the accountant picks Иванов for Сидорова's payment…
    # …and loads, the file not chosen again, paying the second invoice rather than the first
    r = await browser.post("/bank-statements", {
        "content": stash.group(1), "row-1-client_id": buyer["id"], "row-1-invoice_for": buyer["id"],
        "row-1-invoice_id": bills[1]["id"], "row-2-client_id": clinic.client, "row-3-operation": "to_supplier"},
        status=200, htmx=True)
    assert "Выписка загружена" in r.text and "Создано и проведено документов: 3" in r.text
    assert r.text.count("Проведён") == 3 and "/documents/payments/" in r.text
    rows = await api.balance("money", organization_id=clinic.org, account_kind="bank-accounts",
                             account_id=clinic.account)
    assert D(rows[0]["amount"]) == D("4750.00")
    paid = await api.get("/api/documents/payments", client_id=buyer["id"])
    assert [(p["amount"], p["invoice_id"]) for p in paid["items"]] == [("4500.00", bills[1]["id"])]
    assert [(await api.get(f"/api/documents/invoices/{b['id']}"))["status"] for b in bills] == ["unpaid", "paid"]

    again = await browser.post("/bank-statements", {"content": stash.group(1)}, status=200, htmx=True)
    assert again.text.count("Загружен раньше") == 3


async def test_a_broken_statement_is_said_in_russian_and_a_manager_gets_no_page(browser, login_as, clinic):
    r = await browser.post("/bank-statements/preview", {}, status=422, htmx=True,
                           files={"file": ("kl_to_1c.txt", (FILES / "broken_header.txt").read_bytes(), "text/plain")})
    assert "Выписка не загружена" in r.text and "1CClientBankExchange" in r.text
    r = await browser.post("/bank-statements/preview", {}, status=422, htmx=True)
    assert "выберите файл выписки" in r.text
    manager = await login_as("manager")
    await manager.get("/bank-statements", status=403)
    assert "Загрузить выписку" not in (await manager.get("/documents/payments")).text


async def test_what_a_statement_says_is_shown_as_text_never_as_markup(browser, clinic):
    hostile = "\r\n".join((
        "1CClientBankExchange", "ВерсияФормата=1.03", "РасчСчет=40702810938000000001",
        "СекцияДокумент=Платежное <b>поручение</b>", "Номер=<i>1</i>", "Дата=01.12.2026", "Сумма=10.00",
        "ПлательщикСчет=40702810400000012345", "ПлательщикИНН=<img src=x onerror=alert(1)>",
        "Плательщик1=<script>alert(1)</script>", "ПолучательСчет=40702810938000000001",
        "НазначениеПлатежа=\"><svg onload=alert(2)>", "КонецДокумента", "КонецФайла")).encode("cp1251")
    r = await browser.post("/bank-statements/preview", {}, status=200, htmx=True,
                           files={"file": ("kl_to_1c.txt", hostile, "text/plain")})
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<svg" not in r.text and "<img" not in r.text and "<b>поручение" not in r.text
    broken = await browser.post("/bank-statements/preview", {}, status=422, htmx=True,
                                files={"file": ("kl_to_1c.txt", b"<script>alert(3)</script>", "text/plain")})
    assert "<script>alert(3)" not in broken.text and "&lt;script&gt;alert(3)" in broken.text
