"""Issue 18 points 1–5: print templates as data. Администрирование → «Шаблоны документов»
edits the standard forms (with «Восстановить стандартный») and the administrator's own
templates, which appear in the kind's «Печать ▾» menu and in the registry's filters;
variables come from a catalog (and the administrator's own), unknown ones are refused
on save; document types are a catalog; the contract for paid medical services prints
from a Request and from a client with the clinic's licence and the patient's details."""

from __future__ import annotations

import re

from erp.printing import templates_store
from tests.printing.conftest import Api as PrintApi
from tests.printing.conftest import invoice_data, make_clinic, pdf_text
from tests.ui.test_print_ui import rows_of

MENU = re.compile(r'<a href="/print/([a-z-]+)/(\d+)/([a-z0-9-]+)" target="_blank" rel="noopener" data-print="pdf">'
                  r'([^<]+) \(PDF\)</a>')
LICENCE = "Л041-01137-77/00368421 от 01.02.2021"


async def _setup(client, admin):
    rest = PrintApi(client, admin)
    clinic = await make_clinic(rest)
    await rest.call("PATCH", f"/api/catalogs/organizations/{clinic.org}", json={"license_number": LICENCE})
    return rest, clinic


async def type_id(db, predefined: str) -> int:
    return await db.fetchval("SELECT id FROM cat_document_types WHERE predefined = $1", predefined)


def error_of(html: str) -> str:
    found = re.search(r"data-template-error>(.*?)</div>", html, re.S)
    assert found, html[:3000]
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


async def test_the_standard_invoice_is_editable_prints_the_same_until_changed_and_is_restored(
        browser, client, admin, db):
    rest, clinic = await _setup(client, admin)
    doc = await rest.create("invoices", invoice_data(clinic, (clinic.service, "2", "1500")), post=True)
    assert 'href="/admin/print-templates"' in (await browser.get("/admin")).text
    listing = (await browser.get("/admin/print-templates")).text
    assert 'data-template="invoice"' in listing and 'data-template="contract"' in listing
    page = (await browser.get("/admin/print-templates/invoice")).text
    shipped = templates_store.shipped_text("invoice")
    assert "{% extends &#34;base.html&#34; %}" in page or "{% extends &quot;base.html&quot; %}" in page
    assert "Восстановить стандартный" not in page
    # The preview frame shows a real invoice of the kind.
    assert f'src="/print/invoices/{doc["id"]}/invoice?format=html"' in page
    before_html = (await browser.get(f"/print/invoices/{doc['id']}/invoice?format=html")).text
    before_pdf = pdf_text((await browser.get(f"/print/invoices/{doc['id']}/invoice")).content)

    # Stored unchanged, the copy prints exactly what the shipped text prints (through the sandbox).
    invoice_type = await type_id(db, "invoice")
    await browser.post("/admin/print-templates/invoice", {"name": "Счёт на оплату", "kind": "invoices",
                                                          "document_type_id": invoice_type, "body": shipped,
                                                          "active": "on", "action": "save"})
    assert await db.fetchval("SELECT count(*) FROM print_templates WHERE standard = 'invoice'") == 1
    assert (await browser.get(f"/print/invoices/{doc['id']}/invoice?format=html")).text == before_html
    assert pdf_text((await browser.get(f"/print/invoices/{doc['id']}/invoice")).content) == before_pdf

    # Changed: the new wording prints, and the renamed form is what the menu offers.
    changed = shipped.replace("Всего к оплате", "Итого к оплате по счёту")
    await browser.post("/admin/print-templates/invoice", {"name": "Счёт клиники", "kind": "invoices",
                                                          "document_type_id": invoice_type, "body": changed,
                                                          "action": "save"})
    assert "Итого к оплате по счёту: 3 000,00" in pdf_text(
        (await browser.get(f"/print/invoices/{doc['id']}/invoice")).content)
    menu = MENU.findall((await browser.get(f"/documents/invoices/{doc['id']}")).text)
    assert ("invoices", str(doc["id"]), "invoice", "Счёт клиники") in menu
    page = (await browser.get("/admin/print-templates/invoice")).text
    assert "Восстановить стандартный" in page and "Стандартный, изменён" in page

    restored = await browser.post("/admin/print-templates/invoice", {"action": "restore"})
    assert restored.headers["location"] == "/admin/print-templates/invoice?notice=restored"
    assert await db.fetchval("SELECT count(*) FROM print_templates") == 0
    assert (await browser.get(f"/print/invoices/{doc['id']}/invoice?format=html")).text == before_html


async def test_an_own_template_prints_from_the_menu_with_catalog_and_own_variables_and_is_filtered(
        browser, login_as, client, admin, db):
    rest, clinic = await _setup(client, admin)
    doc = await rest.create("invoices", invoice_data(clinic, (clinic.service, "1", "1650"), amocrm_lead_id=31337),
                            post=True)
    await rest.call("PATCH", f"/api/catalogs/clients/{clinic.client}",
                    json={"phone": "+7 900 111-22-33", "birth_date": "1980-05-17"})
    # The administrator's own variables: a combination of others and a link.
    await browser.post("/admin/print-variables", {"name": "patient_line", "title": "Пациент и телефон",
                                                  "kind": "", "value_type": "template",
                                                  "value": "{{ client.name }}, тел. {{ client.phone }}"})
    await browser.post("/admin/print-variables", {"name": "site", "title": "Наш сайт", "kind": "",
                                                  "value_type": "link", "value": "https://clinic.example/"})
    consent = await type_id(db, "consent")
    body = ('{% extends "base.html" %}{% block content %}<h1>{{ heading }}</h1>'
            "<p>Пациент: {{ patient_line }}; рождён {{ client.birth_date|long_date }}</p>"
            "<p>Лицензия {{ organization.license_number }}</p>{{ lines_table }}"
            "<p>Сумма: {{ total|money }} ({{ total_words }}); сделка {{ lead_id }}; оформил {{ user.username }}</p>"
            "<p>{{ site }}</p>{% endblock %}")
    page = (await browser.get("/admin/print-templates/new?kind=invoices")).text
    assert 'data-insert="{{ client.name }}"' in page and "Клиент (пациент): наименование или ФИО" in page
    created = await browser.post("/admin/print-templates/new", {"name": "Согласие на обработку", "kind": "invoices",
                                                                "document_type_id": consent, "body": body,
                                                                "active": "on"})
    form = created.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert re.fullmatch(r"t\d+", form)
    page = (await browser.get(created.headers["location"])).text
    assert 'data-insert="{{ patient_line }}"' in page, "the picker offers the administrator's variables too"

    # A manager prints it from the invoice's «Печать ▾».
    manager = await login_as("manager")
    menu = MENU.findall((await manager.get(f"/documents/invoices/{doc['id']}")).text)
    assert ("invoices", str(doc["id"]), form, "Согласие на обработку") in menu
    printed = await manager.get(f"/print/invoices/{doc['id']}/{form}")
    text = pdf_text(printed.content)
    assert "Согласие на обработку № 1 от 22 декабря 2021 г." in text
    assert "Пациент: Иванов Иван Иванович, тел. +7 900 111-22-33; рождён 17 мая 1980 г." in text
    assert f"Лицензия {LICENCE}" in text and "Приём терапевта" in text
    assert ("Сумма: 1 650,00 (Одна тысяча шестьсот пятьдесят рублей 00 копеек); сделка 31337; "
            "оформил manager-user") in text
    assert "https://clinic.example/" in (await manager.get(f"/print/invoices/{doc['id']}/{form}?format=html")).text
    row = await db.fetchrow("SELECT form, document_type FROM generated_documents ORDER BY id DESC LIMIT 1")
    assert (row["form"], row["document_type"]) == (form, "Согласие")
    # The registry offers the catalog's types and the template, and filters by them.
    listing = (await browser.get("/generated-documents")).text
    assert '<option value="Согласие"' in listing and f'<option value="{form}"' in listing
    assert "Согласие на обработку" in rows_of((await browser.get("/generated-documents?document_type=Согласие")).text)
    assert "Согласие на обработку" not in rows_of((await browser.get("/generated-documents?document_type=Счёт")).text)
    # The manager cannot edit templates.
    assert "Недостаточно прав" in (await manager.get("/admin/print-templates", status=403)).text
    await manager.post(f"/admin/print-templates/{form}", {"name": "x", "kind": "invoices",
                                                          "document_type_id": consent, "body": "x"}, status=403)
    assert await db.fetchval("SELECT name FROM print_templates") == "Согласие на обработку"


async def test_unknown_variables_and_bad_syntax_are_refused_on_save_and_nothing_is_written(browser, client, admin,
                                                                                           db):
    await _setup(client, admin)
    other = await type_id(db, "other")
    for body, expected in (("<p>{{ clinet.name }}</p>", "Неизвестные переменные: clinet"),
                           ("<p>{{ client.nmae }}</p>", "Неизвестные переменные: client.nmae"),
                           ("{% for line in lines %}{{ line.sum }}{% endfor %}", "Неизвестные переменные: line.sum"),
                           ("<p>{{ client.name </p>", "Ошибка в шаблоне, строка 1"),
                           ("{% if total %}", "шаблон оборвался"),
                           ("{{ total|frobnicate }}", "нет фильтра «frobnicate»")):
        page = (await browser.post("/admin/print-templates/new", {"name": "Плохой", "kind": "invoices",
                                                                  "document_type_id": other, "body": body},
                                   status=422)).text
        assert expected in error_of(page), (body, error_of(page))
        assert "Плохой" in page, "the form keeps what was typed"
    assert await db.fetchval("SELECT count(*) FROM print_templates") == 0


async def test_template_injection_is_refused_with_a_clear_error_and_nothing_leaks(browser, client, admin, db):
    rest, clinic = await _setup(client, admin)
    other = await type_id(db, "other")
    attempts = {
        "{{ ''.__class__ }}": "обращение к служебному атрибуту «__class__» запрещено",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}": "обращение к служебному атрибуту",
        "{{ lines.append }}": "Неизвестные переменные: lines.append",
        "{% include '/etc/passwd' %}": "Шаблон не может подключать файлы: «/etc/passwd»",
        "{% extends '../../../../etc/passwd' %}": "Шаблон не может подключать файлы",
        "{% import 'render.py' as r %}": "Шаблон не может подключать файлы: «render.py»",
        "{% for i in range(10**9) %}x{% endfor %}": "Слишком длинный цикл",
        "{{ 'x' * 10**9 }}": "слишком много текста",
        "{{ 9 ** 9 ** 9 }}": "Слишком большое число",
        "{% for i in range(9999) %}{% for j in range(9999) %}{% for k in range(9999) %}{% endfor %}{% endfor %}"
        "{% endfor %}": "был остановлен",
    }
    for body, expected in attempts.items():
        page = (await browser.post("/admin/print-templates/new", {"name": "Взлом", "kind": "invoices",
                                                                  "document_type_id": other, "body": body},
                                   status=422)).text
        message = error_of(page)
        assert expected in message, (body, message)
        assert "root:" not in page and "Traceback" not in page
    assert await db.fetchval("SELECT count(*) FROM print_templates") == 0
    # The server kept serving.
    assert (await browser.get("/admin/print-templates")).status_code == 200

    # What example data cannot show is refused at preview and at print, with the same kind of message.
    late = '{% if lines|length > 2 %}{{ "x" * 10**9 }}{% endif %}ok'
    created = await browser.post("/admin/print-templates/new", {"name": "Три строки", "kind": "invoices",
                                                                "document_type_id": other, "body": late,
                                                                "active": "on"})
    form = created.headers["location"].split("?")[0].rsplit("/", 1)[1]
    doc = await rest.create("invoices", invoice_data(clinic, *[(clinic.service, "1", "100")] * 3), post=True)
    preview = await browser.get(f"/print/invoices/{doc['id']}/{form}?format=html", status=422)
    assert "Шаблон выводит слишком много текста" in preview.text
    assert 'data-template-error="template_too_large"' in preview.text
    refused = await rest.call("GET", f"/api/documents/invoices/{doc['id']}/print/{form}", status=422)
    assert refused["code"] == "template_too_large"
    assert await db.fetchval("SELECT count(*) FROM generated_documents") == 0


async def test_own_variables_are_checked_and_cannot_shadow_the_catalog(browser, client, admin, db):
    await _setup(client, admin)
    for form, expected in (
            ({"name": "client", "title": "x", "value_type": "text", "value": "x"}, "так называется переменная"),
            ({"name": "Плохое имя", "title": "x", "value_type": "text", "value": "x"}, "латинские строчные"),
            ({"name": "site", "title": "x", "value_type": "link", "value": "javascript:alert(1)"}, "http"),
            ({"name": "combo", "title": "x", "value_type": "template", "value": "{{ clinet.name }}"},
             "Неизвестные переменные: clinet"),
            ({"name": "leak", "title": "x", "value_type": "template", "value": "{{ ''.__class__ }}"},
             "служебному атрибуту")):
        page = (await browser.post("/admin/print-variables", {"kind": "", **form}, status=422)).text
        assert expected in page, (form, page[:2000])
    assert await db.fetchval("SELECT count(*) FROM print_variables") == 0


async def test_the_contract_prints_from_a_request_and_from_a_client_with_licence_and_patient(
        browser, client, admin, db):
    rest, clinic = await _setup(client, admin)
    await rest.call("PATCH", f"/api/catalogs/clients/{clinic.client}", json={
        "birth_date": "1980-05-17", "address": "Москва, ул. Ленина, 5", "phone": "+7 900 111-22-33",
        "identity_document": "паспорт 4500 123456, выдан 01.02.2003"})
    await rest.put("/api/settings/document-defaults", {"organization_id": clinic.org})
    request = await rest.create("requests", {"doctor_id": clinic.doctor, "client_id": clinic.client,
                                             "starts_at": "2030-01-10T10:30:00",
                                             "lines": [{"nomenclature_id": clinic.service, "quantity": "1",
                                                        "price": "1500"}]})
    menu = MENU.findall((await browser.get(f"/documents/requests/{request['id']}")).text)
    assert ("requests", str(request["id"]), "contract", "Договор на оказание платных медицинских услуг") in menu
    text = pdf_text((await browser.get(f"/print/requests/{request['id']}/contract")).content)
    assert "Договор на оказание платных медицинских услуг №" in text
    assert f"лицензии {LICENCE}" in text and "ООО «Клиника Здоровье»" in text
    assert "Иванов Иван Иванович, 17 мая 1980 г. рождения" in text
    assert "Адрес: Москва, ул. Ленина, 5" in text and "паспорт 4500 123456" in text
    assert "Ефимова Елена Викторовна" in text and "10 января 2030 г. в 10:30" in text
    assert "Приём терапевта" in text and "Всего к оплате: 1 500,00" in text
    row = await db.fetchrow("SELECT document_kind, form, document_type FROM generated_documents")
    assert tuple(row) == ("requests", "contract", "Договор")

    page = (await browser.get(f"/catalogs/clients/{clinic.client}")).text
    menu = MENU.findall(page)
    assert ("clients", str(clinic.client), "client-contract", "Договор на оказание платных медицинских услуг") in menu
    text = pdf_text((await browser.get(f"/print/clients/{clinic.client}/client-contract")).content)
    assert f"лицензии {LICENCE}" in text and "Иванов Иван Иванович, 17 мая 1980 г. рождения" in text
    assert "по прейскуранту Исполнителя" in text
    assert await db.fetchval("SELECT count(*) FROM generated_documents WHERE document_kind = 'clients'") == 1


async def test_document_types_are_a_catalog_the_administrator_extends(browser, login_as, client, admin, db):
    await _setup(client, admin)
    names = [r["name"] for r in await db.fetch(
        "SELECT name FROM cat_document_types WHERE predefined IS NOT NULL ORDER BY sort_order")]
    assert names[:4] == ["Счёт", "Акт", "Договор", "Согласие"]
    created = await browser.post("/catalogs/document-types/new", {"name": "Направление", "sort_order": "6"})
    new_type = int(created.headers["location"].split("?")[0].rsplit("/", 1)[1])
    page = (await browser.get("/admin/print-templates/new?kind=service-renderings")).text
    assert f'<option value="{new_type}"' in page and "Направление" in page
    manager = await login_as("manager")
    await manager.post("/catalogs/document-types/new", {"name": "Чужой"}, status=403)
