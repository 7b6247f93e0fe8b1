"""The NUL guard: no request carrying a NUL byte in its text reaches a handler.

PostgreSQL cannot store ``\\x00`` in text, so a NUL anywhere (a JSON string, a
query parameter, a form field, the path) would end as a 500 deep inside a
handler, or be cut silently by a library. This one ASGI middleware answers
every such request with 422 ``invalid_text`` and a Russian message naming
the parameter, before routing, authentication or any handler runs: nothing
is written. File parts of multipart forms (stamp images) are binary and are
not looked at.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CODE = "invalid_text"
MESSAGE = "Недопустимый символ в тексте: нулевой байт (NUL, \\u0000). Уберите его и повторите"
FIELD_TEXT = "недопустимый символ: нулевой байт (NUL)"
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# bodies are read and looked at up to this size; a bigger one goes on unread to Litestar's own limit (413)
MAX_SCAN = 10 * 1024 * 1024
# a JSON escape of NUL: \u0000 after an even number of backslashes
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_PCT_NUL = re.compile(rb"%00")


def _has_nul(raw: bytes) -> bool:
    return b"\x00" in raw or _PCT_NUL.search(raw) is not None


def _query_fields(raw: bytes) -> list[str]:
    """The names of the parameters whose name or value holds a NUL."""
    out = []
    for part in raw.split(b"&"):
        if _has_nul(part):
            name = unquote_to_bytes(part.split(b"=", 1)[0].replace(b"+", b" "))
            out.append(name.replace(b"\x00", b"").decode("utf-8", "replace") or "?")
    return out


def _json_paths(value: Any, path: str = "") -> list[str]:
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            key = k.replace("\x00", "")
            if "\x00" in k:
                out.append(f"{path}.{key}".lstrip(".") or "body")
            out += _json_paths(v, f"{path}.{key}".lstrip("."))
        return out
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _json_paths(v, f"{path}[{i}]")]
    return []


def _json_fields(body: bytes) -> list[str]:
    if b"\x00" not in body and _JSON_NUL.search(body) is None:
        return []
    try:
        return _json_paths(msgspec.json.decode(body)) or ["body"]
    except msgspec.DecodeError:
        return ["body"]


def _form_fields(body: bytes) -> list[str]:
    return _query_fields(body) if _has_nul(body) else []


def _multipart_fields(body: bytes, content_type: str) -> list[str]:
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        return []
    out = []
    for part in body.split(b"--" + m.group(1).encode("latin-1")):
        head, _, value = part.partition(b"\r\n\r\n")
        if b"filename=" in head.lower():
            continue  # a file: binary, NUL bytes are its content
        if b"\x00" in head or b"\x00" in value:
            name = re.search(rb'name="([^"]*)"', head)
            out.append(name.group(1).replace(b"\x00", b"").decode("utf-8", "replace") if name else "body")
    return out


def body_fields(body: bytes, content_type: str) -> list[str]:
    """The fields of a request body whose text holds a NUL (empty when none does)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return _form_fields(body)
    if kind == "multipart/form-data":
        return _multipart_fields(body, content_type)
    if kind.endswith("json") or kind == "":
        return _json_fields(body) if kind or body[:1] in (b"{", b"[") else []
    if kind.startswith("text/"):
        return ["body"] if b"\x00" in body else []
    return []


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


async def refuse(scope: Scope, send: Send, fields: list[str]) -> None:
    names = list(dict.fromkeys(fields))
    html = not scope.get("path", "").startswith("/api") and "text/html" in _header(scope, b"accept")
    if html:
        body = ("<!doctype html><meta charset=utf-8><title>Неверные данные</title>"
                f"<p>{MESSAGE}.</p><p><a href=\"javascript:history.back()\">Назад</a></p>").encode()
        media = b"text/html; charset=utf-8"
    else:
        body = msgspec.json.encode({"code": CODE, "message": f"{MESSAGE}: {', '.join(names)}",
                                    "details": {"fields": {n: FIELD_TEXT for n in names}}})
        media = b"application/json"
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def nul_guard(app: ASGIApp) -> ASGIApp:
    """The ASGI middleware (first in the chain): 422 ``invalid_text`` for a NUL in the path,
    the query or the text of the body."""

    async def guard(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        raw_path = (scope.get("raw_path") or b"").split(b"?", 1)[0]
        if "\x00" in scope.get("path", "") or _has_nul(raw_path):
            await refuse(scope, send, ["path"])
            return
        query = scope.get("query_string") or b""
        if _has_nul(query):
            await refuse(scope, send, _query_fields(query))
            return
        if scope.get("method") not in _BODY_METHODS:
            await app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_SCAN:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if not message.get("more_body", False):
                break
        fields = [] if size > MAX_SCAN else body_fields(b"".join(chunks), _header(scope, b"content-type"))
        if fields:
            await refuse(scope, send, fields)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        await app(scope, replayed, send)

    return guard
