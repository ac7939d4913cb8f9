"""Hikvision ISAPI event notifications (`EventNotificationAlert`, JSON) to events.

Access terminals (DS-K1T…) send `eventType: AccessControllerEvent` with a major and a
minor (`subEventType`) code; cameras send their own event types. Codes come from
Hikvision's Device Network SDK / ISAPI access-control event tables (MAJOR_ALARM 0x1,
MAJOR_OPERATION 0x3, MAJOR_EVENT 0x5; see docs/deploying.md for the table and sources).
"""

from __future__ import annotations

from typing import Any

from ingest.adapters.common import Source, build, event_id, hashed, need, scalar, shown, vendor_time_ms
from ingest.errors import RejectError
from ingest.event import Event

MAJOR_ALARM, MAJOR_OPERATION, MAJOR_EVENT = 0x1, 0x3, 0x5

# (major, minor) -> credential of an access.granted
GRANTED: dict[tuple[int, int], str | None] = {
    (MAJOR_EVENT, 0x01): "card",         # valid card
    (MAJOR_EVENT, 0x02): "card",         # card and password
    (MAJOR_EVENT, 0x10): None,           # multiple authentication completed
    (MAJOR_EVENT, 0x26): "fingerprint",  # fingerprint matched
    (MAJOR_EVENT, 0x28): "card",         # card and fingerprint
    (MAJOR_EVENT, 0x2B): "card",         # card, fingerprint and password
    (MAJOR_EVENT, 0x2E): "fingerprint",  # fingerprint and password
    (MAJOR_EVENT, 0x36): "face",         # face and fingerprint
    (MAJOR_EVENT, 0x39): "face",         # face and password
    (MAJOR_EVENT, 0x3C): "face",         # face and card
    (MAJOR_EVENT, 0x3F): "face",         # face, password and fingerprint
    (MAJOR_EVENT, 0x42): "face",         # face, card and fingerprint
    (MAJOR_EVENT, 0x4B): "face",         # face
    (MAJOR_EVENT, 0x4D): "face",         # employee no. and face
    (MAJOR_EVENT, 0x69): "face",         # face against the ID card (人证比对)
    (MAJOR_EVENT, 0x9C): "qr",           # QR code
    (MAJOR_EVENT, 0xB5): "pin",          # password
    (MAJOR_OPERATION, 0x400): "remote",  # remote opening (platform, app)
}

# (major, minor) -> access.denied reason
DENIED: dict[tuple[int, int], str] = {
    (MAJOR_EVENT, 0x03): "invalid_credential",  # card and password failed
    (MAJOR_EVENT, 0x06): "no_permission",       # card has no permission here
    (MAJOR_EVENT, 0x07): "no_permission",       # outside the card's schedule
    (MAJOR_EVENT, 0x08): "expired",             # card expired (also QR codes)
    (MAJOR_EVENT, 0x09): "invalid_credential",  # no such card (also QR codes)
    (MAJOR_EVENT, 0x0A): "antipassback",        # anti-passback violated
    (MAJOR_EVENT, 0x27): "invalid_credential",  # fingerprint did not match
    (MAJOR_EVENT, 0x29): "invalid_credential",  # card and fingerprint failed
    (MAJOR_EVENT, 0x31): "invalid_credential",  # fingerprint not enrolled
    (MAJOR_EVENT, 0x4C): "unknown_face",        # face authentication failed
    (MAJOR_EVENT, 0x50): "unknown_face",        # face not recognised
    (MAJOR_EVENT, 0x96): "invalid_credential",  # password failed
    (MAJOR_EVENT, 0x97): "invalid_credential",  # password mismatch
    (MAJOR_EVENT, 0x9D): "invalid_credential",  # QR code failed
    (MAJOR_EVENT, 0xC3): "expired",             # dynamic password expired
}

# (major, minor) -> (event type, data)
DOOR: dict[tuple[int, int], tuple[str, dict[str, Any]]] = {
    (MAJOR_EVENT, 0x19): ("door.opened", {}),       # door contact: opened normally
    (MAJOR_EVENT, 0x1A): ("door.closed", {}),       # door contact: closed
    (MAJOR_EVENT, 0x1B): ("door.forced", {}),       # door contact: opened abnormally
    (MAJOR_EVENT, 0x1C): ("door.held_open", {}),    # door contact: open too long
    (MAJOR_EVENT, 0x85): ("door.tailgating", {}),   # turnstile: tailgating (尾随通行)
    (MAJOR_EVENT, 0x87): ("door.forced", {}),       # turnstile: forced through (外力冲撞)
    (MAJOR_ALARM, 0x40A): ("door.duress", {}),      # duress alarm (胁迫报警)
    (MAJOR_ALARM, 0x404): ("camera.tamper", {"kind": "moved", "tamper": "housing"}),
    (MAJOR_ALARM, 0x406): ("camera.tamper", {"kind": "moved", "tamper": "card_reader"}),
}

# Codes understood and deliberately not turned into events (counted as `ignored`).
IGNORED: dict[tuple[int, int], str] = {
    (MAJOR_EVENT, 0x15): "lock relay opened",
    (MAJOR_EVENT, 0x16): "lock relay closed",
    (MAJOR_EVENT, 0x17): "exit button pressed",
    (MAJOR_EVENT, 0x18): "exit button released",
    (MAJOR_EVENT, 0x1D): "alarm output on",
    (MAJOR_EVENT, 0x1E): "alarm output off",
    (MAJOR_ALARM, 0x405): "housing tamper restored",
    (MAJOR_ALARM, 0x407): "card reader tamper restored",
}

# Camera event types -> camera.tamper kind (ISAPI `eventType`).
CAMERA_TAMPER = {"shelteralarm": "occluded", "defocus": "defocused", "scenechangedetection": "moved"}

USER_KINDS = {"normal": "resident", "visitor": "visitor", "blacklist": "unknown"}


def adapt(obj: Any, source: Source) -> list[Event]:
    """Events from one ISAPI EventNotificationAlert."""
    etype = need(obj, "eventType")
    if not isinstance(etype, str):
        raise RejectError("invalid", "eventType", "must be a string")
    ts_ms = vendor_time_ms(need(obj, "dateTime"), source.tz, "dateTime")
    kind = etype.lower()
    if kind == "accesscontrollerevent":
        return [_access(need(obj, "AccessControllerEvent"), ts_ms, source)]
    if kind == "heartbeat":
        return [build(event_id("hik-hb", ts_ms), ts_ms, source.device, "device.heartbeat")]
    if kind in CAMERA_TAMPER:
        state = scalar(obj.get("eventState", "active"), "eventState")
        if state != "active":
            raise RejectError("ignored", "eventState", f"{etype} {shown(state)}: tamper restored")
        channel = scalar(obj.get("channelID", 1), "channelID")
        return [build(event_id("hik", kind, channel, ts_ms), ts_ms, source.device, "camera.tamper",
                      data={"kind": CAMERA_TAMPER[kind], "channel": channel})]
    raise RejectError("unknown_code", "eventType", f"Hikvision eventType {shown(etype)} has no mapping")


def _access(ace: Any, ts_ms: int, source: Source) -> Event:
    where = "AccessControllerEvent"
    major, minor = need(ace, "majorEventType", where), need(ace, "subEventType", where)
    if not isinstance(major, int) or not isinstance(minor, int):
        raise RejectError("invalid", f"{where}.subEventType", "major and minor codes must be integers")
    code = (major, minor)
    serial = ace.get("serialNo")
    eid = event_id("hik", serial, ts_ms // 1000) if isinstance(serial, int) else event_id("hik", major, minor, ts_ms)
    data: dict[str, Any] = {"vendor_code": f"{major:#x}/{minor:#x}"}
    reader = ace.get("cardReaderNo")
    if isinstance(reader, int):
        data["reader"] = reader
    if code in GRANTED:
        return build(eid, ts_ms, source.device, "access.granted", _subject(ace, GRANTED[code], None), data)
    if code in DENIED:
        reason = DENIED[code]
        data["reason"] = reason
        return build(eid, ts_ms, source.device, "access.denied", _subject(ace, None, reason), data)
    if code in DOOR:
        etype, extra = DOOR[code]
        return build(eid, ts_ms, source.device, etype, None, {**data, **extra})
    if code in IGNORED:
        raise RejectError("ignored", f"{where}.subEventType", f"{major:#x}/{minor:#x}: {IGNORED[code]}")
    raise RejectError("unknown_code", f"{where}.subEventType",
                      f"Hikvision major {major:#x} minor {minor:#x} has no mapping")


def _subject(ace: dict[str, Any], credential: str | None, denied: str | None) -> dict[str, Any] | None:
    """Who: the terminal's employee number (an opaque person id), else a hashed card number.

    Names (`name`) are never copied. A face the terminal did not recognise is a stranger.
    """
    user_type = ace.get("userType", "normal")
    kind = USER_KINDS.get(user_type.lower(), "unknown") if isinstance(user_type, str) else "unknown"
    key = "employeeNoString" if ace.get("employeeNoString") else "employeeNo"
    employee = scalar(ace.get(key), f"AccessControllerEvent.{key}")
    card = ace.get("cardNo")
    if employee not in (None, ""):
        subject = {"id": str(employee)[:128], "kind": kind}
    elif isinstance(card, str) and card:
        subject = {"id": hashed("card", card), "kind": "unknown"}
        credential = credential or "card"
    elif denied == "unknown_face":
        return {"id": "face-unmatched", "kind": "stranger", "credential": "face"}
    else:
        return None
    if credential is not None:
        subject["credential"] = credential
    return subject
