"""Which registered devices are online, and which unregistered ids are talking.

Two sources: a short listen on the broker (what talks right now) and the store of a
running `zhian run` (the last event of each device, unknown-device dead letters). A
device is online when its last message is newer than 3 × its heartbeat, the same
threshold as the `device_offline` rule.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ingest.decode import EVENTS_TOPIC_RE
from ingest.registry import Registry


@dataclass(frozen=True, slots=True)
class Status:
    """One registered device's state."""

    device: str
    state: str            # online | offline | never
    last_ms: int | None
    source: str | None    # broker | store


def from_broker(messages: list[tuple[str, int]], community: str) -> dict[str, int]:
    """device id -> last received ms, from (topic, ms) pairs heard on the broker."""
    out: dict[str, int] = {}
    for topic, ms in messages:
        match = EVENTS_TOPIC_RE.fullmatch(topic)
        if match and match.group(1) == community:
            out[match.group(2)] = max(ms, out.get(match.group(2), 0))
    return out


def from_store(path: Path, registry: Registry, since_ms: int) -> tuple[dict[str, int], dict[str, int]]:
    """(registered device -> last event ms, unregistered id -> last message ms since `since_ms`)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        last: dict[str, int] = {}
        for device in registry.devices:  # one index lookup each (events_device_ts)
            row = db.execute("SELECT MAX(ts_ms) FROM events WHERE device = ?", (device.id,)).fetchone()
            if row and row[0] is not None:
                last[device.id] = int(row[0])
        unknown = {str(d): int(ms) for d, ms in db.execute(
            "SELECT device, MAX(received_ms) FROM dead_letters WHERE reason = 'unknown_device' "
            "AND received_ms >= ? AND device IS NOT NULL GROUP BY device", (since_ms,))}
    finally:
        db.close()
    return last, unknown


def statuses(registry: Registry, heard: dict[str, int], stored: dict[str, int], now_ms: int) -> list[Status]:
    """The state of every registered device, in devices.yaml order."""
    out = []
    for device in registry.devices:
        candidates = [(ms, src) for ms, src in ((heard.get(device.id), "broker"), (stored.get(device.id), "store"))
                      if ms is not None]
        if not candidates:
            out.append(Status(device.id, "never", None, None))
            continue
        ms, src = max(candidates)
        fresh = now_ms - ms <= 3 * registry.heartbeat_s(device) * 1000
        out.append(Status(device.id, "online" if fresh else "offline", ms, src))
    return out


def unregistered(registry: Registry, heard: dict[str, int], stored_unknown: dict[str, int]) -> dict[str, int]:
    """Unregistered device ids that talked, with their last message ms."""
    out = {d: ms for d, ms in heard.items() if registry.get(d) is None}
    for d, ms in stored_unknown.items():
        if registry.get(d) is None:
            out[d] = max(ms, out.get(d, 0))
    return dict(sorted(out.items()))
