"""Acceptance point 12: what would print as a broken form — an invoice without
a bank account, a bank account or an organization without requisites — gets a
clear message naming the field, and no PDF is made or stored. (Unposted
documents print watermarked: test_act_pdf; bad uploads: test_signatures.)"""

from tests.printing.conftest import generated_count, invoice_data, rendering_data


async def test_an_invoice_without_a_bank_account_is_not_printed(api, clinic, db):
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "100"), bank_account_id=None),
                           post=True)
    error = await api.get(f"/api/documents/invoices/{doc['id']}/print/invoice", status=422)
    assert error["code"] == "bank_account_missing"
    assert error["message"] == ("Счёт на оплату № 1: не указан банковский счёт организации — выберите его "
                                "в поле «Банковский счёт»")
    assert error["details"]["fields"] == {"bank_account_id": "не указан банковский счёт"}
    preview = await api.get(f"/api/documents/invoices/{doc['id']}/print/invoice", status=422, format="html")
    assert preview["code"] == "bank_account_missing"
    batch = await api.post("/api/print/batch", {"documents": [{"kind": "invoices", "id": doc["id"]}]}, status=422)
    assert batch["code"] == "bank_account_missing"
    assert await generated_count(db) == 0


async def test_a_bank_account_without_bik_or_bank_is_named(api, clinic, db):
    bare = await api.item("bank-accounts", {"name": "Без реквизитов", "organization_id": clinic.org,
                                            "account_number": "40702810938000000001"})
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "100"), bank_account_id=bare["id"]))
    error = await api.get(f"/api/documents/invoices/{doc['id']}/print/invoice", status=422)
    assert error["code"] == "bank_requisites_missing"
    assert error["message"] == "Счёт на оплату № 1: в банковском счёте не заполнены реквизиты: банк, БИК, корр. счёт"
    assert await generated_count(db) == 0


async def test_an_organization_without_requisites_is_named(api, clinic, db):
    bare = await api.item("organizations", {"name": "Новая клиника"})
    account = await api.item("bank-accounts", {
        "name": "Счёт", "organization_id": bare["id"], "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810938000000001"})
    invoice = await api.create("invoices", invoice_data(
        clinic, (clinic.service, "1", "100"), organization_id=bare["id"], bank_account_id=account["id"]))
    error = await api.get(f"/api/documents/invoices/{invoice['id']}/print/invoice", status=422)
    assert error["code"] == "organization_requisites_missing"
    assert error["message"] == "Счёт на оплату № 1: у организации «Новая клиника» не заполнены реквизиты: ИНН, адрес"
    assert error["details"]["fields"] == {"organization_id": "не заполнено: ИНН, адрес"}
    act = await api.create("service-renderings", rendering_data(
        clinic, (clinic.service, "1", "100"), organization_id=bare["id"]))
    error = await api.get(f"/api/documents/service-renderings/{act['id']}/print/act", status=422)
    assert error["message"] == "Оказание услуг № 1: у организации «Новая клиника» не заполнены реквизиты: ИНН, адрес"
    assert await generated_count(db) == 0
