"""What compiled rules emit: alert transitions and device commands (rendered in alerts/)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

STATES = ("raised", "updated", "acknowledged", "cleared", "escalated")


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """One step of an alert's life; `ts_ms` is event time (an absence's deadline)."""

    alert: str
    rule: str
    state: str
    severity: str
    ts_ms: int
    device: str | None
    subject: str | None
    port: int | None
    evidence: tuple[str, ...]
    count: int
    facts: dict[str, Any]
    summary: tuple[str, str]  # (zh, en) templates of the rule
    silenced: str | None = None  # owner of the silence covering it: recorded, not paged


class DeviceCommand(NamedTuple):
    """A command for a device, published once when its alert is raised."""

    id: str
    ts_ms: int
    device: str
    action: str
    reason: str
    alert: str


def alert_id(rule: str, key: str, raised_ms: int) -> str:
    """Deterministic alert id: the same incident gets the same id in every replay."""
    digest = hashlib.blake2b(f"{rule}|{key}|{raised_ms}".encode(), digest_size=8).hexdigest()
    return f"a-{digest}"


def command_id(alert: str, action: str) -> str:
    """Deterministic command id derived from its alert."""
    digest = hashlib.blake2b(f"{alert}|{action}".encode(), digest_size=8).hexdigest()
    return f"c-{digest}"
