"""Timeline queries on InfluxDB with InfluxQL over the v1 `/query` API (1.x, 2.x via DBRP, 3.x).

Points carry their location (written from devices.yaml by the sink), so this backend needs
no registry; the schema is in docs/influxdb.md.
"""

from __future__ import annotations

from typing import Any

import orjson

from alerts.sinks.influx import InfluxHttp, InfluxTarget
from alerts.sinks.lineproto import ALERTS, EVENTS, UNREGISTERED
from zhian.timeline.model import AlertRow, EventRow, TimelineQuery

ID_CHUNK = 200  # event ids per query when fetching evidence


def literal(value: str) -> str:
    """An InfluxQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _conditions(q: TimelineQuery, start_ms: int, end_ms: int) -> list[str]:
    where = [f"time >= {start_ms}ms", f"time < {end_ms}ms"]
    if q.community is not None:
        where.append(f'"community" = {literal(q.community)}')
    if q.building is not None:
        where.append(f'"building" = {literal(q.building)}')
    if q.unit is not None:
        where.append(f'"unit" = {literal(q.unit)}')
    if q.floor is not None:
        where.append(f'"floor" = {int(q.floor)}')
    if q.zone is not None:
        where.append(f'"zone" = {literal(q.zone)}')
    if q.device is not None:
        # an unregistered device's id is a field, so that random ids cannot grow the series
        where.append(f'("device" = {literal(q.device)} OR "claimed_device" = {literal(q.device)})')
    if q.subject is not None:
        where.append(f'"subject" = {literal(q.subject)}')
    return where


def _device(row: dict[str, Any]) -> str | None:
    device = row.get("device")
    return row.get("claimed_device") if device in (None, "", UNREGISTERED) else device


def event_row(row: dict[str, Any]) -> EventRow:
    """An `events` point as a timeline row."""
    data = row.get("data")
    return EventRow(
        ts_ms=int(row["time"]), device=_device(row) or "", id=row["id"], type=row["type"],
        subject=row.get("subject"), subject_kind=row.get("subject_kind"), credential=row.get("credential"),
        building=row.get("building") or None, unit=row.get("unit"), floor=row.get("floor"), zone=row.get("zone"),
        data=orjson.loads(data) if data else {})


def alert_row(row: dict[str, Any]) -> AlertRow:
    """An `alerts` point as a timeline row, its payload rebuilt in the alert schema's order."""
    payload = {
        "alert": row["alert"], "rule": row["rule"], "state": row["state"], "severity": row["severity"],
        "ts": row["ts"], "device": _device(row), "subject": row.get("subject"), "port": row.get("port"),
        "location": {"community": row.get("community") or None, "building": row.get("building") or None,
                     "unit": row.get("unit"), "floor": row.get("floor"), "zone": row.get("zone")},
        "summary_zh": row.get("summary_zh"), "summary_en": row.get("summary_en"),
        "evidence": orjson.loads(row.get("evidence") or "[]"), "count": row.get("count"),
    }
    return AlertRow(int(row["time"]), int(row["n"]), bool(row.get("silenced")), payload)


class InfluxTimeline:
    """Answers timeline queries from the points zhian's InfluxDB sink wrote."""

    name = "influx"

    def __init__(self, target: InfluxTarget) -> None:
        self.http = InfluxHttp(target)

    def close(self) -> None:
        """Close the connection."""
        self.http.close()

    def events(self, q: TimelineQuery) -> list[EventRow]:
        """Events matching the query's filters (not `rule`), in timeline order."""
        where = " AND ".join(_conditions(q, q.start_ms, q.end_ms))
        rows = self.http.select(f"SELECT * FROM {EVENTS} WHERE {where}")
        return sorted((event_row(r) for r in rows), key=EventRow.sort_key)

    def events_by_id(self, ids: set[str], start_ms: int, end_ms: int) -> list[EventRow]:
        """Events with one of these ids in [start_ms, end_ms), in timeline order."""
        wanted = sorted(ids)
        out: list[EventRow] = []
        for i in range(0, len(wanted), ID_CHUNK):
            any_id = " OR ".join(f'"id" = {literal(x)}' for x in wanted[i:i + ID_CHUNK])
            rows = self.http.select(
                f"SELECT * FROM {EVENTS} WHERE time >= {start_ms}ms AND time < {end_ms}ms AND ({any_id})")
            out += [event_row(r) for r in rows]
        return sorted(out, key=EventRow.sort_key)

    def alerts(self, q: TimelineQuery) -> list[AlertRow]:
        """Alert transitions matching the query, in timeline order."""
        where = _conditions(q, q.start_ms, q.end_ms)
        if q.rule is not None:
            where.append(f'"rule" = {literal(q.rule)}')
        rows = self.http.select(f"SELECT * FROM {ALERTS} WHERE {' AND '.join(where)}")
        return sorted((alert_row(r) for r in rows), key=AlertRow.sort_key)
