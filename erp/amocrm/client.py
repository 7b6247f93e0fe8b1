"""The HTTP client of amoCRM API v4: one base URL, a rate limiter, and errors sorted by what to do next.

amoCRM allows at most 7 requests per second per account; going over gives 429 (an HTML page, no
``Retry-After``), and repeated violations block the account (403 on every call). The
:class:`RateLimiter` keeps a sliding window of the last calls' *completion* times: a call may start
only when fewer than 7 calls are in flight or finished within the window. Counting from completion
rather than from sending makes the limit hold at amoCRM's end whatever the network delays, because a
call arrives there before its answer arrives here.

Every failure becomes one :class:`AmoError` subclass, and the caller decides by its class:
:class:`Transient` (429, 5xx, timeouts, network: back off and retry), :class:`Unauthorized` (401:
refresh the token once), :class:`Invalid` (400 with amoCRM's ``validation-errors``: park the event),
:class:`Blocked` (403: pause the account).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

MAX_PER_WINDOW = 7
WINDOW_SECONDS = 1.0


class AmoError(Exception):
    """A failed amoCRM call; ``message`` is in Russian and safe to show (no secrets)."""

    def __init__(self, message: str, *, status: int | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message, self.status, self.details = message, status, details


class Transient(AmoError):
    """Worth retrying later: 429, 5xx, a timeout or a network error."""


class RateLimited(Transient):
    pass


class Unauthorized(AmoError):
    pass


class Invalid(AmoError):
    """400 (or another 4xx): the request itself is wrong; ``details`` holds ``validation-errors``."""


class Blocked(AmoError):
    pass


class RateLimiter:
    """At most ``calls`` per ``window`` seconds, counted from each call's completion."""

    def __init__(self, calls: int = MAX_PER_WINDOW, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.calls, self.window, self.clock = calls, window, clock
        self._done: deque[float] = deque(maxlen=calls)
        self._in_flight = 0
        self._hold_until = 0.0
        self._lock = asyncio.Lock()

    def _wait_needed(self) -> float:
        now = self.clock()
        while self._done and self._done[0] <= now - self.window:
            self._done.popleft()
        wait = max(0.0, self._hold_until - now)
        if self._in_flight + len(self._done) >= self.calls:
            wait = max(wait, self._done[0] + self.window - now if self._done else 0.01)
        return wait

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._lock:
            wait = self._wait_needed()
            while wait > 0:  # the window frees up by the clock, not by an event
                await asyncio.sleep(wait)
                wait = self._wait_needed()
            self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._done.append(self.clock())

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (after amoCRM said 429)."""
        self._hold_until = max(self._hold_until, self.clock() + seconds)

    def ages(self) -> list[float]:
        """Seconds since each remembered completion, for handing the window to another process."""
        now = self.clock()
        return [now - t for t in self._done if now - t < self.window]

    def seed(self, ages: list[float]) -> None:
        now = self.clock()
        for age in sorted(ages, reverse=True)[-self.calls:]:
            if 0 <= age < self.window:
                self._done.append(now - age)

    @property
    def in_flight(self) -> int:
        return self._in_flight


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class AmoClient:
    """Calls to one amoCRM account, each through the rate limiter."""

    def __init__(self, base_url: str, limiter: RateLimiter, *, timeout: float = 15.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport,
                                       headers={"User-Agent": "erp-clinic-amocrm/1.0"})

    async def close(self) -> None:
        await self._http.aclose()

    def url(self, path_or_url: str) -> str:
        """An absolute URL on this account; ``_links`` hrefs from amoCRM must stay on its origin, so
        the bearer token never goes anywhere else."""
        url = urljoin(self.base_url + "/", path_or_url.lstrip("/")) if "://" not in path_or_url else path_or_url
        if origin(url) != origin(self.base_url):
            raise Invalid(f"amoCRM вернул ссылку на другой адрес: {origin(url)}")
        return url

    async def request(self, method: str, path: str, *, token: str | None = None, json: Any = None,
                      params: dict[str, Any] | None = None, form: dict[str, str] | None = None,
                      on_start: Callable[[], Any] | None = None) -> Any:
        """The decoded JSON answer (``None`` for an empty one), or an :class:`AmoError`."""
        url = self.url(path)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.limiter.slot():
            if on_start is not None:
                await on_start()
            try:
                response = await self._http.request(method, url, json=json, params=params, data=form,
                                                    headers=headers)
            except httpx.TimeoutException:
                raise Transient(f"amoCRM не ответил вовремя ({method} {urlsplit(url).path})") from None
            except httpx.HTTPError as exc:
                raise Transient(f"Нет связи с amoCRM: {type(exc).__name__}") from None
        return classify(response, method)


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def classify(response: httpx.Response, method: str = "") -> Any:
    status, path = response.status_code, response.request.url.path
    where = f"{method} {path}".strip()
    if 200 <= status < 300:
        return _body(response)
    body = _body(response)
    detail = body.get("detail") or body.get("hint") or body.get("title") if isinstance(body, dict) else None
    if status == 429:
        raise RateLimited(f"amoCRM: слишком много запросов (429) на {where}", status=status)
    if status >= 500:
        raise Transient(f"amoCRM: ошибка сервера {status} на {where}", status=status)
    if status == 401:
        raise Unauthorized(f"amoCRM: нет доступа (401) на {where}: {detail or 'токен недействителен'}",
                           status=status)
    if status == 403:
        raise Blocked(f"amoCRM заблокировал доступ (403) на {where}", status=status)
    errors = body.get("validation-errors") if isinstance(body, dict) else None
    raise Invalid(f"amoCRM отклонил запрос ({status}) на {where}: {detail or 'неверные данные'}",
                  status=status, details=errors if errors is not None else body)
