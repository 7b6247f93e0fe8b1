"""Reading an uploaded Excel workbook (.xlsx) safely: the first sheet as a header row and data rows.

An upload is untrusted. Before openpyxl sees it, the file is checked to be an .xlsx at all (a
ZIP holding ``xl/workbook.xml``; an old .xls, a CSV or text, a Word file are named as such), its
unpacked size is added up from the archive's directory (a ZIP entry never yields more than the
size it declares, so the sum bounds what reading can unpack: a "zip bomb" is refused unread),
and XML with a DOCTYPE (entity expansion) is refused. Whatever openpyxl then fails on is a broken
sheet. Every refusal is an :class:`ImportFileError`: a Russian message and a stable code; nothing
has been written by then.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from erp.platform.errors import ValidationError

log = logging.getLogger("erp.import")

MAX_FILE_BYTES = 10 * 1024 * 1024  # the request body limit of the application (Litestar's default)
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 200
HEADER_SEARCH_ROWS = 10  # the header is the first row with text within the first rows

_ZIP = b"PK\x03\x04"
_DOCTYPE = re.compile(rb"<!doctype", re.IGNORECASE)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 (.xls), and old Word files


class ImportFileError(ValidationError):
    """A file that cannot be imported at all: nothing is read from it and nothing is written."""

    code = "bad_file"

    def __init__(self, message: str, code: str, status: int = 422) -> None:
        super().__init__(message, code=code, status=status, details={"fields": {"file": message}})


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number in the sheet, cells)


def too_large(size: int | None = None) -> ImportFileError:
    got = f" ({size / 1024 / 1024:.1f} МБ)" if size else ""
    return ImportFileError(f"Файл слишком большой{got}: загружайте книгу Excel не больше "
                           f"{MAX_FILE_BYTES // 1024 // 1024} МБ (это около 100 000 строк справочника)",
                           "file_too_large", status=413)


def _not_xlsx(content: bytes) -> ImportFileError:
    if content.startswith(_OLE):
        return ImportFileError("Файл в старом формате Excel 97–2003 (.xls). Откройте его в Excel и сохраните "
                               "как «Книга Excel (.xlsx)»", "xls_format")
    head = content[:4096]
    if head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return ImportFileError("Это не таблица Excel, а документ или картинка. Загрузите книгу Excel (.xlsx)",
                               "not_xlsx")
    if _looks_like_text(head):
        return ImportFileError("Это текстовый файл (например, CSV), а не книга Excel. Откройте его в Excel и "
                               "сохраните как «Книга Excel (.xlsx)» — тогда кодировка текста не важна", "not_xlsx")
    return ImportFileError("Это не книга Excel (.xlsx). Загрузите файл, сохранённый в Excel или выгруженный "
                           "из списка кнопкой «Excel»", "not_xlsx")


def _looks_like_text(head: bytes) -> bool:
    """UTF-8, UTF-16 or a one-byte Cyrillic encoding with line breaks or separators: a CSV, a TXT."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    printable = sum(1 for b in head if b >= 0x20 or b in (9, 10, 13))
    return bool(head) and printable / len(head) > 0.95


def read_sheet(content: bytes) -> Sheet:
    """The first worksheet of ``content``, or :class:`ImportFileError`."""
    if not content:
        raise ImportFileError("Файл пустой", "empty_file")
    if len(content) > MAX_FILE_BYTES:
        raise too_large(len(content))
    if not content.startswith(_ZIP):
        raise _not_xlsx(content)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ImportFileError("Файл повреждён: архив книги Excel не читается. Сохраните книгу в Excel заново",
                              "broken_file") from None
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names:
        kind = ("документ Word" if "word/document.xml" in names else
                "таблица OpenDocument (.ods)" if "content.xml" in names else "ZIP-архив")
        raise ImportFileError(f"Это {kind}, а не книга Excel (.xlsx)", "not_xlsx")
    unpacked = sum(e.file_size for e in entries)
    if unpacked > MAX_UNPACKED_BYTES or len(entries) > 10_000:
        raise ImportFileError(
            f"Книга в распакованном виде занимает {unpacked / 1024 / 1024:.0f} МБ — больше допустимых "
            f"{MAX_UNPACKED_BYTES // 1024 // 1024} МБ. Такой файл не похож на справочник (возможно, это "
            "«zip-бомба»); разбейте данные на несколько файлов", "file_too_large_unpacked")
    try:
        if any(_has_doctype(archive, e) for e in entries if e.filename.endswith((".xml", ".rels"))):
            raise ImportFileError("Файл содержит недопустимую XML-конструкцию (DOCTYPE) и не будет прочитан",
                                  "unsafe_file")
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        raise ImportFileError("Файл повреждён: часть книги Excel не распаковывается", "broken_file") from None
    return _read(content)


def broken_sheet() -> ImportFileError:
    return ImportFileError("Лист книги Excel повреждён или его текст записан не в той кодировке, и он не читается. "
                           "Откройте файл в Excel и сохраните его заново как «Книга Excel (.xlsx)»", "broken_sheet")


def _has_doctype(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    """Whether an XML part declares a DOCTYPE (entities): read in chunks, never more than it declares."""
    tail = b""
    with archive.open(entry) as part:
        while chunk := part.read(1024 * 1024):
            if _DOCTYPE.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _read(content: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ParseError as exc:  # openpyxl reads the sheets' XML as it opens the book
        log.info("unreadable sheet XML: %r", exc)
        raise broken_sheet() from None
    except Exception as exc:  # openpyxl's failures on a malformed book are of many kinds
        log.info("unreadable workbook: %r", exc)
        raise ImportFileError("Книга Excel повреждена и не открывается. Сохраните её в Excel заново",
                              "broken_file") from None
    try:
        if not book.worksheets:
            raise ImportFileError("В книге нет листов с данными", "empty_sheet")
        sheet = book.worksheets[0]
        title = str(sheet.title)
        rows: list[tuple[int, list[Any]]] = []
        headers: list[str] | None = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values[:MAX_COLUMNS]]
            if all(c is None for c in cells):
                continue
            if headers is None:
                if number > HEADER_SEARCH_ROWS:
                    break
                if any(isinstance(c, str) for c in cells):
                    headers = [str(c).strip() if c is not None else "" for c in cells]
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(f"В файле больше {MAX_ROWS:,} строк; разбейте его на несколько файлов"
                                      .replace(",", " "), "too_many_rows")
            rows.append((number, cells))
    except ImportFileError:
        raise
    except Exception as exc:
        log.info("unreadable sheet: %r", exc)
        raise broken_sheet() from None
    finally:
        book.close()
    if headers is None:
        raise ImportFileError("На первом листе нет строки заголовков: первая строка таблицы должна называть "
                              "колонки («Наименование», «ИНН»…)", "no_header")
    if not rows:
        raise ImportFileError("В файле нет строк с данными под заголовком", "empty_sheet")
    width = len(headers)
    return Sheet(title, headers, [(n, (cells + [None] * width)[:width]) for n, cells in rows])


def _cell(value: Any) -> Any:
    """A cell's value as the import reads it: text stripped (empty text is no value), numbers and dates as they are."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, dt.time | dt.date | dt.datetime | bool | int | float) or value is None:
        return value
    return str(value)
