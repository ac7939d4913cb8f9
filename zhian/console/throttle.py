"""Slows down password guessing: after `limit` failed logins for one user name within
`window_ms`, that name is refused until the oldest of them leaves the window."""

from __future__ import annotations

import threading
from collections import deque


class LoginThrottle:
    """Failed logins by user name, in memory (a restart forgets them; the audit log does not)."""

    def __init__(self, limit: int = 5, window_ms: int = 300_000) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self._failures: dict[str, deque[int]] = {}
        self._lock = threading.Lock()

    def _recent(self, name: str, now_ms: int) -> deque[int]:
        times = self._failures.setdefault(name, deque())
        while times and times[0] <= now_ms - self.window_ms:
            times.popleft()
        return times

    def wait_ms(self, name: str, now_ms: int) -> int:
        """0 when a login for `name` may be tried now, else how long until it may."""
        with self._lock:
            times = self._recent(name, now_ms)
            if len(times) < self.limit:
                return 0
            return times[-self.limit] + self.window_ms - now_ms

    def failed(self, name: str, now_ms: int) -> None:
        """Record a failed login."""
        with self._lock:
            self._recent(name, now_ms).append(now_ms)

    def succeeded(self, name: str) -> None:
        """A good login forgets the failures."""
        with self._lock:
            self._failures.pop(name, None)
