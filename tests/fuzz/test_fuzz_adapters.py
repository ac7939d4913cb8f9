"""Fuzzing every vendor adapter (Hikvision, Dahua, Frigate, GA/T 1400) with hostile payloads.

Mutations start from the recorded fixtures of tests/ingest/fixtures, so they reach deep
into each adapter; each input goes through the decoder (bytes and object) and straight
into the adapter function, where only a RejectError may escape (the decoder's last-resort
guard would hide an adapter crash). Frigate's camera names are spoofed against the registry.

Inputs per run (hypothesis `max_examples` × decoder calls per example):
  test_mutated_vendor_payloads      1,500 × 2 (bytes and object; + 1 direct adapter call)
  test_any_value_to_every_adapter     600 × 8 vendor devices (+ 1 direct call each when an object)
  test_damaged_vendor_bytes           400 × 1
  test_frigate_camera_spoofing        400 × 1
= 2,900 hypothesis examples and 8,600 decoder calls.
"""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from ingest.adapters import ADAPTERS, Source
from ingest.decode import MAX_PAYLOAD_BYTES, Decoder, UnknownDevice
from ingest.errors import RejectError
from ingest.event import ID_RE
from tests.fuzz.contract import check, check_event, check_reject, fuzz_registry, topic_of
from tests.fuzz.hostile import (
    DELETE,
    FIXTURE_CASES,
    byte_values,
    fuzz_settings,
    hostile_objects,
    mangled,
    object_domain,
    paths,
    replaced,
    texts,
    write_json,
)

REGISTRY = fuzz_registry()
DECODER = Decoder(REGISTRY)
VENDOR_DEVICES = [d for d in REGISTRY.devices if d.vendor != "native"]
CASE_PATHS = [(i, path) for i, case in enumerate(FIXTURE_CASES) for path in paths(case["payload"])]


def test_fixtures_cover_every_adapter_and_are_registered() -> None:
    """The mutations below reach every adapter (else their coverage would be a claim)."""
    vendors = {REGISTRY.get(case["device"]).vendor for case in FIXTURE_CASES}  # type: ignore[union-attr]
    assert vendors == set(ADAPTERS)
    assert len(CASE_PATHS) > 500


def adapt_directly(device: str, payload: Any) -> None:
    """The device's adapter on a parsed payload: events that validate, or a RejectError."""
    entry = REGISTRY.get(device)
    assert entry is not None
    try:
        events = ADAPTERS[entry.vendor](payload, Source(device, REGISTRY.community.tz))
    except RejectError as exc:
        check_reject(exc)
        return
    for event in events:
        assert ID_RE.fullmatch(event.device)
        if entry.vendor != "frigate":
            assert event.device == device
        if REGISTRY.get(event.device) is not None:
            check_event(event, REGISTRY, None)


@fuzz_settings(1500)
@given(at=st.sampled_from(CASE_PATHS), new=st.one_of(hostile_objects, st.just(DELETE)))
def test_mutated_vendor_payloads(at: tuple[int, tuple[Any, ...]], new: Any) -> None:
    """One node of a recorded vendor payload made hostile: wrong type, huge, deep, NaN, gone."""
    index, path = at
    case = FIXTURE_CASES[index]
    payload = replaced(case["payload"], path, new) if path or new is not DELETE else {}
    topic = topic_of(case["device"])
    as_bytes = check(DECODER, topic, write_json(payload))
    as_object = check(DECODER, topic, payload)
    adapt_directly(case["device"], payload)
    if isinstance(as_bytes, list) and isinstance(as_object, list):
        assert [e.to_dict() for e in as_bytes] == [e.to_dict() for e in as_object]


@fuzz_settings(600)
@given(value=st.one_of(hostile_objects, byte_values))
def test_any_value_to_every_adapter(value: Any) -> None:
    """Arbitrary JSON-like values to every vendor device, as bytes and (when replay could
    hand it over) as an object straight into the adapter."""
    raw = write_json(value)
    is_object = object_domain(value)
    for device in VENDOR_DEVICES:
        outcome = check(DECODER, topic_of(device.id), raw)
        if len(raw) > MAX_PAYLOAD_BYTES:
            assert isinstance(outcome, RejectError) and outcome.reason == "too_large"
        if is_object:
            adapt_directly(device.id, value)


@fuzz_settings(400)
@given(data=st.data(), index=st.integers(0, len(FIXTURE_CASES) - 1))
def test_damaged_vendor_bytes(data: st.DataObject, index: int) -> None:
    """Invalid UTF-8, truncation, BOM, UTF-16 and junk on recorded vendor payloads."""
    case = FIXTURE_CASES[index]
    raw = data.draw(mangled(orjson.dumps(case["payload"])))
    outcome = check(DECODER, topic_of(case["device"]), raw)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        assert isinstance(outcome, RejectError) and outcome.reason in ("not_json", "too_large")


FRIGATE_CASE = next(c for c in FIXTURE_CASES if c["device"] == "frigate-nvr" and "events" in c)
cameras = st.one_of(
    st.sampled_from([d.id for d in REGISTRY.devices]),  # frigate cameras, native and other vendors' devices
    st.sampled_from(["Elevcam_3_1", "ELEVCAM-3-1", "elevcam_3_1 ", "elevcam.3.1", "elevcam-3-1\n", "frigate-nvr",
                     "../gate-north", "gate_north", "GATE-NORTH", "c" * 41, "-cam", "", "İ", "ǅ"]),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}", fullmatch=True),
    texts, st.none(), st.integers(-(2**70), 2**70), st.lists(st.text(max_size=3), max_size=2),
)


def expected_camera(name: Any) -> tuple[str, str] | None:
    """(reason, field) for a Frigate camera name, from the registry; None = an event."""
    if not isinstance(name, str) or not name:
        return ("invalid", "after.camera")
    device = name.lower().replace("_", "-")
    if not (device.isascii() and ID_RE.fullmatch(device)):
        return ("invalid", "after.camera")
    entry = REGISTRY.get(device)
    if entry is None:
        return ("unknown_device", "topic")
    return None if entry.vendor == "frigate" else ("device_mismatch", "device")


@fuzz_settings(400)
@given(camera=cameras)
def test_frigate_camera_spoofing(camera: Any) -> None:
    """An NVR speaks only for registered Frigate cameras: others are unknown or a mismatch."""
    payload = FRIGATE_CASE["payload"]
    payload = {**payload, "after": {**payload["after"], "camera": camera}}
    raw = write_json(payload)
    outcome = check(DECODER, topic_of("frigate-nvr"), raw)
    want = expected_camera(camera) if len(raw) <= MAX_PAYLOAD_BYTES else ("too_large", None)
    if want is None:
        assert isinstance(outcome, list) and outcome[0].device == camera.lower().replace("_", "-")
    else:
        assert isinstance(outcome, RejectError) and (outcome.reason, outcome.field) == want, (camera, outcome)
        if isinstance(outcome, UnknownDevice):
            assert outcome.device == camera.lower().replace("_", "-")
