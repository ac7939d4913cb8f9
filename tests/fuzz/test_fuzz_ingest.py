"""Fuzzing topic parsing and schema v1 validation (native devices) with hostile messages.

Every input must decode to valid events or be rejected with a reason from REASONS and a
field naming what is wrong (tests/fuzz/contract.py); where the right answer is known
from the input alone, the test computes it independently and compares.

Inputs per run (hypothesis `max_examples` × decoder calls per example):
  test_hostile_topics                 1,000 × 1
  test_mutated_native_events          1,600 × 2 (bytes and object)
  test_spoofed_device_ids               600 × 2 (payload spoof; unregistered topic)
  test_any_value_on_a_native_topic    1,000 × 2 (bytes; object when replay could pass it)
  test_damaged_bytes                    600 × 1
  test_non_finite_and_wrong_numbers     600 × 1
  test_parse_event_direct               300 × 3 parse_event calls (not decoder calls)
  test_deep_nesting_and_sizes         fixed: 8 depths × 4 places × 3 shapes × 2 + 3 sizes × 12
= 5,700 hypothesis examples and up to 8,428 decoder calls. tests/fuzz/__init__.py has the
suite's total; tests/fuzz/conftest.py prints the measured count after every run.
"""

from __future__ import annotations

import math
import re
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.decode import MAX_PAYLOAD_BYTES, Decoder, UnknownDevice
from ingest.errors import RejectError
from ingest.event import DATA_SPECS, EVENT_TYPES, Event, parse_event
from tests.fuzz.contract import COMMUNITY, check, fuzz_registry, topic_of
from tests.fuzz.hostile import (
    DELETE,
    SURROGATES,
    byte_values,
    deep_values,
    fuzz_settings,
    hostile_objects,
    mangled,
    nest,
    object_domain,
    object_scalars,
    paths,
    replaced,
    texts,
    write_json,
)

REGISTRY = fuzz_registry()
DECODER = Decoder(REGISTRY)
NATIVE = [d.id for d in REGISTRY.devices if d.vendor == "native"]
REGISTERED = [d.id for d in REGISTRY.devices]
TOPIC = topic_of("gate-north")
# written here from PRODUCT.md, not imported, so that the decoder is checked against it
CONTRACT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")

# One valid native event of every schema v1 type, with every optional field filled.
SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "access.granted": {"direction": "in"},
    "access.denied": {"reason": "expired"},
    "object.detected": {"label": "ebike", "confidence": 0.9, "track": "t-7", "bbox": [1, 2, 3.5, 4], "zone": "lift"},
    "charger.telemetry": {"port": 2, "power_w": 310.5, "current_a": 1.4, "voltage_v": 220, "temp_c": 41,
                          "state": "charging"},
    "charger.alarm": {"kind": "over_temp", "port": 1},
    "socket.power": {"power_w": 55},
    "camera.tamper": {"kind": "occluded"},
    "throwing.detected": {"floor": 12, "column": 3, "confidence": 0.8, "frame": 40, "start_frame": 31,
                          "evidence": ["a.png"]},
    "device.heartbeat": {"uptime_s": 3600},
}
SAMPLES: list[dict[str, Any]] = [
    {"v": 1, "id": f"gate-north-{i}", "ts": "2026-11-02T07:31:05.120+08:00", "device": "gate-north", "type": etype,
     "subject": {"id": "r-00042", "kind": "resident", "credential": "face"}, "data": SAMPLE_DATA.get(etype, {})}
    for i, etype in enumerate(sorted(EVENT_TYPES))
]
GRANTED = next(s for s in SAMPLES if s["type"] == "access.granted")
SAMPLE_PATHS = [(i, path) for i, sample in enumerate(SAMPLES) for path in paths(sample)[1:]]


def test_every_sample_is_valid() -> None:
    """The mutations below start from valid events (else they would prove nothing)."""
    for sample in SAMPLES:
        event = DECODER.decode(TOPIC, orjson.dumps(sample))
        assert event.type == sample["type"] and event.data == sample["data"]


def expected_topic_reason(topic: Any) -> str | None:
    """The contract's answer for a topic: a reject reason, or None when the payload decides."""
    if not isinstance(topic, str):
        return "bad_topic"
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != "zhian" or parts[3] != "events" \
            or not all(CONTRACT_ID.fullmatch(p) for p in parts[1:3]):
        return "bad_topic"
    if parts[1] != COMMUNITY:
        return "unknown_community"
    return None if parts[2] in REGISTERED else "unknown_device"


valid_ids = st.from_regex(CONTRACT_ID, fullmatch=True)
near_ids = st.one_of(valid_ids, st.sampled_from(
    ["cyl", "CYL", "cyl ", "-cyl", "c" * 40, "c" * 41, "gate-north", "gate_north", "Gate-North", "gate-north\n",
     "gate-north/", "+", "#", "", "x" * 200, "ｃｙｌ", "cyl\x00", "cyl/events", "..", "%2F"]))
topics = st.one_of(
    st.builds(topic_of, st.sampled_from(REGISTERED)),  # the real ones, so that acceptance is checked too
    st.builds(topic_of, near_ids, near_ids),
    st.builds(topic_of, st.sampled_from(REGISTERED), valid_ids),  # another compound's devices
    st.builds(topic_of, valid_ids, st.just(COMMUNITY)),
    st.builds(lambda c, d, suffix: f"zhian/{c}/{d}/{suffix}", st.sampled_from([COMMUNITY, "other"]),
              st.sampled_from(REGISTERED), st.sampled_from(["command", "alerts", "events/x", "Events", "events/",
                                                             "events\n", "#", "+", ""])),
    st.builds(lambda prefix, t: prefix + t, st.sampled_from(["/", "$share/g/", "zhian//", " ", "\ufeff"]),
              st.just(TOPIC)),
    texts,
    st.builds(lambda bad: f"zhian/cyl/gate{bad}north/events", st.sampled_from(SURROGATES + ["\x00", "\u2011"])),
    st.sampled_from([None, b"zhian/cyl/gate-north/events", 1, 1.5, ["zhian"], {"topic": TOPIC}, TOPIC * 5]),
)


@fuzz_settings(1000)
@given(topic=topics)
def test_hostile_topics(topic: Any) -> None:
    """Topic parsing: the reject reason the contract gives, naming the topic; UnknownDevice
    carries the topic's device id."""
    want = expected_topic_reason(topic)
    device = topic.split("/")[2] if want is None else "gate-north"
    outcome = check(DECODER, topic, orjson.dumps({**GRANTED, "device": device}))
    if want is None:
        if device in NATIVE:  # a registered device's own valid event on its own topic
            assert isinstance(outcome, list)
        return
    assert isinstance(outcome, RejectError) and (outcome.reason, outcome.field) == (want, "topic"), (topic, outcome)
    if isinstance(outcome, UnknownDevice):
        assert outcome.device == topic.split("/")[2]


def expected_field_reason(key: str, value: Any) -> tuple[str, str] | None:
    """(reason, field) the schema gives when top-level `key` takes `value`; None = not known
    from the value alone (data, subject: checked by the contract only)."""
    if key == "v":
        return None if type(value) is int and value == 1 else ("unsupported_version", "v")
    if key == "id":
        return None if type(value) is str and 0 < len(value) <= 64 else ("invalid", "id")
    if key == "device":
        if type(value) is str and CONTRACT_ID.fullmatch(value):
            return None if value == "gate-north" else ("device_mismatch", "device")
        return ("invalid", "device")
    if key == "type":
        return None if type(value) is str and value in EVENT_TYPES else ("unknown_type", "type")
    return None


@fuzz_settings(1600)
@given(at=st.sampled_from(SAMPLE_PATHS), new=st.one_of(hostile_objects, st.just(DELETE)),
       extra=st.one_of(st.none(), st.sampled_from(["", "V", "ts ", "subject.id", "data", "x" * 100])))
def test_mutated_native_events(at: tuple[int, tuple[Any, ...]], new: Any, extra: str | None) -> None:
    """Schema validation: one field of a valid event made hostile (or removed, or an unknown
    field added) is rejected naming that field, by bytes and by object alike."""
    index, path = at
    body = replaced(SAMPLES[index], path, new)
    if extra is not None:
        body = {**body, extra: 1} if extra not in body else body
    as_bytes = check(DECODER, TOPIC, write_json(body))
    as_object = check(DECODER, TOPIC, body)
    if isinstance(as_object, RejectError):
        assert as_object.reason != "not_json"
        if path[0] in ("data", "subject") and as_object.reason == "invalid" and extra is None:
            assert as_object.field is not None and as_object.field.startswith(path[0])
    if extra is not None and extra not in SAMPLES[index]:
        assert isinstance(as_object, RejectError) and as_object.field == extra[:64]
        return
    if len(path) == 1 and new is not DELETE:
        want = expected_field_reason(path[0], new)
        if want is not None:
            assert isinstance(as_object, RejectError) and (as_object.reason, as_object.field) == want
    if len(path) == 1 and new is DELETE and path[0] in ("v", "id", "ts", "device", "type"):
        assert isinstance(as_object, RejectError) and as_object.detail.startswith("missing")
    if isinstance(as_bytes, list) and isinstance(as_object, list):
        assert [e.to_dict() for e in as_bytes] == [e.to_dict() for e in as_object]


other_community_ids = st.builds(lambda c, d: f"{c}-{d}"[:40], st.sampled_from(["jinhua", "cyl2", "xq"]),
                                st.sampled_from(REGISTERED))
spoofs = st.one_of(st.sampled_from(REGISTERED), valid_ids, other_community_ids,
                   st.sampled_from(["GATE-NORTH", "gate-north ", " gate-north", "gate_north", "gate-north\x00",
                                    "gate-nort\u0127", "ｇate-north", "cyl/gate-north", "zhian/cyl/gate-north/events",
                                    "", "-gate", "g" * 41]),
                   object_scalars)


@fuzz_settings(600)
@given(spoof=spoofs, unregistered=st.one_of(valid_ids, other_community_ids))
def test_spoofed_device_ids(spoof: Any, unregistered: str) -> None:
    """A payload may not speak for another device; a topic of an unregistered device is
    `unknown_device` for that topic's id, whatever device the payload claims to be."""
    outcome = check(DECODER, TOPIC, {**GRANTED, "device": spoof})
    if spoof == "gate-north" and type(spoof) is str:
        assert isinstance(outcome, list)
    else:
        assert isinstance(outcome, RejectError)
        valid = type(spoof) is str and CONTRACT_ID.fullmatch(spoof)
        assert (outcome.reason, outcome.field) == (("device_mismatch", "device") if valid else ("invalid", "device"))
    if unregistered in REGISTERED:
        return
    claimed = {**GRANTED, "device": "gate-north"}
    outcome = check(DECODER, topic_of(unregistered), orjson.dumps(claimed))
    assert isinstance(outcome, UnknownDevice) and outcome.device == unregistered
    assert outcome.message_id == claimed["id"]


@fuzz_settings(1000)
@given(device=st.sampled_from(NATIVE), value=st.one_of(hostile_objects, byte_values))
def test_any_value_on_a_native_topic(device: str, value: Any) -> None:
    """Arbitrary JSON (and JSON-like text with NaN, huge integers, surrogates) on a native topic."""
    raw = write_json(value)
    outcome = check(DECODER, topic_of(device), raw)
    if len(raw) > MAX_PAYLOAD_BYTES:
        assert isinstance(outcome, RejectError) and outcome.reason == "too_large"
    if object_domain(value):
        check(DECODER, topic_of(device), value)


@fuzz_settings(600)
@given(data=st.data(), index=st.integers(0, len(SAMPLES) - 1))
def test_damaged_bytes(data: st.DataObject, index: int) -> None:
    """Invalid UTF-8, truncation, a BOM, UTF-16, trailing junk and the 64 KiB edge."""
    raw = data.draw(mangled(orjson.dumps(SAMPLES[index])))
    outcome = check(DECODER, TOPIC, raw)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        assert isinstance(outcome, RejectError) and outcome.reason in ("not_json", "too_large")
    if len(raw) > MAX_PAYLOAD_BYTES:
        assert isinstance(outcome, RejectError) and outcome.reason == "too_large"


numeric_fields = [(etype, name) for etype, spec in DATA_SPECS.items() for name in spec
                  if etype in SAMPLE_DATA and isinstance(SAMPLE_DATA[etype].get(name), int | float)
                  and name != "track"]
wrong_numbers = st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, True, False, "1", "NaN", [], {}, [1.0],
                                           -(2**63), 2**64 - 1, 1e300, -1e300, 0.1]), st.floats())


@fuzz_settings(600)
@given(at=st.sampled_from(numeric_fields), value=wrong_numbers)
def test_non_finite_and_wrong_numbers(at: tuple[str, str], value: Any) -> None:
    """NaN, infinities, booleans and numbers as text in numeric fields are rejected naming the field;
    an accepted number is finite and of the right kind."""
    etype, name = at
    sample = next(s for s in SAMPLES if s["type"] == etype)
    body = {**sample, "data": {**sample["data"], name: value}}
    outcome = check(DECODER, TOPIC, body)
    if isinstance(value, float) and not math.isfinite(value) or type(value) not in (int, float):
        assert isinstance(outcome, RejectError) and (outcome.reason, outcome.field) == ("invalid", f"data.{name}")
    elif isinstance(outcome, list):
        got = outcome[0].data[name]
        assert math.isfinite(got) and got == value


PLACES = ["data", "subject", "ts", "extra"]
DEPTHS = (8, 31, 64, 253, 254, 600, 1023, 5000)


@pytest.mark.parametrize("shape", ["list", "dict", "mixed"])
@pytest.mark.parametrize("place", PLACES)
def test_deep_nesting_and_sizes(place: str, shape: str) -> None:
    """Nesting from shallow to past every parser's limit, in each place of an event, by
    bytes and by object; payload sizes either side of the 64 KiB limit."""
    for depth in DEPTHS:
        deep = nest(1, depth, shape)
        body: dict[str, Any] = dict(GRANTED)
        if place == "data":
            body["data"] = deep if shape == "dict" else {"x": deep}
        elif place == "subject":
            body["subject"] = {"id": deep, "kind": "resident"}
        elif place == "ts":
            body["ts"] = deep
        else:
            body["data"] = {"direction": "in", "vendor": deep}
        for outcome in (check(DECODER, TOPIC, write_json(body)), check(DECODER, TOPIC, body)):
            if place in ("data", "extra") and depth <= 31:
                assert isinstance(outcome, list), "a vendor extra of modest depth is kept"
            else:
                assert isinstance(outcome, RejectError), (place, shape, depth)
    for size in (MAX_PAYLOAD_BYTES - 1000, MAX_PAYLOAD_BYTES + 1, 10 * MAX_PAYLOAD_BYTES):
        body = {**GRANTED, "data": {"direction": "in", "note": "x" * size}}
        outcome = check(DECODER, TOPIC, orjson.dumps(body))
        assert isinstance(outcome, RejectError) == (size > MAX_PAYLOAD_BYTES)


@fuzz_settings(300)
@given(value=deep_values)
def test_parse_event_direct(value: Any) -> None:
    """parse_event itself (also used by every adapter) rejects any shape with a RejectError."""
    for body in (value, {**SAMPLES[0], "data": value}, {**SAMPLES[0], "subject": value}):
        try:
            event = parse_event(body)
        except RejectError:
            continue
        assert isinstance(event, Event)
        orjson.dumps(event.to_dict())
