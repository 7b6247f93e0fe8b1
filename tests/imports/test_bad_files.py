"""Issue 19 point 5: a file that is not an .xlsx, a broken workbook or sheet, text in another
encoding, a 100 MB upload or a "zip bomb" is refused with a Russian message and a stable code,
before anything is read into the catalog — and nothing is written."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.clinic.conftest import counts
from tests.imports.conftest import audit_rows, upload, xlsx

GOOD = xlsx(["Наименование", "Вид", "ИНН"], ["Иванова Анна", "Физическое лицо", None])


def rewritten(content: bytes, replace: dict[str, bytes]) -> bytes:
    """``content`` (a workbook) with some of its parts replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry.filename, replace.get(entry.filename, source.read(entry.filename)))
    return out.getvalue()


def zip_of(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def bomb() -> bytes:
    """A valid-looking workbook whose sheet unpacks to 300 MB of spaces (about 300 KB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(GOOD)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            if entry.filename != "xl/worksheets/sheet1.xml":
                target.writestr(entry.filename, source.read(entry.filename))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b" " * (1024 * 1024)
            for _ in range(300):
                sheet.write(chunk)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def sheet(*rows: bytes, head: bytes = b'<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    """A sheet's XML: its rows of inline strings given as the bytes inside ``<t>``."""
    cells = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (n, n, text)
                     for n, text in enumerate(rows, start=1))
    return head + NS + b"<sheetData>" + cells + b"</sheetData></worksheet>"

CASES = {
    "empty": (b"", "empty_file", "Файл пустой"),
    "pdf": (b"%PDF-1.7\n" + bytes(2000), "not_xlsx", "а документ или картинка"),
    "csv_cp1251": ("Наименование;ИНН\nИванов;\n".encode("cp1251"), "not_xlsx", "текстовый файл (например, CSV)"),
    "csv_utf16": ("Наименование;ИНН\nИванов;\n".encode("utf-16"), "not_xlsx", "текстовый файл (например, CSV)"),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000), "xls_format", "старом формате Excel 97–2003"),
    "truncated": (GOOD[: len(GOOD) // 2], "broken_file", "Файл повреждён"),
    "docx": (zip_of({"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"<Types/>"}), "not_xlsx",
             "Это документ Word"),
    "broken_sheet": (rewritten(GOOD, {SHEET: sheet("Наименование".encode(), "Иванов".encode())[:-40]}),
                     "broken_sheet", "Лист книги Excel повреждён"),
    # the text written in Windows-1251 while the XML says UTF-8
    "wrong_encoding": (rewritten(GOOD, {SHEET: sheet("Наименование".encode("cp1251"), "Иванов".encode("cp1251"))}),
                       "broken_sheet", "Лист книги Excel повреждён"),
    # entity expansion ("billion laughs") waiting in the sheet
    "doctype": (rewritten(GOOD, {SHEET: sheet("Наименование".encode(), b"&b;", head=(
        b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'))}), "unsafe_file", "DOCTYPE"),
    "no_header": (xlsx([1, 2], [3, 4]), "no_header", "нет строки заголовков"),
    "header_only": (xlsx(["Наименование", "ИНН"]), "empty_sheet", "нет строк с данными"),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_bad_file_is_refused_with_its_code_and_nothing_is_written(client, admin, clinic, db, name):
    _content, code, words = CASES[name]
    before, logged = await counts(db), await audit_rows(db)
    for preview in (True, False):
        refused = await upload(client, admin, "clients", CASES[name][0], preview=preview, status=422)
        assert refused["code"] == code, refused
        assert words in refused["message"], refused["message"]
        assert refused["details"]["fields"]["file"] == refused["message"]
    assert await counts(db) == before and await audit_rows(db) == logged


async def test_a_zip_bomb_is_refused_unread(client, admin, clinic, db):
    content = bomb()
    assert len(content) < 2 * 1024 * 1024
    before = await counts(db)
    refused = await upload(client, admin, "clients", content, status=422)
    assert refused["code"] == "file_too_large_unpacked"
    assert "в распакованном виде занимает 300 МБ" in refused["message"] and "zip-бомба" in refused["message"]
    assert await counts(db) == before


async def test_a_100_mb_upload_is_refused_as_too_large(client, admin, browser, clinic, db):
    huge = b"PK\x03\x04" + bytes(100 * 1024 * 1024)
    before = await counts(db)
    refused = await upload(client, admin, "clients", huge, status=413)
    assert refused["code"] == "file_too_large"
    assert "Файл слишком большой" in refused["message"] and "не больше 10 МБ" in refused["message"]
    page = await browser.client.post("/catalogs/clients/import", files={"file": ("big.xlsx", huge)},
                                     data={"_csrf_token": browser.token})
    assert page.status_code == 413
    assert "Файл слишком большой" in page.text and "не больше 10 МБ" in page.text
    assert await counts(db) == before


async def test_the_page_says_what_is_wrong_with_the_file(browser, clinic, db):
    await browser.get("/catalogs/clients/import")
    before = await counts(db)
    r = await browser.client.post("/catalogs/clients/import/preview",
                                  files={"file": ("price.xls", CASES["xls"][0])}, data={"_csrf_token": browser.token})
    assert r.status_code == 422
    assert "Файл не загружен" in r.text and "старом формате Excel 97–2003 (.xls)" in r.text
    r = await browser.client.post("/catalogs/clients/import/preview", headers={"HX-Request": "true"},
                                  files={"file": ("a.xlsx", b"")}, data={"_csrf_token": browser.token})
    assert r.status_code == 422 and "data-import-error" in r.text and "Файл пустой" in r.text
    assert "<html" not in r.text  # the fragment only, for htmx to swap in
    assert await counts(db) == before
