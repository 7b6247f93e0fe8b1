"""Turning every failure into ``{"code", "message", "details"}`` JSON with
the right status, a Russian message and no stack trace."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from erp.platform.db import DISCONNECTS, DOWN_MESSAGE
from erp.platform.errors import ErpError

log = logging.getLogger("erp.api")

_STATUS_TEXT = {
    400: ("bad_request", "Неверный запрос"),
    401: ("unauthorized", "Требуется вход: передайте заголовок Authorization: Bearer <токен>"),
    403: ("forbidden", "Недостаточно прав для этого действия"),
    404: ("not_found", "Не найдено"),
    405: ("method_not_allowed", "Метод не поддерживается для этого адреса"),
    409: ("conflict", "Конфликт с текущим состоянием данных"),
    413: ("too_large", "Слишком большой запрос"),
    415: ("unsupported_media_type", "Неподдерживаемый тип содержимого"),
    422: ("validation_error", "Неверные данные"),
    429: ("too_many_requests", "Слишком много запросов"),
    503: ("unavailable", "Сервис временно недоступен"),
}

# The validation library's words in Russian: the types it names ...
_TYPES = {"int": "целое число", "str": "строка", "bool": "true или false", "float": "число", "decimal": "число",
          "array": "список", "object": "объект", "null": "null", "date": "дата ГГГГ-ММ-ДД",
          "datetime": "дата и время ISO 8601", "time": "время ЧЧ:ММ", "uuid": "UUID", "bytes": "двоичные данные",
          "duration": "длительность ISO 8601", "timedelta": "длительность ISO 8601"}


def _type(names: str) -> str:
    return " или ".join(_TYPES.get(t.strip(), "значение другого вида") for t in names.split("|"))


def _op(op: str, n: str) -> str:
    return {">=": f"не меньше {n}", "<=": f"не больше {n}", ">": f"больше {n}", "<": f"меньше {n}"}[op]


def _length(t: str, op: str, n: str) -> str:
    unit = {"str": "символов", "array": "элементов", "object": "полей", "bytes": "байт"}.get(t, "элементов")
    if t == "str" and op == ">=" and n == "1":
        return "не может быть пустым"
    return f"{'не длиннее' if op == '<=' and t == 'str' else _op(op, '')[:-1]} {n} {unit}".replace("  ", " ")


# ... and its sentences: one table, first match wins; nothing of the English original is shown.
_MSGSPEC_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"JSON is malformed|Input data was truncated"), lambda m: MALFORMED),
    (re.compile(r"Invalid UTF-8"), lambda m: "текст не в кодировке UTF-8"),
    (re.compile(r"Object missing required field"), lambda m: "обязательное поле не заполнено"),
    (re.compile(r"Object contains unknown field"), lambda m: "неизвестное поле"),
    (re.compile(r"Missing required \w+ parameter"), lambda m: "обязательный параметр не передан"),
    (re.compile(r"Expected `(?P<t>[^`]+)`, got `(?P<g>[^`]+)`"), lambda m: f"неверный тип: ожидается {_type(m['t'])}"),
    (re.compile(r"Expected `(?P<t>\w+)` of length (?P<op>[<>]=?) ?(?P<n>\d+)"),
     lambda m: _length(m["t"], m["op"], m["n"])),
    (re.compile(r"Expected `(?P<t>\w+)` of (?:at least )?length (?P<n>\d+)(?: to (?P<k>\d+))?"),
     lambda m: f"от {m['n']} до {m['k']} элементов" if m["k"] else f"ровно {m['n']} элементов"),
    (re.compile(r"Expected `(?P<t>\w+)` of at most length (?P<n>\d+)"), lambda m: f"не больше {m['n']} элементов"),
    (re.compile(r"Expected `str` matching regex"), lambda m: "неверный формат"),
    (re.compile(r"Expected `\w+` (?P<op>[<>]=?) (?P<n>-?[\d.e+]+)"), lambda m: _op(m["op"], m["n"])),
    (re.compile(r"Expected `\w+` that's a multiple of (?P<n>[\d.]+)"), lambda m: f"должно быть кратно {m['n']}"),
    (re.compile(r"with a timezone component"), lambda m: "укажите смещение часового пояса"),
    (re.compile(r"with no timezone component"), lambda m: "без смещения часового пояса"),
    (re.compile(r"Expected `(?P<t>[^`]+)`"), lambda m: f"ожидается {_type(m['t'])}"),
    (re.compile(r"Invalid (?:enum )?value (?P<v>.+)"), lambda m: f"недопустимое значение {m['v'][:60]}"),
    (re.compile(r"Invalid RFC3339 encoded date(?!time)"), lambda m: "ожидается дата ГГГГ-ММ-ДД"),
    (re.compile(r"Invalid RFC3339 encoded datetime|Invalid epoch timestamp"),
     lambda m: "ожидается дата и время ISO 8601"),
    (re.compile(r"Invalid RFC3339 encoded time"), lambda m: "ожидается время ЧЧ:ММ"),
    (re.compile(r"Invalid decimal string"), lambda m: "ожидается число"),
    (re.compile(r"Integer value out of range|Number out of range"), lambda m: "слишком большое число"),
    (re.compile(r"Invalid UUID"), lambda m: "ожидается UUID"),
    (re.compile(r"Invalid base64"), lambda m: "ожидаются данные base64"),
    (re.compile(r"Invalid ISO8601 duration"), lambda m: "ожидается длительность ISO 8601"),
]
MALFORMED = "тело запроса — не JSON"


def _field_of(message: str, key: str | None) -> str:
    m = re.search(r"at `\$\.?(?P<path>[^`]*)`", message)
    if m and m.group("path"):
        return m.group("path")
    m = re.search(r"(?:field|parameter) [`'](?P<f>[^`']+)[`']", message)
    named = m.group("f") if m else None
    if key and key not in ("data", "body"):
        # Litestar gives the path of the object and msgspec names the field inside it
        return f"{key}.{named}" if named and message.startswith("Object") else key
    return named or key or "body"


def translate_validation(message: str, key: str | None = None) -> tuple[str, str]:
    """Return ``(field, russian text)`` for one msgspec / Litestar message."""
    field = _field_of(message, key)
    message = message.split(" - at `", 1)[0]
    for pattern, text in _MSGSPEC_PATTERNS:
        m = pattern.search(message)
        if m:
            return field, text(m)
    return field, "неверное значение"


def error_response(status: int, code: str, message: str, details=None) -> Response:
    return Response(
        {"code": code, "message": message, "details": details or {}},
        status_code=status,
        media_type=MediaType.JSON,
    )


def handle_erp_error(_: Request, exc: ErpError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details)


def handle_validation(_: Request, exc: ValidationException) -> Response:
    extra = exc.extra if isinstance(exc.extra, list) else []
    fields: dict[str, str] = {}
    for item in extra:
        if isinstance(item, dict):
            field, text = translate_validation(str(item.get("message", "")), item.get("key"))
            fields[field] = text
    if not fields:
        field, text = translate_validation(str(exc.detail))
        fields[field] = text
    if fields.get("body") == MALFORMED:
        return error_response(400, "malformed_json", "Тело запроса — не корректный JSON",
                              {"fields": fields})
    summary = "; ".join(f"{k}: {v}" for k, v in fields.items())
    return error_response(422, "validation_error", f"Неверные данные — {summary}",
                          {"fields": fields})


def handle_http(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    code, message = _STATUS_TEXT.get(status, ("error", "Ошибка"))
    return error_response(status, code, message)


def handle_database_down(_: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", type(exc).__name__)
    return error_response(503, "database_unavailable", DOWN_MESSAGE)


def handle_data_error(_: Request, exc: asyncpg.DataError) -> Response:
    """The database refused a value (a sum past its column, a moment past its range): the
    checks before the database should have caught it; this net keeps it a 422, never a 500."""
    log.warning("value refused by the database: %s", exc)
    if isinstance(exc, asyncpg.NumericValueOutOfRangeError):
        return error_response(422, "number_out_of_range",
                              "Число не помещается: сумма или итог вышли бы за допустимый предел. Ничего не записано")
    return error_response(422, "invalid_value", "Значение не подходит для хранения в базе данных. Ничего не записано")


def handle_unexpected(_: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "Внутренняя ошибка сервера. Она записана в журнал.")


EXCEPTION_HANDLERS = {
    ErpError: handle_erp_error,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    **{error: handle_database_down for error in DISCONNECTS},
    asyncpg.DataError: handle_data_error,
    Exception: handle_unexpected,
}
