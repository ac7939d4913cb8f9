"""The alerts as the desk sees them: each alert's current state is its latest transition
(pure fold over the outbox's alert rows, in outbox order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.event import parse_ts_ms

ALERT_TOPIC_SUFFIXES = ("/alerts", "/alerts/silenced")  # the second is where older versions put silenced ones
SEVERITIES = ("critical", "major", "minor")
STATES = ("raised", "updated", "acknowledged", "cleared", "escalated")
OPEN_STATES = frozenset({"raised", "updated", "escalated", "acknowledged"})
HISTORY_MAX = 200


def is_alert_topic(topic: str) -> bool:
    """True for the topics that carry alert transitions."""
    return topic.endswith(ALERT_TOPIC_SUFFIXES)


@dataclass(slots=True)
class AlertView:
    """One alert: its latest transition, when it was raised and every step since."""

    alert: str
    n: int                       # outbox number of the latest transition
    latest: dict[str, Any]       # the alert-schema payload of the latest transition
    raised_ts: str
    raised_ms: int
    ts_ms: int                   # event time of the latest transition
    silenced: str | None
    acknowledged: bool
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def state(self) -> str:
        """The current state (that of the latest transition)."""
        return str(self.latest.get("state"))

    @property
    def loud(self) -> bool:
        """A critical alert nobody has acknowledged yet, and not silenced: the desk must hear it."""
        return (self.latest.get("severity") == "critical" and not self.acknowledged and self.silenced is None
                and self.state in ("raised", "updated", "escalated"))

    def summary(self) -> dict[str, Any]:
        """The alert as the API lists it."""
        return {**self.latest, "n": self.n, "raised_ts": self.raised_ts, "raised_ms": self.raised_ms,
                "ts_ms": self.ts_ms, "silenced": self.silenced, "acknowledged": self.acknowledged,
                "loud": self.loud}


def transition_of(n: int, topic: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A transition row as the console passes it on (SSE, history)."""
    silenced = payload.get("silenced")
    if silenced is None and topic.endswith("/silenced"):
        silenced = "silenced"
    return {"n": n, "topic": topic, "payload": payload, "silenced": silenced}


class AlertBook:
    """Alerts by id, folded from transitions applied in outbox order."""

    def __init__(self) -> None:
        self.alerts: dict[str, AlertView] = {}
        self.position = 0  # the outbox number of the last row seen

    def apply(self, n: int, topic: str, payload: dict[str, Any]) -> AlertView | None:
        """Fold one outbox row in; returns the alert it changed (None for other rows)."""
        if n <= self.position:
            return None  # read already (the outbox numbers rows in the order they are added)
        self.position = max(self.position, n)
        if not is_alert_topic(topic) or not isinstance(payload.get("alert"), str):
            return None
        t = transition_of(n, topic, payload)
        ts_ms = parse_ts_ms(payload["ts"])
        view = self.alerts.get(payload["alert"])
        step = {"n": n, "state": payload.get("state"), "ts": payload.get("ts"), "count": payload.get("count")}
        if view is None:
            view = AlertView(payload["alert"], n, payload, str(payload.get("ts")), ts_ms, ts_ms,
                             t["silenced"], payload.get("state") == "acknowledged", [step])
            self.alerts[view.alert] = view
            return view
        view.history = (view.history + [step])[-HISTORY_MAX:]
        if n >= view.n:
            view.n, view.latest, view.ts_ms, view.silenced = n, payload, ts_ms, t["silenced"]
        if payload.get("state") == "acknowledged":
            view.acknowledged = True
        return view

    def get(self, alert: str) -> AlertView | None:
        """One alert by id."""
        return self.alerts.get(alert)

    def select(self, *, state: str | None = None, severity: str | None = None, rule: str | None = None,
               device: str | None = None, since_ms: int | None = None, until_ms: int | None = None,
               open_only: bool = False, limit: int = 500) -> list[AlertView]:
        """Alerts passing the filters, most recently changed first. `state` may list several
        states separated by commas; the time range applies to the latest transition's time."""
        states = set(state.split(",")) if state else None
        out = []
        for v in self.alerts.values():
            latest = v.latest
            if states is not None and v.state not in states:
                continue
            if open_only and v.state not in OPEN_STATES:
                continue
            if severity is not None and latest.get("severity") != severity:
                continue
            if rule is not None and latest.get("rule") != rule:
                continue
            if device is not None and latest.get("device") != device:
                continue
            if since_ms is not None and v.ts_ms < since_ms:
                continue
            if until_ms is not None and v.ts_ms >= until_ms:
                continue
            out.append(v)
        out.sort(key=lambda v: v.n, reverse=True)
        return out[:limit]
