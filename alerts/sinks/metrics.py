"""Operational metrics as InfluxDB points: one window of counts, turned into lines every tick.

Pure bookkeeping: the live processor feeds it what happened and the values it reads (engine
watermark, outbox depths, devices online); `lines()` returns the points and starts a new
window. Measurements and fields are listed in docs/influxdb.md.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from alerts.sinks.lineproto import metric_line


def percentile(sorted_values: list[int], q: float) -> int:
    """The nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0
    rank = max(1, min(len(sorted_values), math.ceil(q * len(sorted_values))))
    return sorted_values[rank - 1]


@dataclass(slots=True)
class Readings:
    """Values read at the tick, not accumulated."""

    watermark_ms: int
    late_total: int
    buffered: int
    rejects_total: dict[str, int]  # reason -> count since the store was created
    depths: dict[str, int]  # sink cursor -> rows waiting
    devices_online: int
    devices_registered: int
    sink: dict[str, Any] = field(default_factory=dict)  # the InfluxDB sink's own numbers


class MetricsWindow:
    """Counts of one interval (events by type, alert transitions by rule, alert latencies)."""

    def __init__(self, community: str) -> None:
        self.community = community
        self.events: Counter[str] = Counter()
        self.alerts: Counter[tuple[str, str]] = Counter()
        self.latencies_ms: list[int] = []
        self._last_rejects: dict[str, int] | None = None

    def event(self, event_type: str) -> None:
        """One new (deduplicated) event."""
        self.events[event_type] += 1

    def alert(self, rule: str, state: str, latency_ms: int | None) -> None:
        """One alert transition; latency is wall clock at emission minus its event time."""
        self.alerts[(rule, state)] += 1
        if latency_ms is not None:
            self.latencies_ms.append(max(0, latency_ms))

    def lines(self, now_ms: int, interval_s: float, r: Readings) -> list[str]:
        """The points of this window (timestamp `now_ms`) and a fresh window."""
        c = {"community": self.community}
        per_s = max(interval_s, 1e-3)
        out = [metric_line("zhian_event_rate", {**c, "type": t}, {"count": n, "per_s": n / per_s}, now_ms)
               for t, n in sorted(self.events.items())]
        out.append(metric_line("zhian_event_rate", {**c, "type": "all"},
                               {"count": sum(self.events.values()), "per_s": sum(self.events.values()) / per_s},
                               now_ms))
        by_rule: dict[str, dict[str, Any]] = {}
        for (rule, state), n in self.alerts.items():
            fields = by_rule.setdefault(rule, {"transitions": 0})
            fields["transitions"] += n
            fields[state] = fields.get(state, 0) + n
        out += [metric_line("zhian_alert_rate", {**c, "rule": rule}, fields, now_ms)
                for rule, fields in sorted(by_rule.items())]
        previous = self._last_rejects or {}
        for reason, total in sorted(r.rejects_total.items()):
            delta = total - previous.get(reason, total if self._last_rejects is None else 0)
            out.append(metric_line("zhian_rejects", {**c, "reason": reason}, {"count": delta, "total": total}, now_ms))
        self._last_rejects = dict(r.rejects_total)
        lat = sorted(self.latencies_ms)
        out.append(metric_line("zhian_alert_latency", c, {
            "count": len(lat), "p50_ms": percentile(lat, 0.5), "p95_ms": percentile(lat, 0.95),
            "max_ms": lat[-1] if lat else 0}, now_ms))
        engine: dict[str, Any] = {"late_total": r.late_total, "buffered": r.buffered}
        if r.watermark_ms > 0:
            engine["watermark_ms"] = r.watermark_ms
            engine["lag_s"] = (now_ms - r.watermark_ms) / 1000
        out.append(metric_line("zhian_engine", c, engine, now_ms))
        out += [metric_line("zhian_outbox", {**c, "sink": sink}, {"depth": depth}, now_ms)
                for sink, depth in sorted(r.depths.items())]
        out.append(metric_line("zhian_devices", c, {
            "online": r.devices_online, "registered": r.devices_registered,
            "offline": r.devices_registered - r.devices_online}, now_ms))
        if r.sink:
            out.append(metric_line("zhian_influx_sink", c, r.sink, now_ms))
        self.events.clear()
        self.alerts.clear()
        self.latencies_ms = []
        return out
