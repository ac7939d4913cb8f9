"""Vendor adapters: every recorded payload fixture becomes exactly its canonical events."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from ingest.adapters.common import vendor_time_ms
from ingest.decode import REASONS, Decoder, MultipleEvents, UnknownDevice
from ingest.errors import RejectError
from ingest.event import parse_event
from ingest.registry import parse_registry

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p for p in FIXTURES.glob("*/*.json"))

REGISTRY = """
version: 1
community: {id: cyl, name: 昌运里, timezone: Asia/Shanghai}
devices:
  - {id: hik-gate, type: door, zone: gate, vendor: hikvision}
  - {id: hik-cam, type: camera, zone: lobby, vendor: hikvision}
  - {id: dh-lobby, type: door, zone: lobby, vendor: dahua}
  - {id: frigate-nvr, type: camera, zone: other, vendor: frigate}
  - {id: elevcam-3-1, type: camera, zone: elevator, vendor: frigate}
  - {id: corrcam-3-1-12, type: camera, zone: corridor, vendor: frigate}
  - {id: native-cam, type: camera, zone: corridor}
  - {id: gat-gate, type: camera, zone: gate, vendor: gat1400}
  - {id: gat-elev, type: camera, zone: elevator, vendor: gat1400}
"""


@pytest.fixture(scope="module")
def decoder() -> Decoder:
    return Decoder(parse_registry(REGISTRY))


def test_every_vendor_has_fixtures() -> None:
    assert {p.parent.name for p in CASES} == {"hikvision", "dahua", "frigate", "gat1400"}
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_becomes_its_canonical_events(decoder: Decoder, path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    assert case["doc"], "every fixture names the documentation it was written from"
    topic = f"zhian/cyl/{case['device']}/events"
    raw = orjson.dumps(case["payload"])  # as it arrives over MQTT
    if "reject" in case:
        with pytest.raises(RejectError) as info:
            decoder.decode_all(topic, raw)
        assert (info.value.reason, info.value.field) == (case["reject"]["reason"], case["reject"]["field"])
        assert info.value.reason in REASONS
        return
    got = decoder.decode_all(topic, raw)
    want = [parse_event(e) for e in case["events"]]
    assert [e.to_dict() for e in got] == [e.to_dict() for e in want]
    # redelivery gives the same ids (the idempotency key)
    assert [e.id for e in decoder.decode_all(topic, raw)] == [e.id for e in got]


def test_single_event_messages_also_work_through_decode(decoder: Decoder) -> None:
    case = json.loads((FIXTURES / "hikvision" / "face_pass.json").read_text(encoding="utf-8"))
    event = decoder.decode("zhian/cyl/hik-gate/events", orjson.dumps(case["payload"]))
    assert event.type == "access.granted" and event.subject_id == "r-00042"


def test_a_list_through_decode_is_rejected_not_lost(decoder: Decoder) -> None:
    case = json.loads((FIXTURES / "gat1400" / "faces.json").read_text(encoding="utf-8"))
    with pytest.raises(MultipleEvents) as info:
        decoder.decode("zhian/cyl/gat-gate/events", orjson.dumps(case["payload"]))
    assert info.value.reason == "multiple_events" and len(info.value.events) == 2


def test_names_and_id_numbers_never_reach_an_event(decoder: Decoder) -> None:
    for name in ("gat1400/faces.json", "gat1400/person.json", "hikvision/face_pass.json"):
        case = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        events = decoder.decode_all(f"zhian/cyl/{case['device']}/events", orjson.dumps(case["payload"]))
        text = orjson.dumps([e.to_dict() for e in events]).decode()
        assert "张三" not in text and "330102199001011234" not in text


def test_unregistered_frigate_camera_is_an_unknown_device(decoder: Decoder) -> None:
    case = json.loads((FIXTURES / "frigate" / "unregistered_camera.json").read_text(encoding="utf-8"))
    with pytest.raises(UnknownDevice) as info:
        decoder.decode("zhian/cyl/frigate-nvr/events", orjson.dumps(case["payload"]))
    assert info.value.device == "garage-cam"


def test_only_a_frigate_nvr_speaks_for_frigate_cameras(decoder: Decoder) -> None:
    case = json.loads((FIXTURES / "frigate" / "person_update.json").read_text(encoding="utf-8"))
    case["payload"]["after"]["camera"] = "native_cam"  # registered, but not a Frigate camera
    with pytest.raises(RejectError) as info:
        decoder.decode("zhian/cyl/frigate-nvr/events", orjson.dumps(case["payload"]))
    assert info.value.reason == "device_mismatch"


@pytest.mark.parametrize("payload", [b"[]", b'{"eventType": 5}', b'{"eventType": "AccessControllerEvent"}',
                                     b'{"eventType": "AccessControllerEvent", "dateTime": "yesterday"}'])
def test_hostile_vendor_payloads_are_rejected_with_a_field(decoder: Decoder, payload: bytes) -> None:
    with pytest.raises(RejectError) as info:
        decoder.decode("zhian/cyl/hik-gate/events", payload)
    assert info.value.reason in REASONS and info.value.reason != "unknown_device"


def test_vendor_times() -> None:
    from zoneinfo import ZoneInfo
    tz = ZoneInfo("Asia/Shanghai")
    want = 1793575865000
    assert vendor_time_ms("2026-11-02T07:31:05+08:00", tz, "t") == want
    assert vendor_time_ms("2026-11-02T07:31:05", tz, "t") == want
    assert vendor_time_ms("2026-11-02 07:31:05", tz, "t") == want
    assert vendor_time_ms("20261102073105", tz, "t") == want
    assert vendor_time_ms("20261102073105120", tz, "t") == want + 120
