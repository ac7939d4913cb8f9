"""Event schema v1: both timestamp forms, every reject names its field and reason."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.errors import RejectError
from ingest.event import EVENT_TYPES, parse_event, parse_ts_ms

BASE = {"v": 1, "id": "gate-north-88121", "ts": "2026-11-02T07:31:05.120+08:00",
        "device": "gate-north", "type": "access.granted",
        "subject": {"id": "r-00042", "kind": "resident", "credential": "face"},
        "data": {"direction": "in"}}


def with_(**changes: Any) -> dict[str, Any]:
    out = {**BASE, **changes}
    return {k: v for k, v in out.items() if v is not ...}


def test_contract_example_parses() -> None:
    event = parse_event(BASE)
    assert event.ts_ms == 1_793_575_865_120
    assert (event.device, event.type, event.subject_id) == ("gate-north", "access.granted", "r-00042")
    assert event.data == {"direction": "in"}


@pytest.mark.parametrize("ts, expected", [
    ("2026-11-02T07:31:05.120+08:00", 1_793_575_865_120),
    ("2026-11-01T23:31:05.120Z", 1_793_575_865_120),
    ("2026-11-01t23:31:05.12z", 1_793_575_865_120),
    (1_793_575_865_120, 1_793_575_865_120),
    ("2026-11-02T07:31:05+08:00", 1_793_575_865_000),
])
def test_both_timestamp_forms(ts: Any, expected: int) -> None:
    assert parse_ts_ms(ts) == expected


@pytest.mark.parametrize("ts, words", [
    ("2026-11-02T07:31:05", "offset"),
    ("2026-11-02", "RFC 3339"),
    ("yesterday", "RFC 3339"),
    (1_762_039_865.120, "integer"),
    (1_762_039_865, "2000..2100"),
    (True, "not a boolean"),
    (None, "null"),
])
def test_bad_timestamps_are_named(ts: Any, words: str) -> None:
    with pytest.raises(RejectError) as info:
        parse_event(with_(ts=ts))
    assert info.value.reason == "bad_ts" and info.value.field == "ts"
    assert words in info.value.detail


@pytest.mark.parametrize("payload, reason, field", [
    (with_(v=2), "unsupported_version", "v"),
    (with_(v="1"), "unsupported_version", "v"),
    (with_(v=True), "unsupported_version", "v"),
    (with_(id=""), "invalid", "id"),
    (with_(id="x" * 65), "invalid", "id"),
    (with_(id=42), "invalid", "id"),
    (with_(ts=...), "bad_ts", "ts"),
    (with_(device="Gate North"), "invalid", "device"),
    (with_(type="door.exploded"), "unknown_type", "type"),
    (with_(type=["door.opened"]), "unknown_type", "type"),
    (with_(type="zhian.unknown_device"), "unknown_type", "type"),
    (with_(subject={"id": "x" * 3000}), "invalid", "subject.id"),
    (with_(subject={"id": "r-1", "kind": "alien"}), "invalid", "subject.kind"),
    (with_(subject={"id": "r-1", "kind": ["resident"]}), "invalid", "subject.kind"),
    (with_(subject={"id": "r-1", "name": "张三"}), "invalid", "subject"),
    (with_(subject="r-1"), "invalid", "subject"),
    (with_(data={"direction": "sideways"}), "invalid", "data.direction"),
    (with_(data=[1, 2]), "invalid", "data"),
    (with_(extra=1), "invalid", "extra"),
    (with_(type="access.denied", data={}), "invalid", "data.reason"),
    (with_(type="object.detected", data={"label": "ebike", "confidence": 1.2}), "invalid", "data.confidence"),
    (with_(type="object.detected", data={"label": "ebike", "confidence": "high"}), "invalid", "data.confidence"),
    (with_(type="charger.telemetry", data={"port": 1, "temp_c": float("nan")}), "invalid", "data.temp_c"),
    (with_(type="charger.telemetry", data={"port": True}), "invalid", "data.port"),
    (with_(type="socket.power", data={"power_w": -5}), "invalid", "data.power_w"),
    (with_(type="object.detected", data={"label": "ebike", "confidence": 0.9, "bbox": [1, 2]}), "invalid", "data.bbox"),
    ([1, 2, 3], "invalid", None),
    ("just text", "invalid", None),
])
def test_rejects_name_field_and_reason(payload: Any, reason: str, field: str | None) -> None:
    with pytest.raises(RejectError) as info:
        parse_event(payload)
    assert (info.value.reason, info.value.field) == (reason, field)
    assert info.value.detail


@pytest.mark.parametrize("etype, field", [("access.denied", "data.reason"), ("object.detected", "data.label"),
                                          ("charger.telemetry", "data.port"), ("charger.alarm", "data.kind")])
def test_no_data_at_all_is_missing_the_required_fields(etype: str, field: str) -> None:
    payload = with_(type=etype)
    del payload["data"]
    with pytest.raises(RejectError) as info:
        parse_event(payload)
    assert (info.value.reason, info.value.field) == ("invalid", field)
    assert "missing" in str(info.value)


def test_every_type_accepts_its_minimal_data() -> None:
    minimal = {
        "access.denied": {"reason": "expired"},
        "object.detected": {"label": "ebike", "confidence": 0.9, "track": 7},
        "charger.telemetry": {"port": 3, "temp_c": 41.5},
        "charger.alarm": {"kind": "smoke"},
        "socket.power": {"power_w": 12},
        "camera.tamper": {"kind": "occluded"},
        "throwing.detected": {"floor": 12, "column": 3, "confidence": 0.8},
    }
    for type_ in EVENT_TYPES:
        event = parse_event(with_(type=type_, data=minimal.get(type_, {}), subject=...))
        assert event.type == type_
    assert parse_event(with_(type="object.detected", data=minimal["object.detected"])).data["track"] == "7"


def test_vendor_extras_in_data_are_kept() -> None:
    event = parse_event(with_(data={"direction": "in", "door_no": 2}))
    assert event.data == {"direction": "in", "door_no": 2}


def test_round_trip_through_to_dict() -> None:
    event = parse_event(BASE)
    assert parse_event(event.to_dict()) == event
