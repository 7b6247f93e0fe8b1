"""Issue 18 point 6: a generated document keeps the scan of the signed paper (PDF, JPEG,
PNG; size and type checked as the stamps are) and the mark «Подписан клиентом» with who
and when; the registry filters signed / not signed and by the day it was sent."""

from __future__ import annotations

import io

from PIL import Image

from tests.printing.conftest import Api as PrintApi
from tests.printing.conftest import invoice_data, make_clinic
from tests.ui.test_print_ui import rows_of


def picture(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (240, 240, 240)).save(out, fmt)
    return out.getvalue()


async def printed(client, admin) -> tuple[PrintApi, int, bytes]:
    rest = PrintApi(client, admin)
    clinic = await make_clinic(rest)
    doc = await rest.create("invoices", invoice_data(clinic, (clinic.service, "1", "1500")), post=True)
    r = await rest.raw("GET", f"/api/documents/invoices/{doc['id']}/print/invoice")
    rest.doc = doc["id"]
    return rest, int(r.headers["X-Generated-Document-Ids"]), r.content


async def upload(browser, generated: int, content: bytes, name: str, status: int = 303):
    return await browser.post(f"/generated-documents/{generated}/scan", {"back": "/generated-documents"},
                              status=status, files={"file": (name, content, "application/octet-stream")})


async def test_a_scan_is_attached_downloaded_and_replaced(browser, client, admin, db):
    rest, generated, pdf = await printed(client, admin)
    listing = (await browser.get("/generated-documents")).text
    assert f'action="/generated-documents/{generated}/scan"' in listing and "Приложить скан" in listing
    done = await upload(browser, generated, pdf, "подписанный счёт.pdf")
    assert done.headers["location"] == "/generated-documents"
    listing = rows_of((await browser.get("/generated-documents")).text)
    assert "подписанный счёт.pdf" in listing and "Заменить скан" in listing
    back = await browser.get(f"/generated-documents/{generated}/scan")
    assert back.headers["content-type"] == "application/pdf" and back.content == pdf
    photo = picture("JPEG")
    await upload(browser, generated, photo, "фото")
    back = await browser.get(f"/generated-documents/{generated}/scan")
    assert back.headers["content-type"] == "image/jpeg" and back.content == photo
    assert "фото.jpg" in back.headers["content-disposition"] or "%D1%84%D0%BE%D1%82%D0%BE.jpg" in \
        back.headers["content-disposition"]
    api_row = await rest.get(f"/api/generated-documents/{generated}")
    assert api_row["has_scan"] is True and api_row["scan_file_name"] == "фото.jpg"


async def test_a_bad_scan_is_refused_with_the_reason_and_nothing_is_stored(browser, client, admin, db):
    _rest, generated, _pdf = await printed(client, admin)
    gif = b"GIF89a" + b"\x00" * 100
    for content, name, reason in (
            (b"", "пусто.pdf", "файл пустой"),
            (gif, "картинка.gif", "нужен скан в PDF, JPEG или PNG"),
            (b"%PDF-1.7\nnot a pdf at all", "поддельный.pdf", "файл повреждён или это не PDF"),
            (picture("PNG")[:200], "обрезанный.png", "файл повреждён или это не картинка PNG/JPEG"),
            (b"%PDF-1.7\n" + b"0" * (9 * 1024 * 1024), "огромный.pdf", "файл слишком большой")):
        refused = await upload(browser, generated, content, name, status=422)
        assert f"Скан не приложен: {reason}" in refused.text, (name, refused.text[:1500])
    assert await db.fetchval("SELECT scan IS NULL FROM generated_documents WHERE id = $1", generated)


async def test_signed_by_the_client_with_who_and_when_and_the_filters(browser, login_as, client, admin, db):
    rest, generated, _pdf = await printed(client, admin)
    again = await rest.raw("GET", f"/api/documents/invoices/{rest.doc}/print/invoice")
    other = int(again.headers["X-Generated-Document-Ids"])
    manager = await login_as("manager")
    await manager.get("/generated-documents")
    await manager.post(f"/generated-documents/{generated}/signed", {"action": "sign", "back": "/generated-documents"})
    row = await db.fetchrow("SELECT signed_at, u.username FROM generated_documents g JOIN users u ON u.id = g.signed_by"
                            " WHERE g.id = $1", generated)
    assert row["username"] == "manager-user" and row["signed_at"] is not None
    signed = rows_of((await browser.get("/generated-documents?signed=yes")).text)
    assert f'data-generated-id="{generated}"' in signed and f'data-generated-id="{other}"' not in signed
    assert "manager-user" in signed and "Снять отметку" in signed
    unsigned = rows_of((await browser.get("/generated-documents?signed=no")).text)
    assert f'data-generated-id="{other}"' in unsigned and f'data-generated-id="{generated}"' not in unsigned
    api_page = await rest.get("/api/generated-documents", signed="true")
    assert [i["id"] for i in api_page["items"]] == [generated]
    assert api_page["items"][0]["signed_by_name"] == "manager-user"
    # Taken off again.
    await browser.post(f"/generated-documents/{generated}/signed", {"action": "unsign"})
    assert await db.fetchval("SELECT signed_at IS NULL AND signed_by IS NULL FROM generated_documents WHERE id = $1",
                             generated)
    # By the day it was sent.
    await db.execute("UPDATE generated_documents SET sent_to = 'ivanov@example.com',"
                     " sent_at = '2030-03-05 12:00+03' WHERE id = $1", other)
    march = rows_of((await browser.get("/generated-documents?sent_from=2030-03-05&sent_to=2030-03-05")).text)
    assert f'data-generated-id="{other}"' in march and f'data-generated-id="{generated}"' not in march
    assert f'data-generated-id="{other}"' not in rows_of(
        (await browser.get("/generated-documents?sent_from=2030-03-06")).text)
    bad = (await browser.get("/generated-documents?sent_from=05.03.2030&signed=maybe")).text
    assert "дата в виде ГГГГ-ММ-ДД" in bad and "выберите значение из списка" in bad
