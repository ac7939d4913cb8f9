"""Timeline queries on the embedded SQLite store: the event log and the outbox's alert transitions.

Locations come from devices.yaml (the log keeps events as the devices sent them), which is
what the InfluxDB sink writes into each point as well.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson

from alerts.sinks.drain import ALERT_TOPIC_SUFFIXES, is_silenced
from ingest.event import parse_ts_ms
from ingest.registry import Device, Registry
from zhian.timeline.model import EVIDENCE_LOOKBACK_MS, AlertRow, EventRow, TimelineQuery


def location_matches(device: Device | None, q: TimelineQuery) -> bool:
    """True when the device is where the query's location filters say (all of them)."""
    wanted = q.location
    if not wanted:
        return True
    if device is None:
        return False
    return all(getattr(device, k) == v for k, v in wanted.items())


class SqliteTimeline:
    """Reads a zhian store (read-only connection, safe next to a running processor)."""

    name = "sqlite"

    def __init__(self, store_path: Path, registry: Registry) -> None:
        if not Path(store_path).exists():
            raise FileNotFoundError(f"no store at {store_path}")
        self.db = sqlite3.connect(f"file:{Path(store_path).resolve()}?mode=ro", uri=True, timeout=10)
        self.registry = registry

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def _row(self, ts_ms: int, body: bytes) -> EventRow:
        ev = orjson.loads(body)
        device = self.registry.get(ev["device"])
        sub = ev.get("subject") or {}
        return EventRow(
            ts_ms=ts_ms, device=ev["device"], id=ev["id"], type=ev["type"], subject=sub.get("id"),
            subject_kind=sub.get("kind"), credential=sub.get("credential"),
            building=device.building if device else None, unit=device.unit if device else None,
            floor=device.floor if device else None, zone=device.zone if device else None,
            data=ev.get("data") or {})

    def events(self, q: TimelineQuery) -> list[EventRow]:
        """Events matching the query's filters (not `rule`), in timeline order."""
        if q.community is not None and q.community != self.registry.community.id:
            return []
        sql = "SELECT ts_ms, body FROM events WHERE ts_ms >= ? AND ts_ms < ?"
        args: list[Any] = [q.start_ms, q.end_ms]
        devices: list[str] | None = None
        if q.location:
            devices = [d.id for d in self.registry.devices if location_matches(d, q)]
        if q.device is not None:
            devices = [q.device] if devices is None or q.device in devices else []
        if devices is not None:
            if not devices:
                return []
            sql += f" AND device IN ({','.join('?' * len(devices))})"
            args += devices
        if q.subject is not None:
            sql += " AND subject = ?"
            args.append(q.subject)
        rows = [self._row(ts, body) for ts, body in self.db.execute(sql, args)]
        return sorted(rows, key=EventRow.sort_key)

    def events_by_id(self, ids: set[str], start_ms: int, end_ms: int) -> list[EventRow]:
        """Events with one of these ids in [start_ms, end_ms), in timeline order."""
        wanted = sorted(ids)
        rows: list[EventRow] = []
        for i in range(0, len(wanted), 500):  # SQLite's limit on bound parameters
            part = wanted[i:i + 500]
            marks = ",".join("?" * len(part))
            rows += [self._row(ts, body) for ts, body in self.db.execute(
                f"SELECT ts_ms, body FROM events WHERE ts_ms >= ? AND ts_ms < ? AND id IN ({marks})",
                [start_ms, end_ms, *part])]
        return sorted(rows, key=EventRow.sort_key)

    def alerts(self, q: TimelineQuery) -> list[AlertRow]:
        """Alert transitions matching the query, in timeline order."""
        out = []
        # the outbox's ts_ms is when the engine emitted the output, the alert's `ts` its own
        # event time; they agree for every rule of the pack, the margin covers any that does not
        margin = EVIDENCE_LOOKBACK_MS
        for n, topic, body in self.db.execute(
                "SELECT n, topic, body FROM outbox WHERE ts_ms >= ? AND ts_ms < ? ORDER BY n",
                (q.start_ms - margin, q.end_ms + margin)):
            if not topic.endswith(ALERT_TOPIC_SUFFIXES):
                continue
            payload = orjson.loads(body)
            ts_ms = parse_ts_ms(payload["ts"])
            if q.start_ms <= ts_ms < q.end_ms and alert_matches(payload, q):
                out.append(AlertRow(ts_ms, n, is_silenced(topic, payload), payload))
        return sorted(out, key=AlertRow.sort_key)


def alert_matches(payload: dict[str, Any], q: TimelineQuery) -> bool:
    """True when an alert-schema payload passes the query's filters."""
    loc = payload.get("location") or {}
    if q.community is not None and loc.get("community") != q.community:
        return False
    if any(loc.get(k) != v for k, v in q.location.items()):
        return False
    if q.device is not None and payload.get("device") != q.device:
        return False
    if q.subject is not None and payload.get("subject") != q.subject:
        return False
    return q.rule is None or payload.get("rule") == q.rule
