"""`Decoder.decode_common` (the live path's shortcut) agrees with `Decoder.decode`: the same
event for valid native payloads, and None (never an event) for anything `decode` rejects or
treats otherwise (vendor formats, unknown devices, other communities)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.decode import MAX_PAYLOAD_BYTES, Decoder
from ingest.errors import RejectError
from ingest.event import Event
from ingest.registry import load_registry, parse_registry
from tests.conftest import DEVICES
from zhian.simulate.generator import TrafficGenerator

REGISTRY = load_registry(DEVICES)
T0 = 1_793_575_865_000
MIXED = """
version: 1
community: {id: cyl, name: 昌运里, timezone: Asia/Shanghai}
devices:
  - {id: hik-gate, type: door, zone: gate, vendor: hikvision}
  - {id: native-cam, type: camera, zone: corridor}
"""
HIK_FACE = Path(__file__).parent / "fixtures" / "hikvision" / "face_pass.json"


def full(decoder: Decoder, topic: str, payload: Any) -> Event | RejectError:
    """What `decode` makes of a message: its event or its rejection."""
    try:
        return decoder.decode(topic, payload)
    except RejectError as exc:
        return exc


def agree(decoder: Decoder, topic: str, payload: Any) -> Event | None:
    """decode_common's answer, after checking it against decode's."""
    quick = decoder.decode_common(topic, payload)
    slow = full(decoder, topic, payload)
    if quick is not None:
        assert isinstance(slow, Event), f"decode_common accepted what decode rejects: {slow}"
        assert quick.to_dict() == slow.to_dict() and type(quick.ts_ms) is int
    return quick


def traffic(count: int) -> list[tuple[str, dict[str, Any]]]:
    gen = TrafficGenerator(REGISTRY, T0, seed=7)
    return [(topic, payload) for _, topic, payload in itertools.islice(gen, count)]


@pytest.fixture(scope="module")
def decoder() -> Decoder:
    return Decoder(REGISTRY)


def test_the_simulated_compound_takes_the_shortcut_with_the_same_events(decoder: Decoder) -> None:
    messages = traffic(3000)
    assert len({p["type"] for _, p in messages}) >= 6, "several event types, RFC 3339 and epoch times"
    taken = [agree(decoder, topic, orjson.dumps(payload)) for topic, payload in messages]
    assert all(e is not None for e in taken)


# one change each to a valid payload; every one must end where decode puts it
MUTATIONS: list[tuple[str, Any]] = [
    ("v", 2), ("v", True), ("v", 1.0), ("v", "1"), ("id", ""), ("id", "x" * 65), ("id", 7),
    ("ts", 1_793_575_865.5), ("ts", 946_684_799_999), ("ts", 4_102_444_800_000), ("ts", "2026-11-02 07:31:05"),
    ("ts", "2026-11-02T07:31:05.120"), ("ts", "2026-11-02t07:31:05.120z"), ("ts", True), ("ts", None),
    ("device", "gate-south"), ("device", "Gate-North"), ("device", None), ("type", "door.exploded"),
    ("type", ["door.opened"]), ("type", "zhian.alert.ack"), ("subject", "r-1"), ("subject", {"id": ""}),
    ("subject", {"id": "r-1", "kind": "alien"}), ("subject", {"id": "r-1", "extra": 1}), ("subject", None),
    ("subject", {"id": "r-1", "credential": "iris"}), ("data", []), ("data", None), ("data", {"x": [[[[1]]]]}),
    ("data", {"reason": "expired"}), ("data", {"uptime_s": -1}), ("data", {"port": None}), ("extra", 1),
]


@pytest.mark.parametrize("field, value", MUTATIONS, ids=lambda x: repr(x)[:30])
def test_every_broken_or_unusual_payload_ends_where_decode_puts_it(decoder: Decoder, field: str, value: Any) -> None:
    for topic, payload in traffic(400)[::40]:
        changed = {**payload, field: value}
        agree(decoder, topic, orjson.dumps(changed))
        agree(decoder, topic, orjson.dumps({k: v for k, v in payload.items() if k != field}))


def test_what_the_shortcut_leaves_to_decode(decoder: Decoder) -> None:
    topic, payload = traffic(1)[0]
    raw = orjson.dumps(payload)
    assert agree(decoder, topic, raw) is not None
    assert agree(decoder, topic, raw.decode()) is None, "text (replay files) goes the long way"
    assert agree(decoder, topic, payload) is None
    assert agree(decoder, topic.replace("/cyl/", "/other/"), raw) is None
    assert agree(decoder, "zhian/cyl/ghost-1/events", raw) is None
    assert agree(decoder, topic, raw[:-1]) is None
    assert agree(decoder, topic, b"[" + raw + b"]") is None
    padded = {**payload, "data": {**payload.get("data", {}), "note": "x" * MAX_PAYLOAD_BYTES}}
    assert agree(decoder, topic, orjson.dumps(padded)) is None
    mixed = Decoder(parse_registry(MIXED))
    face = json.loads(HIK_FACE.read_text(encoding="utf-8"))["payload"]
    assert agree(mixed, "zhian/cyl/hik-gate/events", orjson.dumps(face)) is None, "vendor formats have adapters"
    native = {"v": 1, "id": "n1", "ts": T0, "device": "native-cam", "type": "camera.tamper", "data": {"kind": "moved"}}
    assert agree(mixed, "zhian/cyl/native-cam/events", orjson.dumps(native)) is not None


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=8)
KEYS = st.sampled_from(["v", "id", "ts", "device", "type", "subject", "data", "kind", "reason", "x"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, 199), edits=st.lists(st.tuples(KEYS, JSON), max_size=3), drop=st.sets(KEYS, max_size=2),
       nested=st.booleans())
def test_random_edits_never_make_the_two_disagree(decoder: Decoder, index: int, edits: list[tuple[str, Any]],
                                                  drop: set[str], nested: bool) -> None:
    topic, payload = TRAFFIC[index]
    changed = {k: v for k, v in payload.items() if k not in drop}
    for key, value in edits:
        if nested and isinstance(changed.get("data"), dict):
            changed["data"] = {**changed["data"], key: value}
        else:
            changed[key] = value
    try:
        raw = orjson.dumps(changed)
    except TypeError:  # integers past 64 bits: not a payload anyone can send
        return
    agree(decoder, topic, raw)


TRAFFIC = traffic(200)
