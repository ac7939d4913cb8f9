"""Event schema v1: both timestamp forms, every reject names its field and reason."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ingest.event
from ingest.errors import RejectError
from ingest.event import DATA_SPECS, EVENT_TYPES, MAX_TS_MS, MIN_TS_MS, _iso_ms, parse_event, parse_ts_ms

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


# ---- the fast paths give what the general ones give ----------------------------------------

def ts_outcome(read: Any, value: Any) -> int | str:
    """The epoch ms `read` makes of `value`, or its error message."""
    try:
        return int(read(value))
    except ValueError as exc:
        return str(exc)


def general_ts(value: str) -> int:
    """RFC 3339 text through datetime.fromisoformat alone, then the range check."""
    ms = _iso_ms(value)
    if not MIN_TS_MS <= ms < MAX_TS_MS:
        return parse_ts_ms(ms)  # raises with the range message
    return ms


def two(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda n: f"{n:02d}")


# near the common shape YYYY-MM-DDTHH:MM:SS.fff+HH:MM, valid or just not
near_rfc3339 = st.builds(
    lambda *parts: "".join(parts),
    st.sampled_from(["1999", "2000", "2026", "2028", "2099", "2100", "0001", "２０２６"]),
    st.sampled_from(["-", "/"]), two(0, 13), st.sampled_from(["-", "-", "_"]), two(0, 32),
    st.sampled_from(["T", "T", "t", " ", "x"]), two(0, 25), st.sampled_from([":", ":", "."]), two(0, 61),
    st.sampled_from([":", ":", "-"]), two(0, 61), st.sampled_from([".", ".", ","]),
    st.one_of(st.integers(0, 999).map(lambda n: f"{n:03d}"),
              st.sampled_from(["12", "1234", "1a2", "١٢٣", " 12", "+12", "1_2"])),
    st.sampled_from(["Z", "z", "+08:00", "-05:30", "+00:00", "-00:00", "+23:59", "+24:00", "+08", "+0800",
                     "+08:00:30", "+08:00:30.5", "", "+8:00", "+08:60", "+08:00x", "Zz", "-14:00"]),
)


@settings(max_examples=1500, deadline=None)
@given(value=near_rfc3339, at=st.integers(0, 40), char=st.sampled_from(list("0123456789:+-.TZtz x٣")))
def test_rfc3339_tables_agree_with_fromisoformat(value: str, at: int, char: str) -> None:
    """Same epoch ms, or the same error, as the general path: first seen, seen again (its
    hour cached), and with one character changed."""
    mutated = value[:at] + char + value[at + 1:]
    for text in (value, value, mutated, mutated):
        assert ts_outcome(parse_ts_ms, text) == ts_outcome(general_ts, text), text


def test_rfc3339_hour_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest.event, "_HOUR_STARTS_MAX", 5)
    values = [f"2026-11-{day:02d}T{hour:02d}:59:59.999+08:00" for day in range(1, 4) for hour in range(24)]
    for value in values + values:
        assert parse_ts_ms(value) == general_ts(value)
        assert len(ingest.event._hour_starts) <= 5


MINIMAL_DATA = {"access.denied": {"reason": "expired"}, "object.detected": {"label": "ebike", "confidence": 0.9},
                "charger.telemetry": {"port": 3}, "charger.alarm": {"kind": "smoke"}, "socket.power": {"power_w": 12},
                "camera.tamper": {"kind": "moved"}, "throwing.detected": {"floor": 12, "column": 3, "confidence": 0.8}}
FIELDS = sorted((etype, name) for etype, spec in DATA_SPECS.items() for name in spec)
values = st.one_of(
    st.integers(-(10**20), 10**20), st.floats(), st.booleans(), st.none(), st.text(max_size=45),
    st.sampled_from([-0.0, 0, 1, 1.0, 1000, 1001, -60, -60.5, 400, 400.0001, 2**62, 2**62 + 1, 2**70,
                     "in", "out", "sideways", "expired", "smoke", "moved", "", "x" * 40, "x" * 41, "x" * 64,
                     [1, 2, 3, 4], [1, 2, 3], [1.5, True, 3, 4], ["a"] * 32, ["a"] * 33, {"a": 1}]),
)


@settings(max_examples=3000, deadline=None)
@given(field=st.sampled_from(FIELDS), value=values)
def test_data_fields_tested_inline_agree_with_their_checks(field: tuple[str, str], value: Any) -> None:
    """A data field is accepted, normalised or rejected (same words) as its check says."""
    etype, name = field
    required, check = DATA_SPECS[etype][name]
    data = {**MINIMAL_DATA.get(etype, {}), name: value, "vendor_extra": 1}
    payload = with_(type=etype, subject=..., data=data)
    if value is None:
        want: Any = ("invalid", f"data.{name}", "missing") if required else ("ok", ...)
    else:
        try:
            want = ("ok", check(value))
        except ValueError as exc:
            want = ("invalid", f"data.{name}", str(exc))
    try:
        event = parse_event(payload)
    except RejectError as exc:
        got: Any = (exc.reason, exc.field, exc.detail)
    else:
        got = ("ok", event.data.get(name, ...))
        assert event.data["vendor_extra"] == 1
    assert got == want
    assert type(got[1]) is type(want[1])
