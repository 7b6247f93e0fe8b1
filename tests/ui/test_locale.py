"""Russian by default, English on request: every string comes from the Babel
catalogs, and money, numbers and dates follow the language."""

from __future__ import annotations

from ui import i18n, i18n_catalog


async def test_english_can_be_switched_on_and_formats_follow(browser, api, clinic):
    invoice = await api.create("invoices", {"date": "2030-01-14T10:00:00", "organization_id": clinic.org,
                                            "client_id": clinic.client, "bank_account_id": clinic.account,
                                            "lines": [{"nomenclature_id": clinic.service, "quantity": "1",
                                                       "price": "1234.5"}]}, post=True)
    ru = (await browser.get("/documents/invoices")).text
    assert "Справочники" in ru and "1 234,50" in ru.replace("\xa0", " ") and "14.01.2030" in ru
    r = await browser.post("/locale", {"lang": "en", "next": "/documents/invoices"})
    assert r.headers["location"] == "/documents/invoices"
    en = (await browser.get("/documents/invoices")).text
    assert '<html lang="en">' in en
    for text in ("Catalogs", "Documents", "Schedule", "Reports", "Administration", "Invoice", "Search", "Unpaid"):
        assert text in en
    assert "1,234.50" in en and "Jan 14, 2030" in en and "Справочники" not in en
    form = (await browser.get(f"/documents/invoices/{invoice['id']}")).text
    assert "Post and close" in form and "Organization" in form and "Nomenclature" in form
    await browser.post("/locale", {"lang": "ru", "next": "/"})
    assert "Провести и закрыть" in (await browser.get(f"/documents/invoices/{invoice['id']}")).text


def test_the_catalogs_cover_every_message_in_both_languages():
    assert i18n_catalog.missing("en") == []
    assert i18n_catalog.missing("ru") == []


def test_formatting_helpers_follow_the_language():
    import datetime as dt
    from decimal import Decimal

    token = i18n.current.set("ru")
    try:
        assert i18n.money(Decimal("1234567.5")) == "1\xa0234\xa0567,50"
        assert i18n.number(Decimal("2.500")) == "2,5"
        assert i18n.date(dt.date(2021, 12, 22)) == "22.12.2021"
        assert i18n.month(dt.date(2021, 12, 1)) == "Декабрь 2021"
        i18n.current.set("en")
        assert i18n.money(Decimal("1234567.5")) == "1,234,567.50"
        assert i18n.date(dt.date(2021, 12, 22)) == "Dec 22, 2021"
        assert i18n.gettext("Провести и закрыть") == "Post and close"
    finally:
        i18n.current.reset(token)


def test_no_message_is_listed_twice_in_a_catalog():
    import re

    for lang in ("en", "ru"):
        ids = re.findall(r'^msgid "(.+)"$', i18n_catalog.po_path(lang).read_text(), flags=re.M)
        assert sorted({m for m in ids if ids.count(m) > 1}) == [], lang
