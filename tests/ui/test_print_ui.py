"""Print forms in the web UI (issue 7): the «Печать ▾» menu with and without
facsimile, «Подписи и печати» (stamps and facsimiles uploaded, previewed,
refused next to the field), «Почта (SMTP)» with a write-only password,
«Отправить клиенту» to a real local SMTP server (aiosmtpd), and the list of
generated documents (filters, keyset pages, download again)."""

from __future__ import annotations

import email
import email.policy
import io
import re

import pytest
from aiosmtpd.controller import Controller
from PIL import Image

from erp.amocrm import connection
from erp.printing import mail, registry, service
from tests.conftest import SECRET, free_port
from tests.printing.conftest import Api as PrintApi
from tests.printing.conftest import invoice_data, make_clinic, pdf_images, pdf_text, rendering_data
from tests.ui import test_accessibility as a11y
from tests.ui.conftest import form_of

MENU_LINK = re.compile(r'<a href="([^"]+)" target="_blank" rel="noopener" data-print="([a-z-]+)">')


def png(width: int = 120, height: int = 60, color=(20, 40, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def noise_png(side: int = 700) -> bytes:
    """A PNG that does not compress: well over 1 MB."""
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def noise_jpeg(side: int = 200) -> bytes:
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "JPEG")
    return out.getvalue()


class Mailbox:
    """What a local aiosmtpd server received; it can refuse every recipient."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


@pytest.fixture
def mailbox():
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
async def papers(client, admin):
    """A clinic whose organization has every requisite a print form needs."""
    return await make_clinic(PrintApi(client, admin))


@pytest.fixture
def rest(client, admin) -> PrintApi:
    return PrintApi(client, admin)


async def upload(browser, path: str, content: bytes, status: int = 303, name: str = "sign.png", **fields):
    return await browser.post(path, fields, status=status, files={"file": (name, content, "image/png")})


def rows_of(html: str) -> str:
    """The list of generated documents, without the filters above it."""
    return html[html.index("data-generated>"):html.index("</table>")] if "data-generated>" in html else ""


async def user_id(db, username: str) -> int:
    return await db.fetchval("SELECT id FROM users WHERE username = $1", username)


async def test_the_print_menu_gives_the_pdf_and_the_preview_with_or_without_facsimile(
        browser, rest, papers, users, db):
    doc = await rest.create("invoices", invoice_data(papers, (papers.service, "2", "1500")), post=True)
    form = (await browser.get(f"/documents/invoices/{doc['id']}")).text
    links = {kind: href.replace("&amp;", "&") for href, kind in MENU_LINK.findall(form)}
    assert set(links) == {"pdf", "html"}, "«с факсимиле» is offered only when the organization has a signature"
    assert 'name="facsimile"' not in form

    plain = await browser.get(links["pdf"])
    assert plain.headers["content-type"] == "application/pdf"
    text = pdf_text(plain.content)
    assert "Счёт на оплату № 1 от 22 декабря 2021 г." in text and "Всего к оплате: 3 000,00" in text
    assert pdf_images(plain.content) == 0, "without facsimile the signature lines stay blank"
    preview = await browser.get(links["html"])
    assert preview.headers["content-type"].startswith("text/html")
    assert "Счёт на оплату № 1 от 22 декабря 2021 г." in preview.text and "<img" not in preview.text

    refused = await browser.get(links["pdf"] + "?facsimile=true", status=409)
    assert "Для организации «Клиника» не загружено ни одного факсимиле подписи" in refused.text

    await users.headers("accountant")
    me = await user_id(db, "admin-user")
    await upload(browser, "/admin/signatures/facsimiles", png(), user_id=me, organization_id=papers.org,
                 position="director")
    await upload(browser, f"/admin/signatures/stamps/{papers.org}", png(90, 90, (200, 0, 0)))
    form = (await browser.get(f"/documents/invoices/{doc['id']}")).text
    links = {kind: href.replace("&amp;", "&") for href, kind in MENU_LINK.findall(form)}
    assert set(links) == {"pdf", "pdf-facsimile", "html", "html-facsimile"} and 'name="facsimile"' in form
    signed = await browser.get(links["pdf-facsimile"])
    assert pdf_images(signed.content) == 2, "the director's facsimile and the stamp"
    assert "Счёт на оплату № 1 от 22 декабря 2021 г." in pdf_text(signed.content)
    signed_preview = await browser.get(links["html-facsimile"])
    assert signed_preview.text.count('src="data:image/png;base64,') == 2

    # The list's «Печать ▾» can print the ticked documents with facsimile too.
    batch = await browser.post("/print/batch", {"kind": "invoices", "form": "invoice", "doc": doc["id"],
                                                "facsimile": "1"}, status=200)
    assert pdf_images(batch.content) == 2
    kept = await db.fetch("SELECT facsimile FROM generated_documents ORDER BY id")
    assert [r["facsimile"] for r in kept] == [False, True, True]


async def test_stamps_and_facsimiles_are_uploaded_previewed_shared_and_removed(browser, login_as, rest, papers, db):
    assert 'href="/admin/signatures"' in (await browser.get("/admin")).text
    page = (await browser.get("/admin/signatures")).text
    stamp_form = form_of(page, f"/admin/signatures/stamps/{papers.org}")
    assert 'enctype="multipart/form-data"' in stamp_form and 'accept="image/png,image/jpeg"' in stamp_form
    assert "Не загружена" in page and "Факсимиле не загружены" in page

    image = png(90, 90, (200, 0, 0))
    r = await upload(browser, f"/admin/signatures/stamps/{papers.org}", image)
    page = (await browser.get(r.headers["location"])).text
    assert "Печать организации загружена" in page
    preview = re.search(rf'src="(/admin/signatures/stamps/{papers.org}/image\?v=\d+)"', page)
    assert preview, "the current stamp is shown"
    shown = await browser.get(preview.group(1))
    assert shown.headers["content-type"] == "image/png" and shown.content == image

    manager = await login_as("manager")
    accountant = await login_as("accountant")
    accountant_id, manager_id = await user_id(db, "accountant-user"), await user_id(db, "manager-user")
    r = await upload(browser, "/admin/signatures/facsimiles", png(), user_id=accountant_id,
                     organization_id=papers.org, position="director", allowed_user_ids=manager_id)
    page = (await browser.get(r.headers["location"])).text
    assert "Факсимиле подписи загружено" in page
    row = page[page.index(f'data-facsimile="{accountant_id}"'):]
    row = row[:row.index("</tr>")]
    assert "accountant-user" in row and "Клиника" in row and "Руководитель" in row
    assert f'value="{manager_id}" checked' in row
    assert f'src="/admin/signatures/facsimiles/{accountant_id}/image?v=' in row

    doc = await rest.create("invoices", invoice_data(papers, (papers.service, "1", "1500")), post=True)
    url = f"/print/invoices/{doc['id']}/invoice?facsimile=true"
    assert pdf_images((await accountant.get(url)).content) == 2  # the owner
    assert pdf_images((await manager.get(url)).content) == 2  # shared with the manager

    r = await browser.post(f"/admin/signatures/facsimiles/{accountant_id}/allowed", {})
    assert "Список пользователей факсимиле записан" in (await browser.get(r.headers["location"])).text
    refused = await manager.get(url, status=403)
    assert "Вам не разрешено печатать с факсимиле организации «Клиника»" in refused.text
    # Nor can the manager download again the signed PDF the accountant printed.
    [signed] = [r["id"] for r in await db.fetch(
        "SELECT id FROM generated_documents WHERE user_id = $1 AND facsimile", accountant_id)]
    denied = await manager.get(f"/generated-documents/{signed}/download", status=403)
    assert "напечатан с факсимиле подписей" in denied.text

    r = await browser.post(f"/admin/signatures/stamps/{papers.org}/delete", {})
    r = await browser.post(f"/admin/signatures/facsimiles/{accountant_id}/delete", {})
    page = (await browser.get(r.headers["location"])).text
    assert "Факсимиле подписи удалено" in page and "Не загружена" in page and "Факсимиле не загружены" in page
    assert await db.fetchval("SELECT count(*) FROM printing_stamps") == 0


async def test_a_bad_upload_is_refused_next_to_its_field_and_nothing_is_stored(browser, papers, db):
    action = f"/admin/signatures/stamps/{papers.org}"
    cases = [(noise_png(), "stamp.png", "файл слишком большой"),
             (b"%PDF-1.7 not a picture", "stamp.png", "нужна картинка PNG или JPEG"),
             (png()[:60], "stamp.png", "файл повреждён или это не картинка PNG/JPEG"),
             (noise_jpeg()[:5000], "stamp.jpg", "файл повреждён или это не картинка PNG/JPEG"),
             (b"", "", "файл пустой")]
    assert len(cases[0][0]) > 1024 * 1024
    for content, name, message in cases:
        r = await upload(browser, action, content, status=422, name=name)
        assert message in form_of(r.text, action), message
        assert "Не записано: исправьте отмеченные поля" in r.text
    # Past the server's 10 MB body limit the form cannot even be read: the page still says why.
    huge = await upload(browser, action, b"\x89PNG\r\n\x1a\n" + bytes(12 * 1024 * 1024), status=413)
    assert "Файл слишком большой: картинка печати или подписи — PNG или JPEG не больше 1024 КБ" in huge.text
    assert await db.fetchval("SELECT count(*) FROM printing_stamps") == 0

    me = await user_id(db, "admin-user")
    r = await upload(browser, "/admin/signatures/facsimiles", b"GIF89a....", status=422, user_id=me,
                     organization_id=papers.org, position="accountant")
    facsimile_form = form_of(r.text, "/admin/signatures/facsimiles")
    assert "нужна картинка PNG или JPEG" in facsimile_form
    assert f'<option value="{me}" selected>' in facsimile_form, "the form comes back as it was filled"
    assert '<option value="accountant" selected>' in facsimile_form
    r = await upload(browser, "/admin/signatures/facsimiles", png(), status=422, user_id="",
                     organization_id=papers.org, position="director")
    assert "выберите: чья подпись" in form_of(r.text, "/admin/signatures/facsimiles")
    assert await db.fetchval("SELECT count(*) FROM printing_facsimiles") == 0


async def test_managers_cannot_reach_signatures_or_mail_settings(login_as, papers, db):
    manager = await login_as("manager")
    assert "/admin/signatures" not in (await manager.get("/")).text
    for path in ("/admin/signatures", "/admin/smtp", f"/admin/signatures/stamps/{papers.org}/image"):
        assert "Недостаточно прав" in (await manager.get(path, status=403)).text
    await upload(manager, f"/admin/signatures/stamps/{papers.org}", png(), status=403)
    await manager.post("/admin/smtp", {"host": "smtp.example.com", "port": "25", "security": "none",
                                       "from_email": "x@example.com", "timeout_seconds": "5"}, status=403)
    assert await db.fetchval("SELECT count(*) FROM printing_stamps") == 0
    assert await db.fetchval("SELECT count(*) FROM constants WHERE key = 'smtp'") == 0


SMTP_FORM = {"host": "127.0.0.1", "security": "none", "username": "clinic", "from_email": "clinic@example.com",
             "from_name": "Клиника Здоровье", "timeout_seconds": "5"}


async def test_smtp_settings_keep_the_password_write_only(browser, db):
    assert 'href="/admin/smtp"' in (await browser.get("/admin")).text
    assert "Пароль не задан." in (await browser.get("/admin/smtp")).text
    r = await browser.post("/admin/smtp", {**SMTP_FORM, "port": "2525", "password": "smtp-secret"})
    page = (await browser.get(r.headers["location"])).text
    assert "Настройки почты записаны" in page and "Пароль сохранён" in page
    assert "smtp-secret" not in page and 'value="2525"' in page and 'value="clinic@example.com"' in page
    assert 'name="password" value=""' in page

    # Left blank, the stored password stays; the rest changes.
    await browser.post("/admin/smtp", {**SMTP_FORM, "port": "587", "host": "mail.example.com", "password": ""})
    kept = await mail.get_smtp(db, SECRET)
    assert (kept.host, kept.port, kept.password) == ("mail.example.com", 587, "smtp-secret")
    assert "smtp-secret" not in await db.fetchval("SELECT value::text FROM constants WHERE key = 'smtp'")

    bad = await browser.post("/admin/smtp", {**SMTP_FORM, "port": "abc", "password": ""}, status=422)
    assert "порт — от 1 до 65535" in bad.text and "Настройки почты не записаны" in bad.text
    bad = await browser.post("/admin/smtp", {**SMTP_FORM, "port": "25", "from_email": "clinic", "host": ""},
                             status=422)
    assert "неверный адрес отправителя" in bad.text and "укажите адрес SMTP-сервера" in bad.text
    assert 'value="clinic"' in bad.text, "the form comes back as typed"
    assert (await mail.get_smtp(db, SECRET)).host == "mail.example.com", "a refused form changes nothing"


async def test_send_to_client_from_the_invoice_and_the_act_forms(browser, login_as, rest, papers, mailbox, db):
    doc = await rest.create("invoices", invoice_data(papers, (papers.service, "1", "1500")), post=True)
    send = f"/documents/invoices/{doc['id']}/send"
    form = (await browser.get(f"/documents/invoices/{doc['id']}")).text
    assert "Отправить клиенту" in form and f'action="{send}"' in form
    not_configured = await browser.post(send, {"form": "invoice"}, status=409)
    assert "Отправка почты не настроена" in not_configured.text and "data-send-menu open" not in not_configured.text

    await browser.post("/admin/smtp", {**SMTP_FORM, "port": mailbox.port, "username": "", "password": ""})
    manager = await login_as("manager")
    await manager.get(f"/documents/invoices/{doc['id']}")
    sent = await manager.post(send, {"form": "invoice"}, status=200)
    assert "Документ отправлен на ivanov@example.com" in sent.text
    [message] = mailbox.messages
    assert message["To"] == "ivanov@example.com"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert "Счёт на оплату № 1 от 22 декабря 2021 г." in pdf_text(attachment.get_content())

    other = await browser.post(send, {"form": "invoice", "to": "buh@medsnab.example.com"}, status=200)
    assert "Документ отправлен на buh@medsnab.example.com" in other.text
    listed = (await browser.get(f"/generated-documents?document_kind=invoices&document_id={doc['id']}")).text
    assert "ivanov@example.com" in listed and "buh@medsnab.example.com" in listed

    company = await rest.create("invoices", invoice_data(papers, (papers.service, "1", "1500"),
                                                         client_id=papers.company), post=True)
    missing = await browser.post(f"/documents/invoices/{company['id']}/send", {"form": "invoice"}, status=422)
    assert "Документ не отправлен" in missing.text
    assert "У клиента «ООО «МедСнаб»» не указан адрес эл. почты" in missing.text
    assert "data-send-menu open" in missing.text, "the menu stays open with the address field"

    act = await rest.create("service-renderings", rendering_data(papers, (papers.service, "1", "1500")))
    act_form = (await browser.get(f"/documents/service-renderings/{act['id']}")).text
    assert f'action="/documents/service-renderings/{act["id"]}/send"' in act_form
    assert "Отправить: Акт об оказании услуг" in act_form
    mailbox.refuse = True
    failed = await browser.post(f"/documents/service-renderings/{act['id']}/send", {"form": "act"}, status=502)
    assert f"Почтовый сервер 127.0.0.1:{mailbox.port} отклонил адрес получателя ivanov@example.com" in failed.text
    mailbox.refuse = False
    done = await browser.post(f"/documents/service-renderings/{act['id']}/send", {"form": "act"}, status=200)
    assert "Документ отправлен на ivanov@example.com" in done.text
    assert mailbox.messages[-1]["Subject"].startswith("Акт об оказании услуг №")
    assert len(mailbox.messages) == 3
    assert await db.fetchval("SELECT count(*) FROM generated_documents WHERE sent_to IS NOT NULL") == 3


async def test_the_generated_documents_list_filters_pages_and_downloads(browser, login_as, rest, papers, db):
    assert 'href="/generated-documents"' in (await browser.get("/documents")).text
    invoice = await rest.create("invoices", invoice_data(papers, (papers.service, "1", "1500")), post=True)
    act = await rest.create("service-renderings", rendering_data(papers, (papers.service, "1", "1500")))
    manager = await login_as("manager")
    printed = await browser.get(f"/print/invoices/{invoice['id']}/invoice")
    await manager.get(f"/print/service-renderings/{act['id']}/act")
    # 30 more prints of the invoice, kept as printing keeps them, to page through.
    [data] = await service.load_documents(db, [("invoices", invoice["id"])], None)
    await registry.store(db, [(data, printed.content)] * 30, user_id=await user_id(db, "admin-user"),
                         facsimile=False)

    page = (await browser.get("/generated-documents?limit=25")).text
    assert page.count("data-generated-id=") == 25 and 'rel="next"' in page
    following = re.search(r'href="([^"]+)" hx-get="[^"]+" hx-target="#list" hx-push-url="true" rel="next"', page)
    rest_page = (await browser.get(following.group(1).replace("&amp;", "&"))).text
    assert rest_page.count("data-generated-id=") == 7 and 'rel="next"' not in rest_page
    assert "Акт об оказании услуг" in rows_of(rest_page) and "Акт об оказании услуг" not in rows_of(page)
    ids = set(re.findall(r'data-generated-id="(\d+)"', page)) | set(re.findall(r'data-generated-id="(\d+)"',
                                                                                rest_page))
    assert len(ids) == 32, "each PDF once across the pages"
    remembered = (await browser.get("/generated-documents")).text
    assert '<strong aria-current="true">25</strong>' in remembered

    only_acts = (await browser.get("/generated-documents?document_kind=service-renderings")).text
    assert only_acts.count("data-generated-id=") == 1 and "manager-user" in only_acts
    by_manager = await browser.get(f"/generated-documents?user_id={await user_id(db, 'manager-user')}")
    assert by_manager.text.count("data-generated-id=") == 1
    by_type = await browser.get("/generated-documents?document_type=Счёт&limit=50")
    assert by_type.text.count("data-generated-id=") == 31
    by_org = await browser.get(f"/generated-documents?organization_id={papers.org}&limit=50")
    assert by_org.text.count("data-generated-id=") == 32
    by_client = await browser.get(f"/generated-documents?client_id={papers.client}&limit=50&form=act")
    assert by_client.text.count("data-generated-id=") == 1
    none_yet = await browser.get("/generated-documents?start=2099-01-01")
    assert "Ничего не найдено" in none_yet.text
    bad = await browser.get("/generated-documents?amocrm_lead_id=abc")
    assert "ожидается целое число больше нуля" in bad.text

    # From the act's form: its own PDFs, and download again.
    form = (await browser.get(f"/documents/service-renderings/{act['id']}")).text
    link = re.search(r'<a href="([^"]+)" data-generated-link>', form).group(1).replace("&amp;", "&")
    own = (await browser.get(link)).text
    assert own.count("data-generated-id=") == 1 and "Акт об оказании услуг № " in own and "Снять отбор" in own
    [generated_id] = re.findall(r'data-generated-id="(\d+)"', own)
    download = await manager.get(f"/generated-documents/{generated_id}/download")
    assert download.headers["content-disposition"].startswith("attachment")
    assert "Акт об оказании услуг №" in pdf_text(download.content)

    htmx = await browser.get("/generated-documents?document_kind=service-renderings",
                             headers={"HX-Request": "true"})
    assert "<html" not in htmx.text and htmx.text.count("data-generated-id=") == 1


async def test_every_input_of_the_new_screens_has_a_label(browser, rest, papers, db):
    doc = await rest.create("invoices", invoice_data(papers, (papers.service, "1", "1500")), post=True)
    await upload(browser, "/admin/signatures/facsimiles", png(), user_id=await user_id(db, "admin-user"),
                 organization_id=papers.org, position="accountant")
    for path in ("/admin/signatures", "/admin/smtp", "/generated-documents",
                 f"/generated-documents?document_kind=invoices&document_id={doc['id']}",
                 f"/documents/invoices/{doc['id']}"):
        parser = a11y.Controls()
        parser.feed((await browser.get(path)).text)
        assert parser.controls and parser.unlabelled() == [], path
    await browser.post("/locale", {"lang": "en", "next": "/"})
    assert "Signatures and stamps" in (await browser.get("/admin")).text
    english = (await browser.get("/generated-documents")).text
    assert "Generated documents" in english and "Document type" in english and "Сформированные" not in english
    form = (await browser.get(f"/documents/invoices/{doc['id']}")).text
    assert "Send to client" in form and "preview with facsimile" in form


async def test_the_lead_column_opens_the_lead_in_amocrm_once_an_account_is_connected(browser, rest, papers, db):
    invoice = await rest.create("invoices", invoice_data(papers, (papers.service, "1", "1500"), amocrm_lead_id=4242),
                                post=True)
    await browser.get(f"/print/invoices/{invoice['id']}/invoice")
    plain = rows_of((await browser.get("/generated-documents")).text)
    assert "<td>4242</td>" in plain and "amocrm.ru/leads/detail" not in plain, "no account: the bare id"

    await connection.save(db, SECRET, base_url="https://clinic.amocrm.ru", client_id="integration-1",
                          client_secret="s3cret", redirect_uri="https://erp.example/api/amocrm/oauth/callback",
                          account_id=31337, subdomain="clinic",
                          tokens={"access_token": "a", "refresh_token": "r", "expires_in": 86400})
    linked = rows_of((await browser.get("/generated-documents")).text)
    assert ('<a href="https://clinic.amocrm.ru/leads/detail/4242" target="_blank" rel="noopener" data-amocrm-lead>'
            '4242</a>') in linked
    by_lead = (await browser.get("/generated-documents?amocrm_lead_id=4242",
                                 headers={"HX-Request": "true"})).text
    assert "https://clinic.amocrm.ru/leads/detail/4242" in by_lead, "the htmx fragment links the same way"
