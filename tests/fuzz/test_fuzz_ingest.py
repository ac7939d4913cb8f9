"""Fuzzing ingest: hostile topics and payloads never crash; each is an event or a named reject.

Over 10,000 generated inputs per run: wrong types, huge strings, deep nesting, NaN and
infinities, invalid UTF-8, spoofed device ids and mutations of valid events.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.decode import REASONS, Decoder
from ingest.errors import RejectError
from ingest.event import EVENT_TYPES, Event
from ingest.registry import load_registry
from tests.conftest import DEVICES

REGISTRY = load_registry(DEVICES)
DECODER = Decoder(REGISTRY)
DEVICE_IDS = [d.id for d in REGISTRY.devices]
FUZZ = settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                database=None)

hostile_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=100, max_size=5000),
    st.sampled_from(["", " ", "\x00", "../", "#", "+", "$SYS", "\ud800", "null", "NaN", "1e309", "-0",
                     "2026-11-02T07:31:05.120+08:00", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z"]),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), hostile_text,
)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(hostile_text, inner, max_size=5)), max_leaves=30)


def deep(n: int) -> Any:
    value: Any = 1
    for _ in range(n):
        value = {"a": [value]}
    return value


def check(topic: Any, payload: Any) -> None:
    """Decode must return an Event or raise a RejectError with a known reason and a detail."""
    try:
        event = DECODER.decode(topic, payload)
    except RejectError as exc:
        assert exc.reason in REASONS, exc.reason
        assert exc.detail
        return
    assert isinstance(event, Event)
    assert event.type in EVENT_TYPES
    assert event.device in DEVICE_IDS
    assert orjson.loads(orjson.dumps(event.to_dict()))  # the event serialises cleanly


def encode(value: Any) -> bytes:
    """JSON text of any generated value, NaN and huge integers included (as a device might send)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits, surrogates
        import json
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


@FUZZ
@given(topic=st.one_of(hostile_text, st.builds(lambda c, d: f"zhian/{c}/{d}/events", hostile_text, hostile_text)),
       payload=st.one_of(st.binary(max_size=300), json_values.map(encode)))
def test_hostile_topics_and_bytes(topic: str, payload: bytes) -> None:
    check(topic, payload)


@FUZZ
@given(device=st.sampled_from(DEVICE_IDS), value=json_values)
def test_any_json_value_on_a_real_topic(device: str, value: Any) -> None:
    check(f"zhian/cyl/{device}/events", encode(value))
    check(f"zhian/cyl/{device}/events", value)  # replay passes parsed objects too


VALID = {"v": 1, "id": "x-1", "ts": "2026-11-02T07:31:05.120+08:00", "device": "gate-north",
         "type": "access.granted", "subject": {"id": "r-00042", "kind": "resident", "credential": "face"},
         "data": {"direction": "in"}}


@FUZZ
@given(field=st.sampled_from(["v", "id", "ts", "device", "type", "subject", "data", "extra"]),
       value=json_values, type_=st.sampled_from(sorted(EVENT_TYPES)), spoof=st.sampled_from(DEVICE_IDS))
def test_mutations_of_a_valid_event(field: str, value: Any, type_: str, spoof: str) -> None:
    payload = {**VALID, "type": type_, field: value}
    check("zhian/cyl/gate-north/events", encode(payload))
    spoofed = {**VALID, "device": spoof}
    try:
        DECODER.decode("zhian/cyl/gate-north/events", encode(spoofed))
        assert spoof == "gate-north"
    except RejectError as exc:
        assert exc.reason == "device_mismatch" and spoof != "gate-north"


@FUZZ
@given(key=st.sampled_from(["label", "confidence", "track", "bbox", "zone", "port", "temp_c", "power_w",
                            "kind", "reason", "direction", "floor", "column", "uptime_s"]),
       value=json_values, type_=st.sampled_from(sorted(EVENT_TYPES)))
def test_hostile_data_fields(key: str, value: Any, type_: str) -> None:
    data = {"label": "ebike", "confidence": 0.9, "port": 1, "power_w": 10, "kind": "smoke",
            "reason": "expired", "floor": 3, "column": 1, key: value}
    payload = {**VALID, "type": type_, "data": data}
    try:
        event = DECODER.decode("zhian/cyl/gate-north/events", encode(payload))
    except RejectError as exc:
        assert exc.reason in REASONS and exc.detail
        return
    for item in event.data.values():  # accepted numbers are finite
        if isinstance(item, float):
            assert math.isfinite(item) or key not in ("confidence", "temp_c", "power_w")


def test_deep_nesting_and_huge_payloads_are_rejected_cleanly() -> None:
    for n in (10, 100, 1000, 5000):
        body = orjson.dumps({**VALID, "data": deep(min(n, 250))}) if n <= 250 else (
            b'{"data":' * n + b"1" + b"}" * n)
        check("zhian/cyl/gate-north/events", body)
    check("zhian/cyl/gate-north/events", b"[" * 100_000)
    check("zhian/cyl/gate-north/events", orjson.dumps({**VALID, "id": "x" * 1_000_000}))
    check("zhian/cyl/gate-north/events", b'{"v": 1, "ts": NaN, "id": Infinity}')
    check("zhian/cyl/gate-north/events", b'{"v": 1, "id": "\xff\xfe", "ts": 1}')
