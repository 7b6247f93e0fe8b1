"""Issue 18 point 7: Администрирование → «Значения по умолчанию» edits, in the
browser, the organization, bank account, discount and VAT rate that a new
document starts with (until now only ``PUT /api/settings/document-defaults``
could). The screen and the API go through one service, so they accept and
refuse the same things; a refused form writes nothing."""

from __future__ import annotations

import re

from tests.ui.conftest import form_of


async def second_organization(api) -> tuple[int, int]:
    org = await api.item("organizations", {
        "name": "Клиника-2", "full_name": "ООО «Клиника-2»", "inn": "7736050003", "kpp": "773601001",
        "ogrn": "1027739602824", "vat_rate": "20", "number_prefix": "К2"})
    account = await api.item("bank-accounts", {
        "name": "Второй", "organization_id": org["id"], "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810938000000014",
        "is_default": True})
    return org["id"], account["id"]


def selected(html: str, name: str) -> str:
    """The value of the option chosen in the select ``name`` ("" when none is)."""
    select = re.search(rf'<select[^>]* name="{name}".*?</select>', html, re.S)
    assert select, name
    chosen = re.search(r'<option value="([^"]*)"[^>]*\sselected', select.group(0))
    return chosen.group(1) if chosen else ""


async def stored(db) -> dict | None:
    return await db.fetchval("SELECT value FROM constants WHERE key = 'document_defaults'")


async def test_the_admin_sets_the_defaults_and_a_new_invoice_opens_with_them(browser, api, clinic, db):
    org, account = await second_organization(api)
    assert 'href="/admin/document-defaults"' in (await browser.get("/admin")).text
    page = (await browser.get("/admin/document-defaults")).text
    assert selected(page, "organization_id") == "" and "Клиника-2" in page and "Клиника: Основной" in page

    saved = await browser.post("/admin/document-defaults", {
        "organization_id": str(org), "bank_account_id": str(account), "discount_percent": "5,5",
        "discount_amount": "", "vat_rate": "10"})
    assert saved.headers["location"] == "/admin/document-defaults?notice=saved"
    page = (await browser.get(saved.headers["location"])).text
    assert "Значения по умолчанию записаны" in page
    assert (selected(page, "organization_id"), selected(page, "bank_account_id"), selected(page, "vat_rate")) == (
        str(org), str(account), "10")
    assert 'value="5.5"' in page
    # The API reads what the screen wrote.
    assert await api.get("/api/settings/document-defaults") == {
        "organization_id": org, "bank_account_id": account, "discount_percent": "5.5000",
        "discount_amount": None, "vat_rate": "10"}
    # A new invoice opens with the second organization and its account, not the first one's.
    new = await api.get("/api/documents/invoices/new")
    assert (new["document"]["organization_id"], new["document"]["bank_account_id"]) == (org, account)
    assert new["line_defaults"] == {"discount_percent": "5.5000", "vat_rate": "10"}
    form = form_of((await browser.get("/documents/invoices/new")).text, "/documents/invoices/new")
    assert f'value="{org}"' in form and f'value="{account}"' in form

    # Emptied again: the only-organization rule applies no more (there are two), nothing is chosen.
    await browser.post("/admin/document-defaults", {
        "organization_id": "", "bank_account_id": "", "discount_percent": "", "discount_amount": "",
        "vat_rate": ""})
    assert await stored(db) == {}
    assert (await api.get("/api/documents/invoices/new"))["document"].get("organization_id") is None


async def test_a_wrong_form_is_refused_next_to_its_fields_and_nothing_is_written(browser, api, clinic, db):
    _org, account = await second_organization(api)
    await browser.post("/admin/document-defaults", {"organization_id": str(clinic.org), "vat_rate": "none"})
    before = await stored(db)
    audit_before = await db.fetchval("SELECT count(*) FROM audit_log")
    cases = [
        ({"organization_id": str(clinic.org), "bank_account_id": str(account)},
         "bank_account_id", "банковский счёт должен принадлежать организации по умолчанию"),
        ({"discount_percent": "10", "discount_amount": "100"}, "discount_amount", "либо в процентах, либо суммой"),
        ({"discount_percent": "150"}, "discount_percent", "от 0 до 100"),
        ({"discount_amount": "-1"}, "discount_amount", "не может быть отрицательной"),
        ({"discount_amount": "1e400"}, "discount_amount", "слишком большое число"),
        ({"discount_percent": "пять"}, "discount_percent", "ожидается число"),
        ({"organization_id": "abc"}, "organization_id", "выберите значение из списка"),
        ({"organization_id": "99999999999"}, "organization_id", "выберите значение из списка"),
        ({"organization_id": "987654"}, "organization_id", "организация не найдена"),
        ({"vat_rate": "18"}, "vat_rate", "допустимые значения"),
    ]
    for data, field, message in cases:
        form = {"organization_id": "", "bank_account_id": "", "discount_percent": "", "discount_amount": "",
                "vat_rate": "", **data}
        page = (await browser.post("/admin/document-defaults", form, status=422)).text
        error = re.search(rf'id="defaults-{field}-error" role="alert">([^<]*)<', page)
        assert error and message in error.group(1), (data, page[-3000:])
        assert "не записаны: исправьте отмеченные поля" in page
        # The form comes back as it was typed.
        for name, value in data.items():
            if name in ("discount_percent", "discount_amount"):
                assert f'value="{value}"' in page
    # A NUL byte is stopped by the input guard before the screen sees it, with its own code.
    nul = await browser.post("/admin/document-defaults", {"discount_percent": "1\x002"}, status=422)
    assert "нулевой байт" in nul.text
    assert await stored(db) == before
    assert await db.fetchval("SELECT count(*) FROM audit_log") == audit_before


async def test_only_an_administrator_reaches_the_defaults_screen(login_as, api, clinic, db):
    for role in ("manager", "accountant"):
        user = await login_as(role)
        assert 'href="/admin/document-defaults"' not in (await user.get("/")).text
        assert "Недостаточно прав" in (await user.get("/admin/document-defaults", status=403)).text
        await user.post("/admin/document-defaults", {"organization_id": str(clinic.org), "vat_rate": "20"},
                        status=403)
    assert await stored(db) is None
