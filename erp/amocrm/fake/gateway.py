"""amoCRM's front door, as the fake amoCRM models it: rate limit, account blocking, injected faults, the log.

The :class:`Gateway` sees every call to ``/api/v4/*`` and ``/oauth2/access_token`` before the API does.
It is plain bookkeeping with no locking of its own: :class:`erp.amocrm.fake.FakeAmo` calls it under
its lock.

* Rate limit: a sliding window of ``rate_window`` seconds over the calls it let through; a call that
  would make more than ``rate_limit`` of them gets 429 with nginx's HTML page and no ``Retry-After``,
  and counts as a violation. Refused calls do not occupy the window.
* Blocking: ``block_threshold`` violations within ``block_window`` seconds block the account; then
  every call gets 403 (HTML) until ``unblock()``.
* Faults: with probability ``error_rate`` (seeded by ``seed``), a call that passed the rate limit is
  picked for a fault from ``error_kinds``: ``"429"`` (HTML, not a violation), ``"500"`` or ``"timeout"``.
* Metrics: a bounded request log, counts per status, and the most calls that arrived within any one
  second (refused ones included).
"""

from __future__ import annotations

import random
from collections import Counter, deque
from typing import Any

from erp.amocrm.fake.http import Response
from erp.amocrm.fake.state import FakeConfig


class Gateway:
    def __init__(self, config: FakeConfig, max_log_entries: int) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.blocked = False
        self._max_log_entries = max_log_entries
        self.reset_metrics()

    def reset_metrics(self) -> None:
        self.log: deque[dict[str, Any]] = deque(maxlen=self._max_log_entries)
        self.total = 0
        self.status_counts: Counter[int] = Counter()
        self.faults: Counter[str] = Counter()
        self.rate_limited = 0
        self.max_per_second = 0
        self._arrivals: deque[float] = deque()
        self._served: deque[float] = deque()
        self.violations: deque[float] = deque()

    def unblock(self) -> None:
        self.blocked = False
        self.violations.clear()
        self._served.clear()

    def admit(self, now: float, is_oauth: bool) -> tuple[Response | None, str | None]:
        """Checks for one call arriving at monotonic time ``now``: (refusal or None, fault tag or None)."""
        self.total += 1
        self._arrivals.append(now)
        while self._arrivals[0] <= now - 1.0:
            self._arrivals.popleft()
        self.max_per_second = max(self.max_per_second, len(self._arrivals))
        if self.blocked:
            return Response.html(403, "Forbidden"), "blocked"
        config = self.config
        if config.rate_limit is not None:
            while self._served and self._served[0] <= now - config.rate_window:
                self._served.popleft()
            if len(self._served) >= config.rate_limit:
                self.rate_limited += 1
                self.violations.append(now)
                while self.violations[0] <= now - config.block_window:
                    self.violations.popleft()
                if config.block_threshold is not None and len(self.violations) >= config.block_threshold:
                    self.blocked = True
                return Response.html(429, "Too Many Requests"), "rate_limited"
            self._served.append(now)
        if config.error_rate and (config.faults_include_oauth or not is_oauth) \
                and self.rng.random() < config.error_rate:
            fault = self.rng.choice(config.error_kinds)
            self.faults[fault] += 1
            return None, fault
        return None, None

    @staticmethod
    def fault_response(fault: str | None) -> Response | None:
        """The answer to an injected fault (a "timeout" answers 504 after its delay)."""
        if fault == "timeout":
            return Response.html(504, "Gateway Time-out")
        if fault == "500":
            return Response.problem(500, "Internal Server Error", "Internal Server Error")
        if fault == "429":
            return Response.html(429, "Too Many Requests")
        return None

    def record(self, entry: dict[str, Any]) -> None:
        self.status_counts[entry["status"]] += 1
        self.log.append(entry)

    def stats(self) -> dict[str, Any]:
        return {
            "request_count": self.total,
            "status_counts": {str(k): v for k, v in sorted(self.status_counts.items())},
            "unauthorized": self.status_counts[401],
            "forbidden": self.status_counts[403],
            "too_many_requests": self.status_counts[429],
            "rate_limited": self.rate_limited,
            "injected_faults": dict(self.faults),
            "recent_violations": len(self.violations),
            "max_requests_per_second": self.max_per_second,
        }
