"""The client card in real Chromium against a real ``erp serve`` (issue 17, point 1): from the clients
list to the card, from an invoice's row to a payment filled from it, and back to the card where the
invoice is paid. The server, its seed and the browser are ``served`` and ``chromium`` in
``tests/ui/conftest.py``."""

from __future__ import annotations

import pytest

from tests.ui.conftest import login, pick

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def test_from_the_clients_list_to_the_card_and_an_invoice_paid_from_it(chromium, served):
    org = served.ids["org"]  # the clinic's money accounts: a payment names where the money went
    for catalog, data in (("bank-accounts", {"name": "Основной", "organization_id": org, "bank_name": "ПАО Сбербанк",
                                             "bik": "044525225", "correspondent_account": "30101810400000000225",
                                             "account_number": "40702810938000000001", "is_default": True}),
                          ("cash-desks", {"name": "Основная касса", "organization_id": org})):
        assert served.api.post(f"/api/catalogs/{catalog}", json=data).status_code == 201
    invoice = served.create("invoices", {"date": "2030-01-14T10:00:00", "organization_id": served.ids["org"],
                                         "client_id": served.ids["client"],
                                         "lines": [{"nomenclature_id": served.ids["service"], "quantity": "1",
                                                    "price": "1500"}]})
    page = login(chromium, served)
    page.goto(f"{served.base_url}/catalogs/clients")
    page.get_by_role("link", name="Карточка клиента: Иванов Иван Иванович").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Иванов Иван Иванович (Карточка клиента)")
    row = page.locator(f'tr[data-doc="invoices/{invoice["id"]}"]')
    expect(row).to_contain_text("Не оплачен")
    expect(page.get_by_role("toolbar", name="Команды").get_by_role("link")).to_have_text(
        ["Записать на приём", "Выставить счёт", "Принять оплату", "Акт сверки"])

    row.get_by_role("link", name="Принять оплату").click()
    expect(page.get_by_label("Клиент *")).to_have_value("Иванов Иван Иванович")
    pick(page, "Банковский счёт", "осн", "Основной")  # not filled from the organization yet
    page.get_by_role("button", name="Провести", exact=True).click()
    expect(page.locator("[data-notice]")).to_have_text("Документ проведён")

    page.goto(f"{served.base_url}/clients/{served.ids['client']}")
    expect(page.locator(f'tr[data-doc="invoices/{invoice["id"]}"]')).to_contain_text("Оплачен")
    expect(page.locator('table[data-card="payments"] tbody tr')).to_have_count(1)
    page.get_by_role("link", name="Записать на приём").click()
    expect(page.get_by_label("Клиент")).to_have_value("Иванов Иван Иванович")
    page.close()
