"""The payment form as an accountant meets it: «Создать на основании» of an
invoice opens a filled payment, and the invoice picker offers only the chosen
client's unpaid invoices."""

import re

from tests.clinic.test_invoices_payments import invoice, pay


async def test_create_a_payment_on_the_basis_of_an_invoice_from_its_form(browser, api, clinic):
    inv = await api.create("invoices", invoice(clinic, {"nomenclature_id": clinic.service, "quantity": "1",
                                                        "price": "1500"}), post=True)
    page = (await browser.get(f"/documents/invoices/{inv['id']}")).text
    link = f"/documents/payments/new?based_on_kind=invoices&amp;based_on_id={inv['id']}"
    assert link in page
    form = (await browser.get(link.replace("&amp;", "&"))).text
    assert 'name="amount" value="1 500,00"' in form
    assert f'name="client_id" value="{clinic.client}"' in form and 'value="Иванов Иван Иванович"' in form
    assert f'name="invoice_id" value="{inv["id"]}"' in form
    # the method is required: no empty choice
    method = re.search(r'<select id="h-method".*?</select>', form, re.S).group(0)
    assert '<option value="">' not in method and 'value="bank" selected' in method


async def test_the_invoice_picker_offers_only_the_clients_unpaid_invoices(browser, api, clinic):
    line = {"nomenclature_id": clinic.service, "quantity": "1", "price": "100"}
    open_ = await api.create("invoices", invoice(clinic, line), post=True)
    paid = await api.create("invoices", invoice(clinic, line), post=True)
    await api.create("payments", pay(clinic, "100.00", paid["id"]), post=True)
    theirs = await api.create("invoices", invoice(clinic, line, client_id=clinic.supplier), post=True)
    form = (await browser.get("/documents/payments/new")).text
    assert 'data-field="payments.invoice_id"' in form and 'data-filters="client_id"' in form
    found = (await browser.get(f"/lookup/invoices?q=&field=payments.invoice_id&client_id={clinic.client}")).text
    ids = set(map(int, re.findall(r'data-id="(\d+)"', found)))
    assert open_["id"] in ids and paid["id"] not in ids and theirs["id"] not in ids
    everything = (await browser.get("/lookup/invoices?q=")).text
    assert {open_["id"], paid["id"], theirs["id"]} <= set(map(int, re.findall(r'data-id="(\d+)"', everything)))


async def test_a_payment_on_a_paid_invoice_is_refused_with_the_reason(browser, api, clinic):
    inv = await api.create("invoices", invoice(clinic, {"nomenclature_id": clinic.service, "quantity": "1",
                                                        "price": "100"}), post=True)
    await api.create("payments", pay(clinic, "100.00", inv["id"]), post=True)
    link = f"/documents/payments/new?based_on_kind=invoices&amp;based_on_id={inv['id']}"
    page = (await browser.get(f"/documents/invoices/{inv['id']}")).text
    assert link not in page  # a paid invoice's form offers no payment on its basis
    r = await browser.get(link.replace("&amp;", "&"), status=409)
    assert "оплачен полностью" in r.text


async def test_only_a_posted_invoice_with_something_due_offers_a_payment(browser, api, clinic):
    line = {"nomenclature_id": clinic.service, "quantity": "1", "price": "100"}
    draft = await api.create("invoices", invoice(clinic, line))
    part = await api.create("invoices", invoice(clinic, line), post=True)
    await api.create("payments", pay(clinic, "40.00", part["id"]), post=True)
    for doc, offered in ((draft, False), (part, True)):
        page = (await browser.get(f"/documents/invoices/{doc['id']}")).text
        link = f"/documents/payments/new?based_on_kind=invoices&amp;based_on_id={doc['id']}"
        assert (link in page) is offered


async def test_a_payment_from_an_invoice_without_an_account_takes_the_organizations_own(browser, api, clinic):
    """An invoice issued without a bank account still opens a payment into the organization's
    main account, and the form offers its cash desk for a cash payment: nothing left to pick."""
    inv = await api.create("invoices", invoice(clinic, {"nomenclature_id": clinic.service, "quantity": "1",
                                                        "price": "700"}, bank_account_id=None), post=True)
    assert inv["bank_account_id"] is None
    form = (await browser.get(f"/documents/payments/new?based_on_kind=invoices&based_on_id={inv['id']}")).text
    assert f'name="bank_account_id" value="{clinic.account}"' in form
    assert f'name="cash_desk_id" value="{clinic.desk}"' in form


async def test_the_client_cards_payment_link_brings_the_owed_organizations_accounts(browser, api, clinic):
    other = await api.item("organizations", {"name": "Клиника-2", "full_name": "ООО «Клиника-2»",
                                             "inn": "7812345675", "kpp": "781201001", "vat_rate": "none"})
    desk = await api.item("cash-desks", {"name": "Касса-2", "organization_id": other["id"]})
    form = (await browser.get(f"/documents/payments/new?client_id={clinic.client}"
                              f"&organization_id={other['id']}")).text
    assert f'name="organization_id" value="{other["id"]}"' in form
    assert f'name="cash_desk_id" value="{desk["id"]}"' in form, "the chosen organization's desk"
    assert f'name="cash_desk_id" value="{clinic.desk}"' not in form
    assert 'name="bank_account_id" value=""' in form, "the other organization has no bank account: none guessed"
    # a forged organization id is bad input: a clear 422, not a server error
    forged = await browser.get(f"/documents/payments/new?organization_id={2**70}", status=422)
    assert "Ничего не записано" in forged.text
