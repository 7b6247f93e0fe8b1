"""``/api/catalogs/{catalog}/import``: loading clients, nomenclature, doctors and warehouses from Excel.

Two calls, both ``multipart/form-data`` with the workbook in ``file`` and, optionally, ``mapping``
(JSON: ``{"column number from 0 or header": "target"}``; without it the columns are found by their
headers, as the catalog's last import mapped them): ``.../import/preview`` says what each row
would do and what is wrong with it, writing nothing; ``.../import`` loads the file in one
transaction, all or nothing (422 ``import_has_errors`` names the rows). Who may create the
catalog's items may import them. The logic is :mod:`erp.services.catalog_import`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body

from erp.api.errors import error_response
from erp.api.schemas import plain
from erp.api.security import allow
from erp.platform.catalog import Catalog
from erp.platform.errors import ValidationError
from erp.services import catalog_import as service
from erp.services import import_columns
from erp.services.xlsx_file import too_large

Multipart = Body(media_type=RequestEncodingType.MULTI_PART)
SHOWN_ROWS = 10_000


@dataclass
class ImportUpload:
    file: UploadFile
    mapping: str = ""


class ImportColumn(msgspec.Struct):
    index: int
    header: str
    target: str
    title: str


class ImportTarget(msgspec.Struct):
    key: str
    title: str


class ImportRowError(msgspec.Struct):
    column: str
    message: str


class ImportRow(msgspec.Struct):
    row: int
    action: str
    id: int | None
    code: str | None
    name: str
    errors: list[ImportRowError]
    changes: dict[str, list[Any]]


class ImportPreview(msgspec.Struct):
    catalog: str
    sheet: str
    total: int
    create: int
    update: int
    unchanged: int
    errors: int
    columns: list[ImportColumn]
    targets: list[ImportTarget]
    rows: list[ImportRow]


class ImportResult(msgspec.Struct):
    catalog: str
    sheet: str
    total: int
    create: int
    update: int
    unchanged: int
    errors: int


def read_mapping(raw: str) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    try:
        value = msgspec.json.decode(raw.encode())
    except msgspec.DecodeError:
        value = None
    if not isinstance(value, dict):
        raise ValidationError.field("mapping", "ожидается JSON-объект {\"номер или заголовок колонки\": \"поле\"}",
                                    code="bad_mapping")
    return value


def preview_of(found: service.Plan) -> ImportPreview:
    summary = found.summary()
    rows = [ImportRow(row=r.row, action=r.action, id=(r.item or {}).get("id"), code=(r.item or {}).get("code"),
                      name=r.name, errors=[ImportRowError(**e) for e in r.errors],
                      changes={k: [plain(v[0]), plain(v[1])] for k, v in r.changes.items()})
            for r in found.rows[:SHOWN_ROWS]]
    return ImportPreview(
        catalog=summary["catalog"], sheet=summary["sheet"], total=summary["total"], create=summary["create"],
        update=summary["update"], unchanged=summary["unchanged"], errors=summary["errors"],
        columns=[ImportColumn(**c) for c in summary["columns"]],
        targets=[ImportTarget(t.key, t.title) for t in import_columns.targets(found.catalog)], rows=rows)


def too_large_response(_: Request, exc: HTTPException) -> Response:
    """A body past the application's limit is a file too large, said as the import says it."""
    if exc.status_code != 413:
        from erp.api.errors import handle_http

        return handle_http(_, exc)
    error = too_large()
    return error_response(error.status, error.code, error.message, error.details)


def aliases(request: Request) -> dict[str, tuple[str, ...]]:
    """The UI's words in its other languages (an English export's headers and labels), when the UI is there."""
    return getattr(request.app.state, "import_aliases", None) or {}


def import_routes(registry, catalog: Catalog) -> list:
    base = f"/api/catalogs/{catalog.name}/import"
    tags = [f"Справочник: {catalog.title}"]
    guard = [allow(*catalog.write_roles)]
    op = catalog.name.replace("-", "_")
    fields = ", ".join(f"`{t.key}` ({t.title})" for t in import_columns.targets(catalog))
    about = ("multipart/form-data: `file` — книга Excel (.xlsx) не больше 10 МБ, первая строка — заголовки; "
             "`mapping` (необязательно) — JSON {\"номер колонки с 0 или заголовок\": \"поле\"}, пустое поле — "
             f"не загружать. Поля: {fields}. Без `mapping` колонки находятся по заголовкам (выгрузка списка "
             "в Excel загружается как есть) и по прошлой загрузке этого справочника. Существующий элемент "
             "находится по коду, затем "
             + {"clients": "по ИНН (и КПП, если он в файле)", "nomenclature": "по артикулу",
                "doctors": "по наименованию", "warehouses": "по наименованию"}[catalog.name]
             + " и изменяется, а не дублируется.")

    async def preview(request: Request, data: Annotated[ImportUpload, Multipart]) -> ImportPreview:
        content = await data.file.read()
        async with request.app.state.pool.acquire() as conn:
            found = await service.plan(conn, registry, catalog, content, mapping=read_mapping(data.mapping),
                                       aliases=aliases(request), tz=request.app.state.settings.tz)
        return preview_of(found)

    async def load(request: Request, data: Annotated[ImportUpload, Multipart]) -> ImportResult:
        content = await data.file.read()
        async with request.app.state.pool.acquire() as conn:
            result = await service.apply(conn, registry, catalog, content, mapping=read_mapping(data.mapping),
                                         aliases=aliases(request), tz=request.app.state.settings.tz)
        return msgspec.convert(result, ImportResult)

    handlers = {HTTPException: too_large_response}
    return [
        post(f"{base}/preview", guards=guard, tags=tags, status_code=200, exception_handlers=handlers,
             summary=f"{catalog.title}: проверить файл Excel перед загрузкой (ничего не записывает)",
             description=about + " Ответ: что будет с каждой строкой (`create`, `update`, `unchanged`, `error`) "
                                 "и ошибки строк.",
             operation_id=f"catalog_{op}_import_preview", name=f"catalog_{op}_import_preview")(preview),
        post(base, guards=guard, tags=tags, status_code=200, exception_handlers=handlers,
             summary=f"{catalog.title}: загрузить из Excel (всё или ничего)",
             description=about + " Загрузка идёт одной транзакцией: если хоть одна строка с ошибкой, ничего не "
                                 "записывается (422 `import_has_errors`, в `details.rows` — строки и ошибки).",
             operation_id=f"catalog_{op}_import", name=f"catalog_{op}_import")(load),
    ]


def routes(registry) -> list:
    return [r for name, catalog in registry.catalogs.items() if name in service.KEYS
            for r in import_routes(registry, catalog)]
