"""A fake amoCRM served from a background thread with its own event loop (:meth:`FakeAmo.serve_in_thread`),
so a test's or the demo's own loop never slows the fake down."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from erp.amocrm.fake import FakeAmo


class FakeAmoThread:
    """A fake amoCRM served from a background thread. Attribute access falls through to the fake."""

    def __init__(self, fake: FakeAmo, thread: threading.Thread, loop: asyncio.AbstractEventLoop,
                 stop_event: asyncio.Event) -> None:
        self.fake, self._thread, self._loop, self._stop_event = fake, thread, loop, stop_event

    @property
    def base_url(self) -> str:
        return self.fake.base_url

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop_event.set)
            self._thread.join(timeout)

    def __enter__(self) -> FakeAmoThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __getattr__(self, name: str) -> Any:
        if name == "fake":
            raise AttributeError(name)
        return getattr(self.fake, name)
