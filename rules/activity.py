"""Per-device activity (messages, first and last event time): device health and audits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ingest.event import Event

_NOTHING: list[Any] = []  # never appended to: the engine only reads outputs


class DeviceActivity:
    """Counts each device's events exactly once and remembers when it was last heard."""

    name = "device_activity"
    event_types: frozenset[str] | None = None

    def keys(self, event: Event) -> Iterable[str]:
        """One state per device."""
        return (event.device,)

    def route(self, event_type: str, device: str) -> str:
        """The engine's shortcut for `keys`: always the device."""
        return device

    def step(self, state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
        """State is [count, first_ms, last_ms], updated in place (a heartbeat allocates nothing)."""
        ts = event.ts_ms
        if state is None:
            return [1, ts, ts], _NOTHING
        state[0] += 1
        if ts < state[1]:
            state[1] = ts
        elif ts > state[2]:
            state[2] = ts
        return state, _NOTHING

    def on_timer(self, state: Any, key: str, name: str, deadline_ms: int) -> tuple[Any, list[Any]]:
        """No timers."""
        return state, []
