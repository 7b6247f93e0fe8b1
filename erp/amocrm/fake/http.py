"""The HTTP plumbing of the fake amoCRM: a bare ASGI request/response pair and a uvicorn runner.

The fake speaks raw ASGI instead of going through a framework so that every byte amoCRM's clients
care about stays under control: ``application/problem+json`` on errors, an HTML body and no
``Retry-After`` header on 429, a bodiless 204 for a missing lead. uvicorn serves it on a socket we
bind ourselves, so ``port=0`` gives a free port whose number is known before the first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn

JSON = "application/json"
HAL_JSON = "application/hal+json"
PROBLEM_JSON = "application/problem+json"
HTML = "text/html; charset=UTF-8"


class BadRequestBody(ValueError):
    """The body could not be decoded as the content type the endpoint expects."""


@dataclass
class Request:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    scheme: str = "http"

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    def query_one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` as the client addressed us; used for ``_links`` hrefs."""
        return f"{self.scheme}://{self.headers.get('host', 'localhost')}"

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequestBody(f"Malformed JSON: {exc}") from exc

    def json_or_form(self) -> dict[str, str]:
        """A flat object from a JSON body or an ``application/x-www-form-urlencoded`` one."""
        content_type = self.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" in content_type:
            try:
                pairs = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError as exc:
                raise BadRequestBody("Malformed form body") from exc
            return {key: values[-1] for key, values in pairs.items()}
        data = self.json()
        if not isinstance(data, dict):
            raise BadRequestBody("The body must be a JSON object")
        return {key: value for key, value in data.items() if value is not None}

    def batch_size(self) -> int | None:
        """How many items a JSON-array body carries, for the request log (``None`` if not an array)."""
        if not self.body.startswith(b"["):
            return None
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        return len(data) if isinstance(data, list) else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, data: Any, status: int = 200, content_type: str = HAL_JSON) -> Response:
        return cls(status, dump_json(data), content_type)

    @classmethod
    def problem(cls, status: int, title: str, detail: str, **extra: Any) -> Response:
        body = {"title": title, "type": f"https://httpstatus.es/{status}", "status": status, "detail": detail}
        body.update(extra)
        return cls(status, dump_json(body), PROBLEM_JSON)

    @classmethod
    def html(cls, status: int, reason: str) -> Response:
        page = (
            f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        return cls(status, page.encode(), HTML)

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status)


def dump_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


Handler = Callable[[Request], Awaitable[Response]]


def asgi_app(handler: Handler) -> Callable[..., Awaitable[None]]:
    """Wrap ``handler`` into an ASGI 3 application (HTTP only; lifespan is switched off)."""

    async def app(scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        request = Request(
            method=scope["method"],
            path=scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=b"".join(chunks),
            scheme=scope.get("scheme", "http"),
        )
        response = await handler(request)
        raw_headers = [(b"server", b"nginx"), (b"content-length", str(len(response.body)).encode())]
        if response.content_type:
            raw_headers.append((b"content-type", response.content_type.encode()))
        raw_headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers)
        await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": response.body})

    return app


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host (tests, a thread, or our CLI)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ServerRunner:
    """Serves an ASGI app with uvicorn on a socket bound here, inside the running event loop."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self._app = app
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self.host = ""
        self.port = 0

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self, host: str, port: int) -> None:
        if self._task is not None:
            raise RuntimeError("the fake amoCRM is already running")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP,
        # and without it Nagle + delayed ACKs add ~40 ms to every response.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        sock.setblocking(False)
        self.host, self.port = host, sock.getsockname()[1]
        config = uvicorn.Config(
            self._app, lifespan="off", log_config=None, log_level="warning", access_log=False,
            timeout_graceful_shutdown=1, timeout_keep_alive=30, server_header=False,
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="fake-amocrm")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the fake amoCRM stopped while starting")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await self._task
        finally:
            self._server, self._task = None, None
