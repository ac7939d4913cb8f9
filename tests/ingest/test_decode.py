"""Topic and payload decoding against the example registry."""

from __future__ import annotations

import orjson
import pytest

from ingest.decode import Decoder, UnknownDevice, parse_topic
from ingest.errors import RejectError
from ingest.registry import load_registry
from tests.conftest import DEVICES

EVENT = {"v": 1, "id": "e1", "ts": 1_793_575_865_120, "device": "gate-north", "type": "door.opened"}


@pytest.fixture(scope="module")
def decoder() -> Decoder:
    return Decoder(load_registry(DEVICES))


@pytest.mark.parametrize("topic", [
    "zhian/cyl/gate-north", "zhian/cyl/gate-north/events/x", "zhian/cyl/+/events",
    "zhian/cyl/#", "zhian/CYL/gate-north/events", "zhian/cyl/../events", "/zhian/cyl/a/events",
    "zhian/cyl/gate-north/command", "zhian/cyl/" + "a" * 41 + "/events", "zhian/cyl/a\x00/events", "",
])
def test_hostile_topics_are_rejected(topic: str) -> None:
    with pytest.raises(RejectError) as info:
        parse_topic(topic)
    assert info.value.reason == "bad_topic"


def test_bytes_text_and_object_payloads_agree(decoder: Decoder) -> None:
    raw = orjson.dumps(EVENT)
    a = decoder.decode("zhian/cyl/gate-north/events", raw)
    b = decoder.decode("zhian/cyl/gate-north/events", raw.decode())
    c = decoder.decode("zhian/cyl/gate-north/events", EVENT)
    assert a == b == c


@pytest.mark.parametrize("topic, payload, reason", [
    ("zhian/other/gate-north/events", orjson.dumps(EVENT), "unknown_community"),
    ("zhian/cyl/gate-south/events", orjson.dumps(EVENT), "device_mismatch"),
    ("zhian/cyl/gate-north/events", b"\xff\xfe{", "not_json"),
    ("zhian/cyl/gate-north/events", b'{"v": 1, "ts": NaN}', "not_json"),
    ("zhian/cyl/gate-north/events", b"[" * 5000 + b"]" * 5000, "not_json"),
    ("zhian/cyl/gate-north/events", b" " * 70_000, "too_large"),
])
def test_reject_reasons(decoder: Decoder, topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(RejectError) as info:
        decoder.decode(topic, payload)
    assert info.value.reason == reason


def test_unknown_device_carries_id_and_time(decoder: Decoder) -> None:
    with pytest.raises(UnknownDevice) as info:
        decoder.decode("zhian/cyl/ghost-7/events", orjson.dumps({**EVENT, "device": "ghost-7"}))
    assert (info.value.device, info.value.ts_ms, info.value.message_id) == ("ghost-7", EVENT["ts"], "e1")
