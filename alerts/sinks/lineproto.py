"""InfluxDB line protocol for zhian: events, alert transitions and metrics (docs/influxdb.md).

Pure functions, no I/O. Tags are low-cardinality only (community, building, device, type,
rule, severity); ids, subjects and free text are fields. Timestamps are event times in
nanoseconds: the millisecond of the event plus a sub-millisecond offset derived from the
event's identity, so that two events of one series in the same millisecond do not
overwrite each other, while a re-sent point lands on exactly the same key and overwrites.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import orjson

EVENTS = "events"
ALERTS = "alerts"
UNREGISTERED = "_unregistered"  # device tag of messages from ids not in devices.yaml
NS_PER_MS = 1_000_000

# Typed copies of schema v1 data fields (the full `data` is also kept as JSON). Only fields
# whose type the event schema fixes get a typed copy: a field's type may never change in
# InfluxDB, and a vendor extra could be a number today and text tomorrow.
FLOAT_DATA = frozenset({"confidence", "power_w", "current_a", "voltage_v", "temp_c", "uptime_s"})
INT_DATA = frozenset({"port", "floor", "column", "frame", "start_frame"})
TEXT_DATA = frozenset({"direction", "reason", "label", "track", "zone", "state", "kind"})


class Location(NamedTuple):
    """Where a device is, as devices.yaml says."""

    building: str | None = None
    unit: str | None = None
    floor: int | None = None
    zone: str | None = None


Locate = Callable[[str], Location | None]  # device id -> its location, None when unregistered


def offset_ns(identity: str) -> int:
    """A deterministic offset below one millisecond, from a point's identity."""
    digest = hashlib.blake2b(identity.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % NS_PER_MS


# ---- escaping (line protocol reference, InfluxDB 1.x and later) ---------------------------------
# Keys (measurement, tag and field names) are zhian's own identifiers and need no escaping;
# values are escaped, with a fast path for the common value that has nothing to escape.

_TAG_SPECIAL = re.compile(r"[,= \n\r\\]")
_TAG_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": " ", "\r": " "})
_STR_SPECIAL = re.compile(r'["\\\n]')
_STR_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n"})


def tag_value(value: str) -> str:
    """A tag value escaped; a trailing backslash would escape the separator, so it goes."""
    if not _TAG_SPECIAL.search(value):
        return value
    return value.translate(_TAG_ESCAPES).rstrip("\\")


def field_value(value: Any) -> str:
    """A field value: strings quoted, ints with `i`, floats always with a decimal point."""
    kind = type(value)
    if kind is str:
        return '"' + (value.translate(_STR_ESCAPES) if _STR_SPECIAL.search(value) else value) + '"'
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return f"{value}i"
    if kind is float:
        return repr(value)
    return field_value(str(value))


def tag_set(tags: Mapping[str, str | None]) -> str:
    """`,k=v` for each tag with a value, sorted by key as InfluxDB stores them."""
    return "".join(f",{k}={tag_value(v)}" for k, v in sorted(tags.items()) if v)


def line(measurement: str, tags: Mapping[str, str | None], fields: Mapping[str, Any], ts_ns: int,
         prefix: str | None = None) -> str:
    """One point; tags without a value and fields that are None are left out. `prefix` is the
    measurement and tag set already joined (callers cache it per series)."""
    head = prefix if prefix is not None else measurement + tag_set(tags)
    # NaN and infinities have no line-protocol form; the schema rejects them anyway
    field_part = ",".join(f"{k}={field_value(v)}" for k, v in fields.items()
                          if v is not None and not (type(v) is float and not math.isfinite(v)))
    return f"{head} {field_part} {ts_ns}"


# ---- events ------------------------------------------------------------------------------

def event_line(community: str, event: dict[str, Any], received_ms: int, locate: Locate) -> str:
    """An event (schema v1 dict with `ts` in epoch ms, as the store keeps it) as a point."""
    device = event["device"]
    where = locate(device)
    subject = event.get("subject") or {}
    data = event.get("data") or {}
    fields: dict[str, Any] = {
        "id": event["id"],
        "subject": subject.get("id"),
        "subject_kind": subject.get("kind"),
        "credential": subject.get("credential"),
        "unit": where.unit if where else None,
        "floor": where.floor if where else None,
        "zone": where.zone if where else None,
        "claimed_device": None if where else device,
        "received_ms": received_ms,
        "data": orjson.dumps(data).decode() if data else None,
    }
    for key, value in data.items():
        if key in FLOAT_DATA and isinstance(value, int | float) and not isinstance(value, bool):
            fields[f"data.{key}"] = float(value)
        elif key in INT_DATA and isinstance(value, int) and not isinstance(value, bool):
            fields[f"data.{key}"] = value
        elif key in TEXT_DATA and isinstance(value, str):
            fields[f"data.{key}"] = value
    series = (community, where.building if where else None, device if where else UNREGISTERED, event["type"])
    prefix = _EVENT_SERIES.get(series)
    if prefix is None:
        prefix = EVENTS + tag_set({"community": community, "building": series[1], "device": series[2],
                                   "type": series[3]})
        if len(_EVENT_SERIES) < 100_000:
            _EVENT_SERIES[series] = prefix
    ts_ns = int(event["ts"]) * NS_PER_MS + offset_ns(f"e|{device}|{event['id']}")
    return line(EVENTS, {}, fields, ts_ns, prefix)


# (community, building, device tag, type) -> "events,<tags>": the series prefix, built once
_EVENT_SERIES: dict[tuple[str, str | None, str, str], str] = {}


# ---- alert transitions -------------------------------------------------------------------

def alert_line(payload: dict[str, Any], ts_ms: int, n: int, silenced: bool, registered: Callable[[str], bool]) -> str:
    """An alert transition (alert schema of PRODUCT.md) as a point; `n` is its outbox number."""
    loc = payload.get("location") or {}
    device = payload.get("device")
    known = device is not None and registered(device)
    fields: dict[str, Any] = {
        "alert": payload["alert"],
        "state": payload["state"],
        "ts": payload["ts"],
        "subject": payload.get("subject"),
        "port": payload.get("port"),
        "unit": loc.get("unit"),
        "floor": loc.get("floor"),
        "zone": loc.get("zone"),
        "claimed_device": device if device is not None and not known else None,
        "summary_zh": payload.get("summary_zh"),
        "summary_en": payload.get("summary_en"),
        "evidence": orjson.dumps(payload.get("evidence") or []).decode(),
        "count": int(payload.get("count") or 0),
        "n": n,
        "silenced": silenced,
    }
    tags = {"community": loc.get("community"), "building": loc.get("building"),
            "device": device if known else (UNREGISTERED if device is not None else None),
            "rule": payload["rule"], "severity": payload["severity"]}
    identity = f"a|{payload['alert']}|{payload['state']}|{payload.get('count')}"
    return line(ALERTS, tags, fields, ts_ms * NS_PER_MS + offset_ns(identity))


# ---- metrics -----------------------------------------------------------------------------

def metric_line(measurement: str, tags: Mapping[str, str | None], fields: Mapping[str, Any], ts_ms: int) -> str:
    """A metric sample at wall-clock time (whole milliseconds: one sample per series and tick)."""
    return line(measurement, tags, fields, ts_ms * NS_PER_MS)
