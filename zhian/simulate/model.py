"""Value types of the simulator: raw events, door passages, incidents and their truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# (id, kind, credential): kept as a tuple because a week holds ~10^5 of them.
Subj = tuple[str, str, str | None]
# (ts_ms, device, type, subject, data): one event before it gets its id and wire form.
Ev = tuple[int, str, str, Subj | None, dict[str, Any] | None]
# What the generator yields: (ts_ms, topic, payload) with payload a valid schema v1 object.
Traffic = tuple[int, str, dict[str, Any]]
# An alert the replay must raise: {"rule", "key": {"device", "subject", "port"}, "ts_ms"}.
Truth = dict[str, Any]


def truth(
    rule: str,
    ts_ms: int,
    device: str | None = None,
    subject: str | None = None,
    port: int | None = None,
) -> Truth:
    """One expected alert: rule, key and event time (PRODUCT.md's alert time)."""
    return {
        "rule": rule,
        "key": {"device": device, "subject": subject, "port": port},
        "ts_ms": int(ts_ms),
    }


@dataclass(frozen=True, slots=True)
class Reservation:
    """Normal traffic carrying `key` is dropped in [from_ms, to_ms) so an incident stays exact.

    Keys: `d:DEV` normal events of a device (not heartbeats), `h:DEV` its heartbeats,
    `n:DEV` door passages with a denial, `p:DEV:PORT` a charger port, `s:ID` a subject.
    """

    key: str
    from_ms: int
    to_ms: int


@dataclass(slots=True)
class Incident:
    """Events of one incident or near miss, what they reserve, and the alerts they must raise."""

    name: str
    note: str
    events: list[Ev] = field(default_factory=list)
    reservations: list[Reservation] = field(default_factory=list)
    truth: list[Truth] = field(default_factory=list)

    @property
    def start_ms(self) -> int:
        """The earliest time the incident touches: its first event or reservation."""
        times = [e[0] for e in self.events] + [r.from_ms for r in self.reservations]
        return min(times)

    def reserve(self, key: str, from_ms: int, to_ms: int) -> None:
        """Keep normal traffic with `key` out of [from_ms, to_ms)."""
        self.reservations.append(Reservation(key, from_ms, to_ms))

    def add(
        self,
        ts_ms: int,
        device: str,
        type_: str,
        subject: Subj | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Add one event."""
        self.events.append((int(ts_ms), device, type_, subject, data))


def passage(
    door: str,
    ts_ms: int,
    subject: Subj,
    direction: str,
    open_after_ms: int = 2000,
    open_for_ms: int = 7000,
    denials: tuple[tuple[int, str, Subj], ...] = (),
) -> list[Ev]:
    """A person through a door: optional denials before, the grant at `ts_ms`, opened, closed.

    `denials` are (ms before the grant, reason, subject). The door opens `open_after_ms`
    after the grant, always within 10 s, so that door_forced never sees it.
    """
    out: list[Ev] = [
        (ts_ms - before, door, "access.denied", who, {"reason": reason})
        for before, reason, who in denials
    ]
    out.append((ts_ms, door, "access.granted", subject, {"direction": direction}))
    opened = ts_ms + open_after_ms
    out.append((opened, door, "door.opened", None, None))
    out.append((opened + open_for_ms, door, "door.closed", None, None))
    return out
