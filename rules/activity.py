"""Per-device activity (messages, first and last event time): device health and audits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ingest.event import Event


class DeviceActivity:
    """Counts each device's events exactly once and remembers when it was last heard."""

    name = "device_activity"
    event_types: frozenset[str] | None = None

    def keys(self, event: Event) -> Iterable[str]:
        """One state per device."""
        return (event.device,)

    def step(self, state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
        """State is [count, first_ms, last_ms]."""
        if state is None:
            return [1, event.ts_ms, event.ts_ms], []
        count, first, last = state
        return [count + 1, min(first, event.ts_ms), max(last, event.ts_ms)], []

    def on_timer(self, state: Any, key: str, name: str, deadline_ms: int) -> tuple[Any, list[Any]]:
        """No timers."""
        return state, []
