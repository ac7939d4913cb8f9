"""What the vendor adapters share: the message's source, vendor times, ids and subjects."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from ingest.errors import RejectError
from ingest.event import MAX_ID_LEN, Event, parse_event, parse_ts_ms

_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{0,3})")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a vendor message came from: the topic's device and the community's zone."""

    device: str
    tz: tzinfo  # for vendor clocks that send local time without an offset


def need(obj: Any, key: str, where: str = "") -> Any:
    """obj[key], or an `invalid` rejection naming the vendor field."""
    field = f"{where}.{key}" if where else key
    if not isinstance(obj, dict):
        raise RejectError("invalid", where or None, "must be a JSON object")
    value = obj.get(key)
    if value is None:
        raise RejectError("invalid", field, "missing")
    return value


def shown(value: Any) -> str:
    """A vendor value as a reject's detail shows it: its repr cut short, a structure by its kind
    (the repr of a structure nested past the recursion limit would raise)."""
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "an array"
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        return "a very long integer"
    return text if len(text) <= 80 else text[:77] + "..."


def scalar(value: Any, field: str) -> Any:
    """A vendor value that becomes part of an id or a lookup: anything but an array or object."""
    if isinstance(value, dict | list):
        raise RejectError("invalid", field, f"must be a string or a number, not {shown(value)}")
    return value


def vendor_time_ms(value: Any, tz: tzinfo, field: str) -> int:
    """Epoch ms from the time formats vendors send.

    RFC 3339 with an offset; ISO 8601 or `YYYY-MM-DD hh:mm:ss` without one, and the
    GA/T 1400 compact `YYYYMMDDhhmmss[mmm]`, both read as community local time.
    """
    try:
        if isinstance(value, str):
            text = value.strip()
            compact = _COMPACT_RE.fullmatch(text)
            if compact:
                y, mo, d, h, mi, s, frac = compact.groups()
                local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s),
                                 int(frac.ljust(3, "0")) * 1000 if frac else 0, tzinfo=tz)
                return parse_ts_ms(local.isoformat(timespec="milliseconds"))
            parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=tz)
            return parse_ts_ms(parsed.isoformat(timespec="milliseconds"))
        return parse_ts_ms(value)
    except ValueError as exc:
        raise RejectError("bad_ts", field, f"{shown(value)}: {exc}") from None


def epoch_s_to_ms(value: Any, field: str) -> int:
    """Epoch ms from epoch seconds (int or float), as Dahua and Frigate send them."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RejectError("bad_ts", field, "must be epoch seconds")
    try:
        return parse_ts_ms(int(round(value * 1000)))
    except (ValueError, OverflowError) as exc:
        raise RejectError("bad_ts", field, str(exc)) from None


def event_id(prefix: str, *parts: Any) -> str:
    """A stable event id from vendor values (same message, same id); hashed when too long."""
    text = "-".join([prefix, *(str(p) for p in parts)])
    if len(text) <= MAX_ID_LEN:
        return text
    return f"{prefix}-" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:32]


def hashed(kind: str, value: str) -> str:
    """An opaque id for a credential number (card numbers never leave the adapter)."""
    return f"{kind}-" + hashlib.sha256(value.encode()).hexdigest()[:16]


def build(eid: str, ts_ms: int, device: str, etype: str, subject: dict[str, Any] | None = None,
          data: dict[str, Any] | None = None) -> Event:
    """A schema v1 event, validated by the same checks as native payloads."""
    obj: dict[str, Any] = {"v": 1, "id": eid, "ts": ts_ms, "device": device, "type": etype}
    if subject is not None:
        obj["subject"] = subject
    if data:
        obj["data"] = data
    return parse_event(obj)
