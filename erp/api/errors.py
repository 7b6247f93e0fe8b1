"""Turning every failure into ``{"code", "message", "details"}`` JSON with
the right status, a Russian message and no stack trace."""

from __future__ import annotations

import logging
import re

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

_MSGSPEC_PATTERNS = [
    (re.compile(r"Object missing required field `(?P<f>[^`]+)`"), "обязательное поле не заполнено"),
    (re.compile(r"Object contains unknown field `(?P<f>[^`]+)`"), "неизвестное поле"),
    (re.compile(r"Expected `(?P<t>[^`]+)`, got `(?P<g>[^`]+)`"), "неверный тип: ожидается {t}"),
    (re.compile(r"Invalid enum value (?P<v>.+)"), "недопустимое значение {v}"),
    (re.compile(r"Expected `(?P<t>[^`]+)` (?P<c>.+)"), "значение должно быть {c}"),
    (re.compile(r"Invalid (?P<t>[a-zA-Z ]+)"), "неверный формат ({t})"),
    (re.compile(r"JSON is malformed"), "тело запроса — не JSON"),
]


def _field_of(message: str, key: str | None) -> str:
    m = re.search(r"at `\$\.?(?P<path>[^`]*)`", message)
    if m and m.group("path"):
        return m.group("path")
    m = re.search(r"field `(?P<f>[^`]+)`", message)
    if m:
        return m.group("f")
    return key or "body"


def translate_validation(message: str, key: str | None = None) -> tuple[str, str]:
    """Return ``(field, russian text)`` for one msgspec / Litestar message."""
    field = _field_of(message, key)
    for pattern, text in _MSGSPEC_PATTERNS:
        m = pattern.search(message)
        if m:
            return field, text.format(**{k: v for k, v in m.groupdict().items() if v})
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
    if fields.get("body") == "тело запроса — не JSON":
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


def handle_unexpected(_: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "Внутренняя ошибка сервера. Она записана в журнал.")


EXCEPTION_HANDLERS = {
    ErpError: handle_erp_error,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    **{error: handle_database_down for error in DISCONNECTS},
    Exception: handle_unexpected,
}
