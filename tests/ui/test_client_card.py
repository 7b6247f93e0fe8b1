"""Карточка клиента in the web UI (issue 17, point 1): the client's story with each row a link, the
buttons that open new documents prefilled for the client (only those the role may use), the sales
period with its errors next to the fields, and the ways in: the clients list and the client's form."""

from __future__ import annotations

import re

from tests.clinic.test_client_card import story
from tests.ui import test_accessibility as a11y


def table(html: str, name: str) -> str:
    start = html.index(f'data-card="{name}"')
    return html[start:html.index("</table>", start)]


async def test_the_card_shows_the_story_and_links_every_row(browser, api, clinic):
    docs = await story(api, clinic)
    page = (await browser.get(f"/clients/{clinic.client}")).text
    assert "Иванов Иван Иванович (Карточка клиента)" in page
    visits = table(page, "upcoming_appointments")
    assert f'href="/documents/requests/{docs["past"]["id"]}"' in visits and "Ефимова Е.В." in visits
    assert f'href="/documents/requests/{docs["upcoming"]["id"]}"' in visits and "Ишаева М.И." in visits
    assert f'href="/documents/service-renderings/{docs["rendering"]["id"]}"' in table(page, "renderings")
    invoices = table(page, "invoices")
    assert f'href="/documents/invoices/{docs["invoice"]["id"]}"' in invoices
    assert "Оплачен частично" in invoices and "500,00" in invoices
    assert (f'href="/documents/payments/new?based_on_kind=invoices&amp;based_on_id={docs["invoice"]["id"]}"'
            in invoices), "an invoice with something due is paid from its row"
    payments = table(page, "payments")
    assert f'href="/documents/payments/{docs["payment"]["id"]}"' in payments and "Клиника-2" in payments
    debts = table(page, "debts")
    assert "Клиника" in debts and "500,00" in debts and "−300,00" in debts.replace("-", "−") and "аванс" in debts
    assert re.search(r"data-debt-total>200,00<", debts)
    assert "Продаж за период нет" in page, "the year so far: 2030 is still ahead"
    sales = table((await browser.get(f"/clients/{clinic.client}?start=2030-01-01&end=2030-12-31")).text, "sales")
    assert f'href="/catalogs/nomenclature/{clinic.service}"' in sales and "1 500,00" in sales.replace("\xa0", " ")

    buttons = re.findall(r'<a class="button[^"]*" href="([^"]+)" data-action="(\w+)">([^<]+)</a>', page)
    assert [(kind, title) for _, kind, title in buttons] == [
        ("requests", "Записать на приём"), ("invoices", "Выставить счёт"), ("payments", "Принять оплату")]
    links = {kind: href.replace("&amp;", "&") for href, kind, _ in buttons}
    assert links["requests"] == f"/documents/requests/new?client_id={clinic.client}"
    assert links["payments"] == (f"/documents/payments/new?client_id={clinic.client}"
                                 f"&organization_id={clinic.org}&amount=500.00"), "the one debt, to pay off"
    forms = {kind: (await browser.get(href)).text for kind, href in links.items()}
    for kind, form in forms.items():
        assert "Иванов Иван Иванович" in form, f"the new {kind} is for the client"
    assert re.search(r'name="amount"[^>]*value="500[.,]00"|value="500[.,]00"[^>]*name="amount"', forms["payments"])


async def test_a_manager_books_but_neither_invoices_nor_takes_payments(login_as, api, clinic):
    await story(api, clinic)
    manager = await login_as("manager")
    page = (await manager.get(f"/clients/{clinic.client}")).text
    assert re.findall(r'data-action="(\w+)"', page) == ["requests"]
    assert "data-pay-invoice" not in page
    accountant = await login_as("accountant")
    assert re.findall(r'data-action="(\w+)"', (await accountant.get(f"/clients/{clinic.client}")).text) == [
        "requests", "invoices", "payments"]


async def test_the_sales_period_and_its_errors(browser, api, clinic):
    await story(api, clinic)
    february = (await browser.get(f"/clients/{clinic.client}?start=2030-02-01&end=2030-02-28")).text
    assert "Продаж за период нет" in february and 'value="2030-02-01"' in february
    january = (await browser.get(f"/clients/{clinic.client}?start=2030-01-01&end=2030-01-31")).text
    assert 'data-card="sales"' in january
    reversed_period = (await browser.get(f"/clients/{clinic.client}?start=2030-02-01&end=2030-01-01", status=422)).text
    assert "начало периода позже его конца" in reversed_period and 'aria-invalid="true"' in reversed_period
    bad = (await browser.get(f"/clients/{clinic.client}?start=01.02.2030", status=422)).text
    assert 'id="cc-start-error"' in bad
    missing = await browser.get("/clients/999999", status=404)
    assert "Клиент с id 999999 не найден" in missing.text


async def test_the_card_is_reached_from_the_clients_list_and_form(browser, clinic):
    listed = (await browser.get("/catalogs/clients")).text
    assert f'href="/clients/{clinic.client}" data-client-card' in listed
    form = (await browser.get(f"/catalogs/clients/{clinic.client}")).text
    assert f'<a href="/clients/{clinic.client}" data-client-card>Карточка клиента</a>' in form
    nomenclature = (await browser.get(f"/catalogs/nomenclature/{clinic.service}")).text
    assert "data-client-card" not in nomenclature


async def test_every_input_of_the_card_has_a_label_and_it_speaks_english(browser, api, clinic):
    await story(api, clinic)
    parser = a11y.Controls()
    parser.feed((await browser.get(f"/clients/{clinic.client}")).text)
    assert parser.controls and parser.unlabelled() == []
    await browser.post("/locale", {"lang": "en", "next": "/"})
    english = (await browser.get(f"/clients/{clinic.client}")).text
    assert "Client card" in english and "Book an appointment" in english and "Карточка клиента" not in english


async def test_a_long_list_shows_the_newest_and_links_to_all(browser, api, clinic):
    for day in range(1, 22):
        await api.create("payments", {"date": f"2030-01-{day:02d}T10:00:00", "organization_id": clinic.org,
                                      "client_id": clinic.client, "amount": "100", "method": "cash",
                                      "cash_desk_id": clinic.desk})
    page = (await browser.get(f"/clients/{clinic.client}")).text
    assert table(page, "payments").count('data-doc="payments/') == 20
    assert "21.01.2030" in table(page, "payments") and "01.01.2030" not in table(page, "payments")
    assert "Показаны последние 20 из 21." in page
    assert f'<a href="/documents/payments?client_id={clinic.client}">Все</a>' in page
