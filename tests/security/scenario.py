"""Traffic full of subject ids (native and vendor, accepted and rejected) and a scan for them.

Every clear id is distinctive (`…-clear-…`), so finding one anywhere means it leaked. The
same scenario runs with and without a salt: without one, the scan must find every clear id
(so it can fail); with one, it must find none.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import orjson

from ingest.adapters.common import hashed

SALT = b"compound-cyl-test-salt-0123456789"
SALT_ENV = {"ZHIAN_SUBJECT_SALT": SALT.decode()}
HOUR_MS = 3_600_000

DEVICES_YAML = """\
version: 1
community: {id: cyl, name: 昌运里, timezone: Asia/Shanghai}
defaults: {heartbeat_s: 86400}
devices:
  - {id: gate-north, type: door, zone: gate}
  - {id: gate-south, type: door, zone: gate}
  - {id: hik-gate, type: door, zone: gate, vendor: hikvision}
  - {id: dh-lobby, type: door, zone: lobby, vendor: dahua}
  - {id: lock-3-1-1202, type: door, zone: household, household: 3-1-1202, occupants: 1}
watchlist:
  - {subject: r-watch-clear-01, reason: elderly_living_alone, max_quiet_h: 36}
"""

WATCHED = "r-watch-clear-01"
SHARED = "r-shared-clear-02"  # granted at both gates within 30 s: credential_shared
CARD_OK = "CARD77001234"  # a card number the Hikvision adapter hashes into a subject id
CARD_REJECTED = "CARD88005678"
NAME = "张三"  # a name in a Hikvision payload: never stored either

# Found in the store when no salt is set (the scan's sanity check); none with a salt.
CLEAR = [
    WATCHED, SHARED, "r-lock-clear-03", "r-lock-clear-04", "hk-clear-05", hashed("card", CARD_OK),
    "dh-clear-06", "r-rej-clear-07", "r-echo-clear-08", "hk-rej-clear-09", CARD_REJECTED, NAME,
    "r-trunc-clear-10", "r-ghost-clear-11", "r-str-clear-13", "dh-rej-clear-14",
]
LIVE_ONLY = ["r-ahead-clear-12"]  # clock_ahead needs a receiving clock: live, or `received` in replay
NEVER = [CARD_OK, hashed("card", CARD_REJECTED)]  # not stored even without a salt
ACCEPTED_EVENTS = 9  # devices' events that become events (the unknown device adds an internal one)
REJECTED = 8  # with the clock_ahead one


def pseudonym(subject_id: str, salt: bytes = SALT) -> str:
    """The documented pseudonym, computed here independently of ingest/pseudonym.py."""
    return "p-" + hmac.new(salt, subject_id.encode(), hashlib.sha256).hexdigest()[:24]


def _native(device: str, eid: str, ts: int, etype: str, subject: Any = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"v": 1, "id": eid, "ts": ts, "device": device, "type": etype}
    if subject is not None:
        body["subject"] = {"id": subject, "kind": "resident", "credential": "face"} \
            if isinstance(subject, str) else subject
    body.update(extra)
    return body


def _hik(ts: int, serial: int, minor: int, **person: Any) -> dict[str, Any]:
    return {"dateTime": ts, "eventType": "AccessControllerEvent", "eventState": "active",
            "AccessControllerEvent": {"majorEventType": 5, "subEventType": minor, "cardReaderNo": 1,
                                      "serialNo": serial, "userType": "normal", **person}}


def _dahua(ts: int, rec: int, **data: Any) -> dict[str, Any]:
    return {"Code": "AccessControl", "Action": "Pulse", "Index": 0,
            "Data": {"Method": 15, "RecNo": rec, "Type": "Entry", "UTC": ts // 1000, **data}}


def traffic(t0_ms: int, received_ms: int | None = None) -> list[tuple[str, Any]]:
    """(topic, payload) in publishing order: bytes payloads are sent as they are.

    The watched resident is seen at t0 (a heartbeat 2 h before) and then never again; everything else happens 40 h
    later, so care_no_activity is due (t0 + 36 h) once that traffic arrives. The
    clock_ahead message is stamped an hour after `received_ms` (left out without it)."""
    later = t0_ms + 40 * HOUR_MS
    out: list[tuple[str, Any]] = [
        # first: so that "never heard of" (first event + 36 h) differs from "quiet since t0"
        ("zhian/cyl/gate-south/events", _native("gate-south", "gs-hb", t0_ms - 2 * HOUR_MS, "device.heartbeat")),
        ("zhian/cyl/gate-north/events", _native("gate-north", "gn-1", t0_ms, "access.granted", WATCHED)),
        ("zhian/cyl/gate-north/events", _native("gate-north", "gn-2", later, "access.granted", SHARED)),
        ("zhian/cyl/gate-south/events", _native("gate-south", "gs-1", later + 10_000, "access.granted", SHARED)),
        ("zhian/cyl/lock-3-1-1202/events",
         _native("lock-3-1-1202", "lk-1", later + 20_000, "access.granted", "r-lock-clear-03")),
        ("zhian/cyl/lock-3-1-1202/events",
         _native("lock-3-1-1202", "lk-2", later + 30_000, "access.granted", "r-lock-clear-04")),
        ("zhian/cyl/hik-gate/events", _hik(later + 40_000, 501, 0x4B, employeeNoString="hk-clear-05", name=NAME)),
        ("zhian/cyl/hik-gate/events", _hik(later + 50_000, 502, 0x01, cardNo=CARD_OK)),
        ("zhian/cyl/dh-lobby/events", _dahua(later + 60_000, 601, Status=1, UserID="dh-clear-06")),
        # --- rejected, each with subject ids inside ---
        ("zhian/cyl/gate-north/events",
         _native("gate-north", "gn-3", later + 70_000, "access.teleported", "r-rej-clear-07")),
        ("zhian/cyl/gate-north/events",  # the detail echoes `v`, which holds the subject id too
         {**_native("gate-north", "gn-4", later + 80_000, "access.granted", "r-echo-clear-08"),
          "v": "r-echo-clear-08"}),
        ("zhian/cyl/hik-gate/events", _hik(later + 90_000, 503, 0x8F, employeeNoString="hk-rej-clear-09",
                                           cardNo=CARD_REJECTED, name=NAME)),
        ("zhian/cyl/gate-north/events", b'{"v":1,"id":"gn-5","subject":{"id":"r-trunc-clear-10","kind":"res'),
        ("zhian/cyl/ghost-9/events", _native("ghost-9", "g-1", later + 100_000, "access.granted",
                                             "r-ghost-clear-11")),
        ("zhian/cyl/gate-north/events",
         _native("gate-north", "gn-7", later + 110_000, "access.granted", "r-str-clear-13")
         | {"subject": "r-str-clear-13"}),
        ("zhian/cyl/dh-lobby/events", _dahua(later + 120_000, 602, Status=0, ErrorCode=99, UserID="dh-rej-clear-14")),
    ]
    if received_ms is not None:
        out.append(("zhian/cyl/gate-north/events",
                    _native("gate-north", "gn-6", received_ms + HOUR_MS, "access.granted", "r-ahead-clear-12")))
    return out


def as_bytes(payload: Any) -> bytes:
    """A payload as it travels over MQTT."""
    return payload if isinstance(payload, bytes) else orjson.dumps(payload)


def traffic_lines(messages: list[tuple[str, Any]]) -> bytes:
    """A replay file: raw (non-JSON) payloads travel as strings."""
    lines = []
    for topic, payload in messages:
        body = payload.decode() if isinstance(payload, bytes) else payload
        lines.append(orjson.dumps({"topic": topic, "payload": body}))
    return b"\n".join(lines) + b"\n"


def found_in(blob: bytes, tokens: list[str]) -> set[str]:
    """The tokens whose UTF-8 bytes occur in blob (or in it once decompressed, if it is zlib)."""
    blobs = [blob]
    try:
        blobs.append(zlib.decompress(blob))
    except zlib.error:
        pass
    return {t for t in tokens if any(t.encode() in b for b in blobs)}


def scan_store(store: Path, tokens: list[str]) -> dict[str, set[str]]:
    """Every cell of every table of the store: {"table": tokens found}."""
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        hits: dict[str, set[str]] = {}
        for table in tables:
            found: set[str] = set()
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 (names from sqlite_master)
                for cell in row:
                    if isinstance(cell, str):
                        found |= found_in(cell.encode(), tokens)
                    elif isinstance(cell, bytes):
                        found |= found_in(cell, tokens)
            hits[table] = found
        return hits
    finally:
        db.close()


def scan_files(directory: Path, tokens: list[str]) -> dict[str, set[str]]:
    """Every file under a directory, as bytes: {relative path: tokens found}."""
    return {str(p.relative_to(directory)): found_in(p.read_bytes(), tokens)
            for p in sorted(directory.rglob("*")) if p.is_file()}


def union(hits: dict[str, set[str]]) -> set[str]:
    """All tokens found anywhere."""
    out: set[str] = set()
    for found in hits.values():
        out |= found
    return out
