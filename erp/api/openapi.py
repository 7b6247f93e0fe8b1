"""The OpenAPI document at ``/schema/openapi.json``, as the API really answers.

Litestar describes a success from the handler's types and a failure as its own
``{"status_code", "detail"}``. Every failure here goes through :mod:`erp.api.errors` and reads
``{"code", "message", "details"}``, so the published document says so: the ``400``, any other
``4XX`` and the ``503`` of every operation have the ``Error`` schema, unless the route declares its
own. A route that answers something other than JSON (a PDF, an HTML page, an image) names the media
types of each status in ``opt={"media_types": {"200": ("application/pdf", "text/html")}}``.
"""

from __future__ import annotations

import copy
from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "details"],
    "properties": {
        "code": {"type": "string", "description": "Стабильный код ошибки для программ"},
        "message": {"type": "string", "description": "Сообщение для людей, по-русски"},
        "details": {"type": "object", "additionalProperties": True,
                    "description": "Подробности; `fields` — ошибки по полям"},
    },
}
ERRORS = {
    "400": "Неверный запрос: тело не JSON, параметр не того типа",
    "4XX": "Ошибка запроса: нет входа, нет прав, не найдено, конфликт, неверные данные",
    "503": "База данных временно недоступна",
}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
BINARY = {"type": "string", "format": "binary"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _litestar_error(response: dict[str, Any]) -> bool:
    """Litestar's own ``{"status_code", "detail"}``, which this API never sends."""
    schema = ((response.get("content") or {}).get("application/json") or {}).get("schema") or {}
    return any(set(s.get("required", ())) == {"detail", "status_code"} for s in schema.get("oneOf", [schema]))


def _content(types: tuple[str, ...], previous: dict[str, Any]) -> dict[str, Any]:
    json_schema = (previous.get("application/json") or {}).get("schema")
    return {t: {"schema": json_schema if t == "application/json" and json_schema else
                ({"type": "string"} if t.startswith("text/") else BINARY)} for t in types}


def declared_media_types(app) -> dict[tuple[str, str], dict[str, tuple[str, ...]]]:
    """``{(path, method): {status: media types}}`` from the routes' ``opt["media_types"]``."""
    out: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if declared := handler.opt.get("media_types"):
                for method in handler.http_methods:
                    out[(route.path_format, method.lower())] = declared
    return out


def refine(schema: dict[str, Any], media_types: dict[tuple[str, str], dict[str, tuple[str, ...]]]) -> dict[str, Any]:
    """A copy of Litestar's document with this API's errors and media types."""
    out = copy.deepcopy(schema)
    out.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, item in out.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                if status not in responses or _litestar_error(responses[status]):
                    responses[status] = _error(description)
            for status, types in media_types.get((path, method), {}).items():
                response = responses.setdefault(status, {"description": ERRORS.get(status, "")})
                response["content"] = _content(types, response.get("content") or {})
    return out


class PublishedSchema(JsonRenderPlugin):
    """``/schema/openapi.json``: Litestar's document, refined once per application."""

    def __init__(self) -> None:
        super().__init__()
        self._refined: dict[str, Any] | None = None

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if self._refined is None:
            self._refined = refine(openapi_schema, declared_media_types(request.app))
        return self.render_json(request, self._refined)
