"""The police liaison's timeline query and its rows, shared by both backends (SQLite, InfluxDB).

A query is a time range plus any of community, building, unit, floor, zone, device,
subject and rule. Every filter applies to both events and alert transitions, with these
meanings:

- location (building, unit, floor, zone): events of devices registered there; alerts whose
  `location` says so;
- device: events of that device; alerts about it;
- subject: events of that person or credential; alerts about that subject;
- rule: alerts of that rule, and as events only their evidence (looked up by event id up to
  `EVIDENCE_LOOKBACK_MS` before the range, since an alert may cite events older than itself).

Both backends return rows in the same order: events by (time, device, id), alerts by
(time, outbox number).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

EVIDENCE_LOOKBACK_MS = 8 * 86_400_000  # the longest rule window (rental occupancy, 7 days) and a margin


@dataclass(frozen=True, slots=True)
class TimelineQuery:
    """What the liaison asks for; `start_ms` inclusive, `end_ms` exclusive (epoch ms)."""

    start_ms: int
    end_ms: int
    community: str | None = None
    building: str | None = None
    unit: str | None = None
    floor: int | None = None
    zone: str | None = None
    device: str | None = None
    subject: str | None = None
    rule: str | None = None
    events: bool = True
    alerts: bool = True

    def describe(self) -> dict[str, Any]:
        """The query as a plain dict (audit log, manifest), without unset filters."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @property
    def location(self) -> dict[str, Any]:
        """The location filters that are set."""
        loc = {"building": self.building, "unit": self.unit, "floor": self.floor, "zone": self.zone}
        return {k: v for k, v in loc.items() if v is not None}


@dataclass(frozen=True, slots=True)
class EventRow:
    """One stored event with its device's location."""

    ts_ms: int
    device: str
    id: str
    type: str
    subject: str | None
    subject_kind: str | None
    credential: str | None
    building: str | None
    unit: str | None
    floor: int | None
    zone: str | None
    data: dict[str, Any] = field(default_factory=dict)

    def event(self) -> dict[str, Any]:
        """The schema v1 form (`ts` in epoch ms)."""
        out: dict[str, Any] = {"v": 1, "id": self.id, "ts": self.ts_ms, "device": self.device, "type": self.type}
        if self.subject is not None:
            sub: dict[str, Any] = {"id": self.subject, "kind": self.subject_kind or "unknown"}
            if self.credential is not None:
                sub["credential"] = self.credential
            out["subject"] = sub
        if self.data:
            out["data"] = self.data
        return out

    def sort_key(self) -> tuple[int, str, str]:
        """Order of events in a timeline."""
        return (self.ts_ms, self.device, self.id)


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert transition: the alert-schema payload, its event time and outbox number."""

    ts_ms: int
    n: int
    silenced: bool
    payload: dict[str, Any]

    def sort_key(self) -> tuple[int, int]:
        """Order of alert transitions in a timeline."""
        return (self.ts_ms, self.n)


@dataclass(slots=True)
class Timeline:
    """The answer to a query."""

    query: TimelineQuery
    events: list[EventRow]
    alerts: list[AlertRow]


class TimelineBackend(Protocol):
    """A store that answers timeline queries."""

    name: str

    def events(self, q: TimelineQuery) -> list[EventRow]:
        """Events matching the query's filters (not `rule`), in timeline order."""
        ...

    def events_by_id(self, ids: set[str], start_ms: int, end_ms: int) -> list[EventRow]:
        """Events with one of these ids in [start_ms, end_ms), in timeline order."""
        ...

    def alerts(self, q: TimelineQuery) -> list[AlertRow]:
        """Alert transitions matching the query, in timeline order."""
        ...


def run_query(backend: TimelineBackend, q: TimelineQuery) -> Timeline:
    """Answer a query on a backend with the semantics of this module's docstring."""
    alerts = backend.alerts(q) if q.alerts or q.rule else []
    events: list[EventRow] = []
    if q.events:
        if q.rule is not None:
            ids = {e for a in alerts for e in a.payload.get("evidence") or []}
            events = backend.events_by_id(ids, q.start_ms - EVIDENCE_LOOKBACK_MS, q.end_ms) if ids else []
        else:
            events = backend.events(q)
    return Timeline(q, events, alerts if q.alerts else [])
