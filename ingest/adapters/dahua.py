"""Dahua access-control and alarm events (HTTP API `eventManager.cgi` stream) to events.

Dahua streams blocks `Code=…;action=Start|Stop|Pulse;index=N;data={…}`; the bridge that
publishes them on MQTT sends each block as JSON `{"Code", "Action", "Index", "Data"}`
(the names Dahua uses). Codes, `Method` and `ErrorCode` follow Dahua's HTTP API for
access controllers (also published by its OEMs); see docs/deploying.md for the tables.
"""

from __future__ import annotations

from typing import Any

from ingest.adapters.common import (
    Source,
    build,
    epoch_s_to_ms,
    event_id,
    hashed,
    need,
    scalar,
    shown,
    vendor_time_ms,
)
from ingest.errors import RejectError
from ingest.event import Event

# Data.Method (how the door was opened) -> credential; unlisted methods keep no credential.
METHODS: dict[int, str] = {
    0: "pin", 1: "card", 2: "card", 3: "card", 4: "remote", 6: "fingerprint", 7: "card",
    8: "fingerprint", 9: "card", 14: "qr", 15: "face", 17: "card", 18: "face", 19: "remote",
    20: "pin", 21: "pin", 22: "face", 23: "fingerprint", 24: "face", 25: "face", 43: "qr",
    44: "face", 46: "pin",
}
DURESS_METHOD = 13  # opened with the duress password: the door opens, the desk must know

# Data.ErrorCode of a refused AccessControl (Status 0) -> access.denied reason.
ERRORS: dict[int, str] = {
    0x10: "invalid_credential",  # not authorised (unknown card)
    0x11: "invalid_credential",  # card lost or cancelled
    0x12: "no_permission",       # no permission for this door
    0x13: "no_permission",       # wrong opening mode
    0x14: "expired",             # validity period over
    0x15: "antipassback",        # anti-passback
    0x17: "no_permission",       # door in normally-closed state
    0x18: "no_permission",       # A/B interlock
    0x19: "no_permission",       # patrol card
    0x20: "no_permission",       # outside the time schedule
    0x21: "no_permission",       # outside the holiday schedule
    0x40: "invalid_credential",  # card right, password wrong
    0x41: "invalid_credential",  # card right, password timed out
    0x42: "invalid_credential",  # card right, fingerprint wrong
    0x43: "invalid_credential",  # card right, fingerprint timed out
}

# Alarm codes (Action Start or Pulse) -> (event type, data).
ALARMS: dict[str, tuple[str, dict[str, Any]]] = {
    "BreakIn": ("door.forced", {}),
    "DoorNotClosed": ("door.held_open", {}),
    "Duress": ("door.duress", {}),
    "ChassisIntruded": ("camera.tamper", {"kind": "moved", "tamper": "housing"}),
    "VideoBlind": ("camera.tamper", {"kind": "occluded"}),
}


def adapt(obj: Any, source: Source) -> list[Event]:
    """Events from one Dahua event block."""
    code = need(obj, "Code")
    action = scalar(obj.get("Action", "Pulse"), "Action")
    data = obj.get("Data") or {}
    if not isinstance(code, str) or not isinstance(data, dict):
        raise RejectError("invalid", "Code", "Code must be a string and Data an object")
    ts_ms = _time(data, source)
    rec = data.get("RecNo")
    eid = event_id("dh", rec, ts_ms // 1000) if isinstance(rec, int) else \
        event_id("dh", code, action, scalar(obj.get("Index", 0), "Index"), ts_ms)
    vendor = {"vendor_code": code}
    if code == "AccessControl":
        return [_access(data, eid, ts_ms, source)]
    if code == "DoorStatus":
        status = need(data, "Status", "Data")
        if status not in ("Open", "Close"):
            raise RejectError("unknown_code", "Data.Status", f"Dahua DoorStatus {shown(status)} has no mapping")
        return [build(eid, ts_ms, source.device, "door.opened" if status == "Open" else "door.closed",
                      data=vendor)]
    if code == "RepeatEnter":
        return [build(eid, ts_ms, source.device, "access.denied", _subject(data, None),
                      {**vendor, "reason": "antipassback"})]
    if code in ALARMS:
        if action == "Stop":
            raise RejectError("ignored", "Action", f"{code} stopped (the restore is not an event)")
        etype, extra = ALARMS[code]
        return [build(eid, ts_ms, source.device, etype, data={**vendor, **extra})]
    raise RejectError("unknown_code", "Code", f"Dahua event code {shown(code)} has no mapping")


def _access(data: dict[str, Any], eid: str, ts_ms: int, source: Source) -> Event:
    status = need(data, "Status", "Data")
    method = data.get("Method")
    extra: dict[str, Any] = {"vendor_code": "AccessControl"}
    if isinstance(method, int):
        extra["method"] = method
    entry = data.get("Type")
    direction = {"Entry": "in", "Exit": "out"}.get(entry) if isinstance(entry, str) else None
    if direction:
        extra["direction"] = direction
    credential = METHODS.get(method) if isinstance(method, int) else None
    if status in (1, True, "1"):
        if method == DURESS_METHOD:
            return build(eid, ts_ms, source.device, "door.duress", data=extra)
        return build(eid, ts_ms, source.device, "access.granted", _subject(data, credential), extra)
    error = data.get("ErrorCode")
    if not isinstance(error, int) or error not in ERRORS:
        raise RejectError("unknown_code", "Data.ErrorCode",
                          f"Dahua access refusal ErrorCode {shown(error)} has no mapping")
    extra["reason"] = ERRORS[error]
    extra["error_code"] = error
    return build(eid, ts_ms, source.device, "access.denied", _subject(data, credential), extra)


def _subject(data: dict[str, Any], credential: str | None) -> dict[str, Any] | None:
    """The controller's UserID (an opaque person id), else a hashed card number; never Name."""
    user, card = scalar(data.get("UserID"), "Data.UserID"), data.get("CardNo")
    if user not in (None, ""):
        subject: dict[str, Any] = {"id": str(user)[:128], "kind": "resident"}
    elif isinstance(card, str) and card:
        subject = {"id": hashed("card", card), "kind": "unknown"}
        credential = credential or "card"
    else:
        return None
    if credential is not None:
        subject["credential"] = credential
    return subject


def _time(data: dict[str, Any], source: Source) -> int:
    """Data.UTC (epoch seconds) when present, else Data.LocaleTime in community time."""
    if "UTC" in data:
        return epoch_s_to_ms(data["UTC"], "Data.UTC")
    if "LocaleTime" in data:
        return vendor_time_ms(data["LocaleTime"], source.tz, "Data.LocaleTime")
    raise RejectError("bad_ts", "Data.UTC", "missing (and no Data.LocaleTime)")
