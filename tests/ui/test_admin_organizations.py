"""Administration → Организации and Банковские счета: an administrator follows
the section's links, creates and edits an organization (a bad INN or KPP is
refused next to its field and nothing is written) and a bank account (a bad
BIK or account number likewise); a manager sees the lists but is refused
their forms and posts."""

from __future__ import annotations

import re

ROW = re.compile(r'<a href="(/catalogs/(?:organizations|bank-accounts)/\d+)">([^<]+)</a>')


def link(html: str, text: str) -> str:
    """The address of the link called ``text``."""
    found = re.search(rf'<a (?:class="[^"]*" )?href="([^"]+)">{re.escape(text)}</a>', html)
    assert found, f"no link «{text}»"
    return found.group(1)


def error_next_to(html: str, input_id: str) -> str:
    """The error shown right after the input ``input_id`` (and tied to it by aria-describedby)."""
    found = re.search(rf'<input id="{input_id}"[^>]*aria-describedby="{input_id}-error" aria-invalid="true"[^>]*>'
                      rf'\s*<div class="error-text" id="{input_id}-error" role="alert">([^<]+)</div>', html)
    assert found, f"no error next to #{input_id}"
    return found.group(1)


def labelled(html: str, input_id: str, text: str) -> bool:
    return re.search(rf'<label for="{input_id}"\s*>{re.escape(text)}</label>', html) is not None


ORG = {"name": "Клиника на Тверской", "full_name": "ООО «Клиника на Тверской»", "inn": "7707083893",
       "kpp": "773601001", "ogrn": "", "address": "", "director": "", "chief_accountant": "", "vat_rate": "none",
       "number_prefix": ""}


async def test_an_admin_creates_and_edits_an_organization_from_administration(browser, db):
    organizations = link((await browser.get("/admin")).text, "Организации")
    listing = (await browser.get(organizations)).text
    new = link(listing, "Создать")
    form = (await browser.get(new)).text
    assert labelled(form, "i-inn", "ИНН") and labelled(form, "i-kpp", "КПП")

    r = await browser.post(new, {**ORG, "inn": "7707083890", "kpp": "77360100"}, status=422)
    assert "Элемент не записан: исправьте отмеченные поля" in r.text
    assert error_next_to(r.text, "i-inn") == "ИНН: неверное контрольное число"
    assert error_next_to(r.text, "i-kpp").startswith("КПП должен состоять из 9 знаков")
    assert 'value="7707083890"' in r.text  # the form comes back as typed
    r = await browser.post(new, {**ORG, "kpp": ""}, status=422)
    assert error_next_to(r.text, "i-kpp") == "для организации с ИНН из 10 цифр нужен КПП"
    r = await browser.post(new, {**ORG, "inn": "12345"}, status=422)
    assert error_next_to(r.text, "i-inn").startswith("ИНН должен состоять из 10 (организация) или 12")
    assert await db.fetchval("SELECT count(*) FROM cat_organizations") == 0

    r = await browser.post(new, ORG)
    url = r.headers["location"].split("?")[0]
    assert "Элемент записан" in (await browser.get(r.headers["location"])).text
    assert ROW.findall((await browser.get(organizations)).text) == [(url, "Клиника на Тверской")]

    r = await browser.post(url, {**ORG, "inn": "500100732259"}, status=422)  # a sole trader has no KPP
    assert error_next_to(r.text, "i-kpp") == "у индивидуального предпринимателя нет КПП"
    r = await browser.post(url, {**ORG, "address": "Москва, ул. Тверская, 1", "director": "Смирнов А.А."})
    page = (await browser.get(r.headers["location"])).text
    assert 'value="Москва, ул. Тверская, 1"' in page and 'value="Смирнов А.А."' in page
    stored = await db.fetchrow("SELECT inn, kpp, address FROM cat_organizations")
    assert tuple(stored) == ("7707083893", "773601001", "Москва, ул. Тверская, 1")


async def test_an_admin_adds_a_bank_account_from_administration(browser, api, db):
    org = await api.item("organizations", {"name": "Клиника", "inn": "7707083893", "kpp": "773601001"})
    accounts = link((await browser.get("/admin")).text, "Банковские счета")
    new = link((await browser.get(accounts)).text, "Создать")
    form = (await browser.get(new)).text
    assert labelled(form, "i-organization_id", "Организация *") and labelled(form, "i-bik", "БИК")
    account = {"name": "Расчётный в Сбербанке", "organization_id": org["id"], "bank_name": "ПАО Сбербанк",
               "bik": "044525225", "correspondent_account": "30101810400000000225",
               "account_number": "40702810938000000001", "is_default": "on"}
    r = await browser.post(new, {**account, "bik": "12345"}, status=422)
    assert error_next_to(r.text, "i-bik") == "БИК должен состоять из 9 цифр и начинаться с 04"
    r = await browser.post(new, {**account, "account_number": "4070281093800000000"}, status=422)
    assert error_next_to(r.text, "i-account_number") == "номер счёта должен состоять из 20 цифр"
    r = await browser.post(new, {**account, "account_number": "40702810938000000002"}, status=422)
    assert error_next_to(r.text, "i-account_number") == "номер счёта не сходится с БИК (контрольный ключ)"
    assert await db.fetchval("SELECT count(*) FROM cat_bank_accounts") == 0

    r = await browser.post(new, account)
    url = r.headers["location"].split("?")[0]
    page = (await browser.get(r.headers["location"])).text
    assert "Элемент записан" in page and 'value="Клиника"' in page  # the organization, by name
    listing = (await browser.get(accounts)).text
    assert ROW.findall(listing) == [(url, "Расчётный в Сбербанке")] and "40702810938000000001" in listing
    await browser.post(url, {**account, "bank_name": "ПАО «Сбербанк России»"})
    assert await db.fetchval("SELECT bank_name FROM cat_bank_accounts") == "ПАО «Сбербанк России»"


async def test_a_manager_is_refused_organizations_and_bank_accounts(login_as, api, db):
    org = await api.item("organizations", {"name": "Клиника", "inn": "7707083893", "kpp": "773601001"})
    manager = await login_as("manager")
    await manager.get("/admin", status=403)
    for catalog in ("organizations", "bank-accounts"):
        listing = (await manager.get(f"/catalogs/{catalog}")).text
        assert f'href="/catalogs/{catalog}/new"' not in listing  # no «Создать»
        r = await manager.get(f"/catalogs/{catalog}/new", status=403)
        assert "Недостаточно прав" in r.text
    await manager.post("/catalogs/organizations/new", ORG, status=403)
    await manager.post(f"/catalogs/organizations/{org['id']}", {**ORG, "name": "Переименована"}, status=403)
    await manager.post("/catalogs/bank-accounts/new", {"name": "Чужой", "organization_id": org["id"],
                                                       "account_number": "40702810938000000001"}, status=403)
    assert await db.fetchval("SELECT array_agg(name) FROM cat_organizations") == ["Клиника"]
    assert await db.fetchval("SELECT count(*) FROM cat_bank_accounts") == 0
