"""``/api/bank-statements``: loading a bank statement (``1CClientBankExchange``, ``kl_to_1c.txt``).

Two calls, both ``multipart/form-data`` with the file in ``file`` and, optionally, ``choices`` (JSON:
``{"номер строки": {"client_id", "invoice_id", "operation", "cash_flow_item_id", "skip"}}``):
``…/preview`` says what each payment of the statement would become, writing nothing; the other loads
it in one transaction. Who may post payments and outgoing payments may load statements. The logic is
:mod:`erp.services.bank_statement`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body

from erp.api.errors import error_response
from erp.api.security import allow
from erp.platform.errors import ValidationError
from erp.services import bank_statement as service
from erp.services.bank_exchange import MAX_FILE_BYTES, StatementError

Multipart = Body(media_type=RequestEncodingType.MULTI_PART)
ROLES = ("admin", "accountant")  # the write roles of payments and outgoing payments
TAGS = ["Выписка банка"]


@dataclass
class StatementUpload:
    file: UploadFile
    choices: str = ""


class Candidate(msgspec.Struct):
    id: int
    name: str
    kpp: str | None = None


class InvoiceOption(msgspec.Struct):
    id: int
    number: str
    date: dt.date
    due: Decimal


class DocumentRef(msgspec.Struct):
    kind: str
    id: int | None
    number: str | None = None


class StatementRow(msgspec.Struct):
    row: int
    line: int
    kind: str
    number: str
    date: dt.date
    day: dt.date
    amount: Decimal
    direction: str
    status: str
    counterparty: str
    inn: str
    counterparty_account: str
    purpose: str
    organization_id: int
    bank_account_id: int
    bank_account_to_id: int | None
    client_id: int | None
    client_name: str
    invoice_id: int | None
    invoice_number: str
    operation: str
    cash_flow_item_id: int | None
    note: str
    candidates: list[Candidate]
    invoices: list[InvoiceOption]
    document: DocumentRef | None


class OurAccount(msgspec.Struct):
    id: int
    account_number: str
    name: str
    organization_id: int
    organization: str


class StatementPreview(msgspec.Struct):
    version: str
    encoding: str
    start: dt.date | None
    end: dt.date | None
    accounts: list[OurAccount]
    total: int
    ready: int
    imported: int
    unmatched: int
    skipped: int
    incoming: Decimal
    outgoing: Decimal
    rows: list[StatementRow]


def read_choices(raw: str) -> dict[int, dict[str, Any]]:
    if not raw.strip():
        return {}
    try:
        value = msgspec.json.decode(raw.encode())
    except msgspec.DecodeError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(v, dict) and str(k).strip().isdigit()
                                              for k, v in value.items()):
        raise ValidationError.field("choices", "ожидается JSON-объект {\"номер строки\": {\"client_id\": …, "
                                               "\"invoice_id\": …, \"operation\": …, \"skip\": true}}",
                                    code="bad_choice")
    return {int(k): v for k, v in value.items()}


def of_plan(found: service.Plan) -> StatementPreview:
    return msgspec.convert({**found.summary(), "rows": [r.as_dict() for r in found.rows]}, StatementPreview)


def too_large_response(request: Request, exc: HTTPException) -> Response:
    """A body past the application's limit is the statement's own 413."""
    if exc.status_code != 413:
        from erp.api.errors import handle_http

        return handle_http(request, exc)
    error = StatementError(f"файл больше {MAX_FILE_BYTES // 1024 // 1024} МБ: выписка бывает меньше",
                           "file_too_large", status=413)
    return error_response(error.status, error.code, error.message, error.details)


ABOUT = ("multipart/form-data: `file` — выписка в формате обмена 1С с «Клиент-Банком» (`1CClientBankExchange`, "
         "файл `kl_to_1c.txt`; Windows-1251, DOS или UTF-8; не больше 10 МБ); `choices` (необязательно) — JSON "
         "{\"номер строки\": {\"client_id\", \"invoice_id\", \"operation\" (`to_supplier`, `to_client`, "
         "`other_expense`), \"cash_flow_item_id\", \"skip\": true}}. Направление строки — по нашему счёту "
         "(справочник «Банковские счета»): получатель — поступление оплаты (клиент по ИНН плательщика, счёт "
         "на оплату по номеру в назначении платежа), плательщик — списание денежных средств (поставщик по ИНН "
         "получателя), оба — перемещение. Статусы строк: `ready`, `imported` (загружена раньше: та же дата, "
         "номер, счета и сумма), `unmatched` (выберите контрагента), `skipped`. Ошибки файла: "
         "`statement_bad_header`, `statement_broken`, `statement_bad_amount`, `statement_bad_date`, "
         "`statement_no_our_account`, `statement_unknown_account`, `invalid_text`, `file_too_large` (413).")


@post("/api/bank-statements/preview", guards=[allow(*ROLES)], tags=TAGS, status_code=200,
      exception_handlers={HTTPException: too_large_response}, operation_id="bank_statement_preview",
      name="bank_statement_preview",
      summary="Выписка банка: проверить файл перед загрузкой (ничего не записывает)", description=ABOUT)
async def preview(request: Request, data: Annotated[StatementUpload, Multipart]) -> StatementPreview:
    content = await data.file.read()
    choices = read_choices(data.choices)
    async with request.app.state.pool.acquire() as conn:
        found = await service.preview(conn, content, choices, tz=request.app.state.settings.tz)
    return of_plan(found)


@post("/api/bank-statements", guards=[allow(*ROLES)], tags=TAGS, status_code=201,
      exception_handlers={HTTPException: too_large_response}, operation_id="bank_statement_load",
      name="bank_statement_load",
      summary="Выписка банка: загрузить (документы создаются и проводятся одной транзакцией)",
      description=ABOUT + " Строки `ready` становятся проведёнными документами (в `document` — вид, id и номер); "
                          "если хоть один документ не проводится (закрытый период, не хватает денег на счёте, "
                          "счёт другого клиента…), не записывается ничего и ошибка называет строку (`details.row`). "
                          "Повторная загрузка того же файла ничего не создаёт.")
async def load(request: Request, data: Annotated[StatementUpload, Multipart]) -> StatementPreview:
    content = await data.file.read()
    choices = read_choices(data.choices)
    async with request.app.state.pool.acquire() as conn:
        found = await service.apply(conn, request.app.state.engine, content, choices, author_id=request.user.user_id)
    return of_plan(found)


ROUTES = [preview, load]
