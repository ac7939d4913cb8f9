"""Event schema v1 (PRODUCT.md): validated events on event time in epoch milliseconds.

The hot path validates by hand rather than with pydantic: a pydantic model measured
13 µs per access event here, the hand-written checks below about 2 µs, and replay must
sustain 100k events/s on one core. Every reject still names its field and reason.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.errors import RejectError

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")

# 2000-01-01 .. 2100-01-01: anything outside is a broken device clock or a unit mistake.
MIN_TS_MS = 946_684_800_000
MAX_TS_MS = 4_102_444_800_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

SUBJECT_KINDS = frozenset({"resident", "tenant", "visitor", "staff", "stranger", "unknown"})
CREDENTIALS = frozenset({"face", "card", "qr", "pin", "fingerprint", "remote", "plate"})
MAX_ID_LEN = 64
MAX_SUBJECT_ID_LEN = 128
# Arrays and objects inside a `data` value: a reading needs a few levels, and orjson (which
# writes events to the store) fails past 254 levels and, in 3.11.4, corrupts memory sooner.
MAX_NESTING = 32


class Subject:
    """Who an event is about: an opaque or hashed id (never a name), kind and credential."""

    __slots__ = ("id", "kind", "credential")

    def __init__(self, id: str, kind: str = "unknown", credential: str | None = None) -> None:
        self.id = id
        self.kind = kind
        self.credential = credential

    def to_dict(self) -> dict[str, Any]:
        """The schema v1 form."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind}
        if self.credential is not None:
            out["credential"] = self.credential
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Subject) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Subject({self.id!r}, {self.kind!r}, {self.credential!r})"


class Event:
    """One validated event; `ts_ms` is event time in epoch milliseconds (UTC)."""

    __slots__ = ("id", "ts_ms", "device", "type", "subject", "data")

    def __init__(
        self,
        id: str,
        ts_ms: int,
        device: str,
        type: str,
        subject: Subject | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.ts_ms = ts_ms
        self.device = device
        self.type = type
        self.subject = subject
        self.data = data if data is not None else {}

    @property
    def subject_id(self) -> str | None:
        """The subject's id, or None."""
        return self.subject.id if self.subject is not None else None

    def to_dict(self) -> dict[str, Any]:
        """Schema v1 form with `ts` as epoch ms; `parse_event(to_dict())` gives it back."""
        # the store writes every event's body from this: the common shapes as one literal each
        subject, data = self.subject, self.data
        if subject is None:
            if data:
                return {"v": 1, "id": self.id, "ts": self.ts_ms, "device": self.device, "type": self.type,
                        "data": data}
            return {"v": 1, "id": self.id, "ts": self.ts_ms, "device": self.device, "type": self.type}
        out: dict[str, Any] = {"v": 1, "id": self.id, "ts": self.ts_ms, "device": self.device, "type": self.type,
                               "subject": subject.to_dict()}
        if data:
            out["data"] = data
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Event) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Event({self.to_dict()!r})"


def parse_ts_ms(value: Any) -> int:
    """Event time as epoch ms from RFC 3339 with an offset, or from integer epoch ms."""
    if type(value) is int:
        ms = value
    elif type(value) is str:
        ms = _text_ms(value)
    elif type(value) is float:
        raise ValueError("epoch milliseconds must be an integer")
    else:
        raise ValueError(f"must be RFC 3339 text or integer epoch milliseconds, not {_kind(value)}")
    if not MIN_TS_MS <= ms < MAX_TS_MS:
        raise ValueError("outside the years 2000..2100 (seconds instead of milliseconds?)")
    return ms


_TS_SHAPE = "not an RFC 3339 timestamp (like 2026-11-02T07:31:05.120+08:00)"
# The common shape, `YYYY-MM-DDTHH:MM:SS.fff` and an offset, is summed from tables: turning an
# aware datetime into epoch ms (timedelta arithmetic through the offset) measured 0.7 µs of
# parse_ts_ms's 1.05 µs. A table holds valid values only, so what is not in one (a leap
# second, hour 24, a space) takes the general path, which gives the same values and errors.
_HOURS = frozenset(f"{h:02d}" for h in range(24))
_MINUTE_SECOND_MS = {f"{m:02d}:{s:02d}": (m * 60 + s) * 1000 for m in range(60) for s in range(60)}
_MILLIS = {f"{f:03d}": f for f in range(1000)}
# "YYYY-MM-DDTHH" + offset -> epoch ms of that hour's start at that offset, or None when the
# general path rejects the date or the offset. Bounded: cleared when full (an entry an hour).
_hour_starts: dict[str, int | None] = {}
_HOUR_STARTS_MAX = 4096


def _text_ms(value: str) -> int:
    """Epoch ms of RFC 3339 text (no range check)."""
    if 24 <= len(value) <= 40 and value[19] == "." and value[23] in "+-Zz" and value[13] == ":":
        hour = value[:13] + value[23:]
        start = _hour_starts.get(hour, 0)
        if start == 0:  # not seen yet (or 1970's first hour): the general path judges it
            start = _hour_start(value, hour)
        into = _MINUTE_SECOND_MS.get(value[14:19])
        millis = _MILLIS.get(value[20:23])
        if start is not None and into is not None and millis is not None:
            return start + into + millis
    return _iso_ms(value)


def _hour_start(value: str, hour: str) -> int | None:
    """The start of `value`'s hour (00..23) at its offset, as `_iso_ms` reads it (None: rejected)."""
    start: int | None = None
    if value[11:13] in _HOURS:  # (Python 3.12 reads T24:00:00 as the next midnight, not 24:30)
        try:
            start = _iso_ms(value[:13] + ":00:00.000" + value[23:])
        except ValueError:
            pass
    if len(_hour_starts) >= _HOUR_STARTS_MAX:
        _hour_starts.clear()
    _hour_starts[hour] = start
    return start


def _iso_ms(value: str) -> int:
    """Epoch ms of RFC 3339 text through datetime.fromisoformat (the general path)."""
    if not 19 <= len(value) <= 40 or value[10] not in "Tt" or value[4] != "-":
        raise ValueError(_TS_SHAPE)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:  # RFC 3339 also allows lower-case t and z
            parsed = datetime.fromisoformat(value.upper())
        except ValueError:
            raise ValueError(_TS_SHAPE) from None
    if parsed.tzinfo is None:
        raise ValueError("RFC 3339 timestamp lacks its UTC offset")
    return (parsed - _EPOCH) // _MS  # exact integer arithmetic, no float rounding


# ---- data checks: each returns the normalised value or raises ValueError ------------------

Check = Callable[[Any], Any]


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "null"}.get(type(value), "?")


# What a check accepts unchanged, in a form `_check_data` tests inline (a call per field
# measured a third of the data checks): (_NUMBER, lo, hi), (_ONE_OF, allowed, None),
# (_INTEGER, lo, hi) or (_TEXT, max_len, None). A value the inline test does not accept goes
# through the check itself, which normalises it or says what is wrong.
_NUMBER, _ONE_OF, _INTEGER, _TEXT, _CALL = range(5)
_inline: weakref.WeakKeyDictionary[Check, tuple[int, Any, Any]] = weakref.WeakKeyDictionary()


def one_of(*choices: str) -> Check:
    allowed = frozenset(choices)
    text = ", ".join(choices)

    def check(value: Any) -> Any:
        if type(value) is not str or value not in allowed:
            raise ValueError(f"must be one of {text}")
        return value
    _inline[check] = (_ONE_OF, allowed, None)
    return check


def number(lo: float | None = None, hi: float | None = None) -> Check:
    def check(value: Any) -> Any:
        t = type(value)
        if t is not int and t is not float:
            raise ValueError(f"must be a number, not {_kind(value)}")
        if t is float and not math.isfinite(value):
            raise ValueError("must be a finite number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"must be within {lo}..{hi}")
        return value
    _inline[check] = (_NUMBER, -math.inf if lo is None else lo, math.inf if hi is None else hi)
    return check


def integer(lo: int, hi: int) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not int:
            raise ValueError(f"must be an integer, not {_kind(value)}")
        if not lo <= value <= hi:
            raise ValueError(f"must be within {lo}..{hi}")
        return value
    _inline[check] = (_INTEGER, lo, hi)
    return check


def text(max_len: int) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not str or not value:
            raise ValueError(f"must be a non-empty string, not {_kind(value)}")
        if len(value) > max_len:
            raise ValueError(f"longer than {max_len} characters")
        return value
    _inline[check] = (_TEXT, max_len, None)
    return check


_track_text = text(64)
_coordinate = number()


def track_id(value: Any) -> Any:
    if type(value) is int:
        return str(value)
    return _track_text(value)


def bbox(value: Any) -> Any:
    if type(value) is not list or len(value) != 4:
        raise ValueError("must be [x1, y1, x2, y2]")
    for item in value:
        _coordinate(item)
    return value


def strings(value: Any) -> Any:
    if type(value) is not list or len(value) > 32 or any(type(v) is not str for v in value):
        raise ValueError("must be a list of at most 32 strings")
    return value


REQUIRED, OPTIONAL = True, False

# type -> {field: (required, check)}; fields not listed are vendor extras and are kept.
DATA_SPECS: dict[str, dict[str, tuple[bool, Check]]] = {
    "access.granted": {"direction": (OPTIONAL, one_of("in", "out"))},
    "access.denied": {"reason": (REQUIRED, one_of(
        "unknown_face", "invalid_credential", "expired", "no_permission", "antipassback"))},
    "door.opened": {},
    "door.closed": {},
    "door.forced": {},
    "door.held_open": {},
    "door.tailgating": {},
    "door.duress": {},
    "object.detected": {
        "label": (REQUIRED, text(40)),
        "confidence": (REQUIRED, number(0.0, 1.0)),
        "track": (OPTIONAL, track_id),
        "bbox": (OPTIONAL, bbox),
        "zone": (OPTIONAL, text(40)),
    },
    "charger.telemetry": {
        "port": (REQUIRED, integer(0, 1000)),
        "power_w": (OPTIONAL, number()),
        "current_a": (OPTIONAL, number()),
        "voltage_v": (OPTIONAL, number()),
        "temp_c": (OPTIONAL, number(-60, 400)),
        "state": (OPTIONAL, text(40)),
    },
    "charger.alarm": {
        "kind": (REQUIRED, one_of("over_temp", "smoke", "over_current", "door_open", "power_loss")),
        "port": (OPTIONAL, integer(0, 1000)),
    },
    "socket.power": {"power_w": (REQUIRED, number(0.0))},
    "smoke.alarm": {},
    "camera.tamper": {"kind": (REQUIRED, one_of("occluded", "defocused", "moved"))},
    "throwing.detected": {
        "floor": (REQUIRED, integer(-10, 300)),
        "column": (REQUIRED, integer(1, 1000)),
        "confidence": (REQUIRED, number(0.0, 1.0)),
        "frame": (OPTIONAL, integer(0, 2**62)),
        "start_frame": (OPTIONAL, integer(0, 2**62)),
        "evidence": (OPTIONAL, strings),
    },
    "device.heartbeat": {"uptime_s": (OPTIONAL, number(0.0))},
}
EVENT_TYPES = frozenset(DATA_SPECS)
# a type's fields as (name, required, check, *inline test), for _check_data
_Field = tuple[str, bool, Check, int, Any, Any]
# A type's data as its fields accept it unchanged: the number of vendor extras, or None when
# _check_data must judge (a value to normalise, an explicit null to drop, or a reject to word).
FastCheck = Callable[[dict[str, Any]], "int | None"]


def _fast_check(etype: str, fields: tuple[_Field, ...]) -> FastCheck:
    """The inline tests of a type's fields as one function (written out per type: a loop over
    the fields' tuples measured most of the data checks' cost), or `len` without fields."""
    if not fields:
        return len
    env: dict[str, Any] = {"isfinite": math.isfinite}
    body = ["def fast(data):", "    n = len(data)"]
    for i, (name, required, check, inline, a, b) in enumerate(fields):
        env[f"a{i}"], env[f"b{i}"], env[f"check{i}"] = a, b, check
        if inline == _NUMBER:
            test = "(t is int or (t is float and isfinite(v)))"
            test += f" and a{i} <= v" if a != -math.inf else ""
            test += f" and v <= b{i}" if b != math.inf else ""
        elif inline == _ONE_OF:
            test = f"t is str and v in a{i}"
        elif inline == _INTEGER:
            test = f"t is int and a{i} <= v <= b{i}"
        elif inline == _TEXT:
            test = f"t is str and 0 < len(v) <= a{i}"
        else:  # a check of its own: accepted when it returns the value itself
            test = f"_same(check{i}, v)"
        body += [f"    v = data.get({name!r})",
                 "    if v is None:",
                 "        return None" if required else f"        if {name!r} in data: return None",
                 "    else:",
                 "        n -= 1",
                 "        t = type(v)",
                 f"        if not ({test}): return None"]
    body.append("    return n")
    env["_same"] = _same
    # the text is made of this module's own field names and the inline test shapes above; the
    # values it tests against are passed in `env`, never written into the text
    exec(compile("\n".join(body), f"<data check of {etype}>", "exec"), env)  # noqa: S102
    fast: FastCheck = env["fast"]
    return fast


def _same(check: Check, value: Any) -> bool:
    try:
        return check(value) is value
    except ValueError:
        return False


# type -> (its spec, its fields, its fast check) for parse_event
_SPECS: dict[str, tuple[dict[str, tuple[bool, Check]], tuple[_Field, ...], FastCheck]] = {}
for _etype, _spec in DATA_SPECS.items():
    _fields = tuple((name, required, check, *_inline.get(check, (_CALL, None, None)))
                    for name, (required, check) in _spec.items())
    _SPECS[_etype] = (_spec, _fields, _fast_check(_etype, _fields))

# Events zhian makes itself and feeds through the same engine (never accepted from a
# device): a message from an unregistered device id, and the desk's actions on alerts
# (acknowledge; resolve = end the alert by hand), which go through the event log so that a
# replay reproduces them. Both desk actions carry the alert's rule, id, device, subject, port.
UNKNOWN_DEVICE = "zhian.unknown_device"
ALERT_ACK = "zhian.alert.ack"
ALERT_RESOLVE = "zhian.alert.resolve"
DESK_ACTIONS = frozenset({ALERT_ACK, ALERT_RESOLVE})
INTERNAL_TYPES = frozenset({UNKNOWN_DEVICE, ALERT_ACK, ALERT_RESOLVE})
_TOP_KEYS = frozenset({"v", "id", "ts", "device", "type", "subject", "data"})
_SUBJECT_KEYS = frozenset({"id", "kind", "credential"})


def _bad(field: str, detail: str) -> RejectError:
    return RejectError("invalid", field, detail)


_MISSING_ORDER = ("v", "id", "ts", "device", "type")
_valid_ids: set[str] = set()  # device ids already checked against ID_RE (bounded)


def _device_ok(device: Any) -> bool:
    if type(device) is not str:
        return False
    if device in _valid_ids:
        return True
    if not ID_RE.fullmatch(device):
        return False
    if len(_valid_ids) < 100_000:
        _valid_ids.add(device)
    return True


def parse_event(obj: Any) -> Event:
    """Validate one parsed payload against schema v1; raises RejectError naming the field."""
    if type(obj) is not dict:
        raise RejectError("invalid", None, f"payload must be a JSON object, not {_kind(obj)}")
    if not _TOP_KEYS.issuperset(obj):
        extra = sorted(str(k) for k in obj.keys() - _TOP_KEYS)[0]
        raise _bad(extra[:64], "unknown field (schema v1 allows v, id, ts, device, type, "
                   "subject, data)")
    try:
        v, eid, ts, device, etype = obj["v"], obj["id"], obj["ts"], obj["device"], obj["type"]
    except KeyError:
        missing = next(k for k in _MISSING_ORDER if k not in obj)
        if missing == "ts":
            raise RejectError("bad_ts", "ts", "missing") from None
        if missing == "v":
            raise RejectError("unsupported_version", "v", "missing (must be 1)") from None
        raise _bad(missing, "missing") from None
    if type(v) is not int or v != 1:
        raise RejectError("unsupported_version", "v", f"must be 1, got {_short(v)}")
    if type(eid) is not str or not 0 < len(eid) <= MAX_ID_LEN:
        raise _bad("id", f"must be a string of 1..{MAX_ID_LEN} characters, not "
                   + (f"{len(eid)} characters" if type(eid) is str else _kind(eid)))
    try:
        ts_ms = ts if type(ts) is int else _text_ms(ts) if type(ts) is str else parse_ts_ms(ts)
        if not MIN_TS_MS <= ts_ms < MAX_TS_MS:
            ts_ms = parse_ts_ms(ts_ms)  # raises, with parse_ts_ms's words
    except ValueError as exc:
        raise RejectError("bad_ts", "ts", str(exc)) from None
    if type(device) is not str or (device not in _valid_ids and not _device_ok(device)):
        raise _bad("device", "must match [a-z0-9][a-z0-9-]{0,39}")
    known = _SPECS.get(etype) if type(etype) is str else None
    if known is None:
        raise RejectError("unknown_type", "type", f"{_short(etype)} is not a schema v1 type")
    spec, fields, fast = known
    subject = obj.get("subject")
    if subject is not None:
        subject = _parse_subject(subject)
    data = obj.get("data")
    if data is None:
        data = {}  # no data at all: a type's required fields are still missing
    elif type(data) is not dict:
        raise _bad("data", f"must be an object, not {_kind(data)}")
    extras = fast(data)
    if extras is None:
        data, extras = _check_data(data, fields)
    if extras:  # vendor extras: kept unchecked, but not too deep
        for name, value in data.items():
            if name not in spec and (type(value) is dict or type(value) is list) \
                    and nested_deeper_than(value, MAX_NESTING):
                raise _bad(f"data.{str(name)[:64]}", f"arrays and objects nested deeper than {MAX_NESTING} levels")
    return Event(eid, ts_ms, device, etype, subject, data)


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels in `value` (1 = flat).

    Iterative: a hostile payload may nest further than Python's recursion limit."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if type(node) is dict else node
        for child in children:
            if type(child) is dict or type(child) is list:
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def event_from_trusted(obj: dict[str, Any]) -> Event:
    """Rebuild an event zhian itself serialised (snapshots, its own log); no validation."""
    raw = obj.get("subject")
    subject = Subject(raw["id"], raw.get("kind", "unknown"), raw.get("credential")) if raw else None
    return Event(obj["id"], obj["ts"], obj["device"], obj["type"], subject, obj.get("data") or {})


def _parse_subject(raw: Any) -> Subject:
    if type(raw) is not dict:
        raise _bad("subject", f"must be an object, not {_kind(raw)}")
    if not raw.keys() <= _SUBJECT_KEYS:
        raise _bad("subject", "unknown field (allowed: id, kind, credential)")
    sid = raw.get("id")
    if type(sid) is not str or not sid:
        raise _bad("subject.id", f"must be a non-empty string, not {_kind(sid)}")
    if len(sid) > MAX_SUBJECT_ID_LEN:
        raise _bad("subject.id", f"longer than {MAX_SUBJECT_ID_LEN} characters")
    kind = raw.get("kind", "unknown")
    if type(kind) is not str or kind not in SUBJECT_KINDS:
        raise _bad("subject.kind", "must be one of " + ", ".join(sorted(SUBJECT_KINDS)))
    credential = raw.get("credential")
    if credential is not None and (type(credential) is not str or credential not in CREDENTIALS):
        raise _bad("subject.credential", "must be one of " + ", ".join(sorted(CREDENTIALS)))
    return Subject(sid, kind, credential)


def _check_data(data: dict[str, Any], fields: tuple[_Field, ...]) -> tuple[dict[str, Any], int]:
    """The data with each field checked (normalised, explicit nulls dropped), and how many of
    its entries are not fields of the type (vendor extras)."""
    out = data  # copied only when a value is normalised or an explicit null dropped
    extras = len(data)
    for name, required, check, inline, a, b in fields:
        value = data.get(name)
        if value is None:
            if required:
                raise _bad(f"data.{name}", "missing")
            if name in data:
                extras -= 1
                if out is data:
                    out = dict(data)
                del out[name]
            continue
        extras -= 1
        t = type(value)
        if inline == _NUMBER:
            if (t is int or (t is float and _isfinite(value))) and a <= value <= b:
                continue
        elif inline == _ONE_OF:
            if t is str and value in a:
                continue
        elif inline == _INTEGER:
            if t is int and a <= value <= b:
                continue
        elif inline == _TEXT and t is str and 0 < len(value) <= a:
            continue
        try:
            checked = check(value)
        except ValueError as exc:
            raise _bad(f"data.{name}", str(exc)) from None
        if checked is not value:
            if out is data:
                out = dict(data)
            out[name] = checked
    return out, extras


_isfinite = math.isfinite


def _short(value: Any) -> str:
    if type(value) is dict or type(value) is list:
        return _kind(value)  # never the repr of a structure: it may nest past the recursion limit
    text_ = repr(value)
    return text_ if len(text_) <= 40 else text_[:37] + "..."
