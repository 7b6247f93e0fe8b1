"""``POST /api/documents/opening-balances/fill-from-excel``: a section of «Ввод начальных остатков»
read from an Excel workbook (:mod:`erp.services.opening_excel`). Writes nothing: the answer is the
lines to put into the document (``lines``, empty while any row is wrong) and every row's problems
(``rows``); a file that cannot be read at all is a 4xx with a Russian message and a stable code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException

from erp.api.catalog_import import Multipart, too_large_response
from erp.api.schemas import plain
from erp.api.security import allow
from erp.documents.opening_balance import SECTIONS, opening_balances
from erp.platform.errors import ValidationError
from erp.platform.fields import FieldError
from erp.services import opening_excel


@dataclass
class OpeningUpload:
    file: UploadFile
    section: str = ""
    organization_id: str = ""


class RowError(msgspec.Struct):
    column: str
    message: str


class FilledRow(msgspec.Struct):
    row: int
    line: dict[str, Any]
    names: dict[str, str]
    errors: list[RowError]


class FilledSection(msgspec.Struct):
    section: str
    sheet: str
    total: int
    errors: int
    columns: dict[str, str]
    rows: list[FilledRow]
    lines: list[dict[str, Any]]


def _organization(raw: str) -> int | None:
    field = opening_balances.header_field("organization_id")
    try:
        return field.parse(raw.strip() or None) if raw.strip() else None
    except FieldError as exc:
        raise ValidationError.field("organization_id", str(exc)) from None


def answer(filled: opening_excel.Filled) -> FilledSection:
    return FilledSection(
        section=filled.section, sheet=filled.sheet, total=len(filled.rows), errors=filled.errors,
        columns=filled.columns,
        rows=[FilledRow(row=r.row, line={k: plain(v) for k, v in r.line.items()}, names=r.names,
                        errors=[RowError(**e) for e in r.errors]) for r in filled.rows],
        lines=[{k: plain(v) for k, v in ln.items()} for ln in filled.lines])


def routes(_registry=None) -> list:
    about = ("multipart/form-data: `file` — книга Excel (.xlsx) не больше 10 МБ; `section` — раздел учёта ("
             + ", ".join(f"`{s}`" for s in SECTIONS) + "); `organization_id` — организация документа (обязательна "
             "для `money`: кассы и банковские счета ищутся у неё). Первая строка листа называет колонки: для "
             "`stock` — Склад, Номенклатура, Количество, Сумма; для `clients` — Клиент, Сумма; для `suppliers` — "
             "Поставщик, Сумма; для `money` — Касса или Банковский счёт, Сумма. Ничего не записывает: `lines` — "
             "строки для документа (пусто, если в какой-то строке ошибка), `rows` — каждая строка файла с её "
             "ошибками. Плохой файл (не .xlsx, повреждённый лист, текст в другой кодировке, больше 10 МБ) — "
             "4xx с сообщением и кодом.")

    async def fill(request: Request, data: Annotated[OpeningUpload, Multipart]) -> FilledSection:
        content = await data.file.read()
        async with request.app.state.pool.acquire() as conn:
            filled = await opening_excel.read(conn, content, data.section.strip() or "stock",
                                              _organization(data.organization_id))
        return answer(filled)

    return [post("/api/documents/opening-balances/fill-from-excel", guards=[allow(*opening_balances.write_roles)],
                 tags=[f"Документ: {opening_balances.title}"], status_code=200,
                 exception_handlers={HTTPException: too_large_response},
                 summary=f"{opening_balances.title}: заполнить раздел из Excel (ничего не записывает)",
                 description=about, operation_id="opening_balances_fill_from_excel",
                 name="opening_balances_fill_from_excel")(fill)]
