"""Inputs the fuzzers found to crash ingest, each kept as a test named after it.

Fixed in ingest: vendor values nested ~1,000 deep (a 2 KB MQTT message) raised
RecursionError out of the adapters and out of parse_event, whose reject details quoted
them with repr(); an object payload nested past 254 levels from an unregistered device
raised TypeError out of Decoder.decode (orjson cannot write it for the message id); and a
native event whose vendor extras nested ~200 objects deep was *accepted*, to abort the
process later when the store wrote it with orjson 3.11.4.

Found in the redaction of dead letters with a salt (ingest/pseudonym.py), and fixed there:
a payload nested past orjson's limit raised out of `Pipeline.redact`; orjson 3.11.4 itself
corrupted the heap writing objects nested from ~95 levels (GHSA-hx9q-6w63-j58v; pinned
3.13.0 now); ids sent inside an array or object at an id field were kept in clear.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.decode import Decoder, UnknownDevice
from ingest.errors import RejectError
from ingest.event import MAX_NESTING, parse_event
from ingest.pseudonym import Pseudonymizer
from tests.fuzz.contract import check, fuzz_registry, topic_of
from tests.fuzz.hostile import nest, write_json
from zhian.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = fuzz_registry()
DECODER = Decoder(REGISTRY)
DEEP = nest(1, 1000, "list")  # as orjson.loads makes it from 2 KB of brackets
WHEN = "2026-11-02T07:31:05+08:00"

HIK_ACCESS = {"eventType": "AccessControllerEvent", "dateTime": WHEN,
              "AccessControllerEvent": {"majorEventType": 5, "subEventType": 75, "employeeNoString": "r-1"}}
HIK_TAMPER = {"eventType": "shelteralarm", "dateTime": WHEN, "eventState": "active", "channelID": 1}
DAHUA_ACCESS = {"Code": "AccessControl", "Action": "Pulse", "Index": 0,
                "Data": {"UTC": 1793575865, "Status": 1, "Method": 15, "UserID": "r-1", "Type": "Entry"}}
DAHUA_REFUSED = {"Code": "AccessControl", "Data": {"UTC": 1793575865, "Status": 0, "ErrorCode": 0x14}}
DAHUA_ALARM = {"Code": "BreakIn", "Data": {"LocaleTime": "2026-11-02 07:31:05"}}
DAHUA_DOOR = {"Code": "DoorStatus", "Data": {"UTC": 1793575865, "Status": "Open"}}
FRIGATE = {"type": "new", "after": {"id": "t-1", "camera": "elevcam_3_1", "label": "person",
                                    "frame_time": 1793575865.2, "score": 0.9}}
GAT = {"NonMotorVehicleListObject": {"NonMotorVehicleObject": [
    {"NonMotorVehicleID": "n-1", "ShotTime": "20261102073105", "VehicleType": "电动车"}]}}


def with_value(payload: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of `payload` with the value at `path` set."""
    if len(path) == 1:
        return {**payload, path[0]: value}
    return {**payload, path[0]: with_value(payload[path[0]], path[1:], value)}


# (device, valid payload, path of the value that crashed, (reason, field) now)
DEEP_VENDOR_VALUES: dict[str, tuple[str, dict[str, Any], tuple[str, ...], tuple[str, str] | None]] = {
    "hikvision-tamper-channelID": ("hik-cam", HIK_TAMPER, ("channelID",), ("invalid", "channelID")),
    "hikvision-tamper-eventState": ("hik-cam", HIK_TAMPER, ("eventState",), ("invalid", "eventState")),
    "hikvision-dateTime": ("hik-cam", HIK_TAMPER, ("dateTime",), ("bad_ts", "dateTime")),
    "hikvision-employeeNoString": ("hik-gate", HIK_ACCESS, ("AccessControllerEvent", "employeeNoString"),
                                   ("invalid", "AccessControllerEvent.employeeNoString")),
    "hikvision-userType": ("hik-gate", HIK_ACCESS, ("AccessControllerEvent", "userType"), None),
    "dahua-Action": ("dh-lobby", DAHUA_ACCESS, ("Action",), ("invalid", "Action")),
    "dahua-Index": ("dh-lobby", DAHUA_DOOR, ("Index",), ("invalid", "Index")),
    "dahua-Data-Type": ("dh-lobby", DAHUA_ACCESS, ("Data", "Type"), None),
    "dahua-Data-UserID": ("dh-lobby", DAHUA_ACCESS, ("Data", "UserID"), ("invalid", "Data.UserID")),
    "dahua-Data-ErrorCode": ("dh-lobby", DAHUA_REFUSED, ("Data", "ErrorCode"), ("unknown_code", "Data.ErrorCode")),
    "dahua-DoorStatus-Status": ("dh-lobby", DAHUA_DOOR, ("Data", "Status"), ("unknown_code", "Data.Status")),
    "dahua-Data-LocaleTime": ("dh-lobby", DAHUA_ALARM, ("Data", "LocaleTime"), ("bad_ts", "Data.LocaleTime")),
    "frigate-type": ("frigate-nvr", FRIGATE, ("type",), ("unknown_code", "type")),
    "frigate-after-id": ("frigate-nvr", FRIGATE, ("after", "id"), ("invalid", "after.id")),
    "gat1400-VehicleType": ("gat-elev", GAT, ("NonMotorVehicleListObject", "NonMotorVehicleObject"), None),
}


@pytest.mark.parametrize("name", sorted(DEEP_VENDOR_VALUES))
def test_vendor_value_nested_1000_deep(name: str) -> None:
    """Raised RecursionError (str/repr of the value) before; now a reject naming the field,
    or an event when the value only picks a label or kind."""
    device, payload, path, want = DEEP_VENDOR_VALUES[name]
    assert isinstance(DECODER.decode_all(topic_of(device), payload), list), "the base payload is valid"
    if name == "gat1400-VehicleType":
        value: Any = [{**GAT["NonMotorVehicleListObject"]["NonMotorVehicleObject"][0], "VehicleType": DEEP}]
    else:
        value = DEEP
    hostile = with_value(payload, path, value)
    for message in (hostile, write_json(hostile)):
        outcome = check(DECODER, topic_of(device), message)
        if want is None:
            assert isinstance(outcome, list)
        else:
            assert isinstance(outcome, RejectError) and (outcome.reason, outcome.field) == want


@pytest.mark.parametrize("field", ["v", "type"])
def test_native_event_with_v_or_type_nested_1000_deep(field: str) -> None:
    """parse_event quoted the value with repr(): RecursionError; now a reject naming the field."""
    body = {"v": 1, "id": "x-1", "ts": 1793575865000, "device": "gate-north", "type": "door.opened", field: DEEP}
    with pytest.raises(RejectError) as info:
        parse_event(body)
    assert info.value.field == field and "array" in info.value.detail


def test_unregistered_device_with_an_object_payload_nested_300_deep() -> None:
    """Decoder.decode digests the payload for the message id: orjson raised TypeError."""
    outcome = check(DECODER, topic_of("not-registered"), nest(1, 300, "list"))
    assert isinstance(outcome, UnknownDevice) and outcome.device == "not-registered"
    assert outcome.message_id.startswith("sha1-")


@pytest.mark.parametrize("shape", ["dict", "list", "mixed"])
def test_native_event_with_a_data_extra_nested_200_deep(shape: str) -> None:
    """Was accepted, and orjson (the store) then raised or corrupted memory writing it."""
    body = {"v": 1, "id": "x-1", "ts": 1793575865000, "device": "gate-north", "type": "door.opened",
            "data": {"vendor": nest(1, 200, shape)}}
    outcome = check(DECODER, topic_of("gate-north"), orjson.dumps(body) if shape == "list" else write_json(body))
    assert isinstance(outcome, RejectError) and (outcome.reason, outcome.field) == ("invalid", "data.vendor")
    body["data"] = {"vendor": nest(1, MAX_NESTING, shape)}
    assert isinstance(check(DECODER, topic_of("gate-north"), body), list), "modest nesting is still kept"


SALT = b"fuzz-salt-0123456789abcdef"


def test_redact_of_a_payload_nested_300_deep() -> None:
    """Pipeline.redact (live.py calls it for every rejected message when a salt is set)."""
    pipeline = Pipeline(REGISTRY, [], pseudonyms=Pseudonymizer(SALT))
    kept = pipeline.redact(b'{"subject":{"id":"r-00042"},"x":' + b"[" * 300 + b"]" * 300 + b"}")
    assert b"r-00042" not in kept


ABORT_PROBE = """
import json
from ingest.pseudonym import Pseudonymizer, Redactor
pseudo = Pseudonymizer(b"fuzz-salt-0123456789abcdef")
redactor = Redactor(pseudo, pseudo.digest)
case = json.load(open("tests/ingest/fixtures/hikvision/face_pass.json", encoding="utf-8"))
for depth in range(90, 101):  # the input hypothesis found: 95 levels in a 1 KB Hikvision payload
    chain = "1"
    for _ in range(depth):
        chain = '{"a":' + chain + "}"
    body = json.dumps(case["payload"]).replace('"cardOrFace"', chain)
    redactor.payload(body.encode())
for depth in range(150, 255, 5):
    raw = b'{"subject":{"id":"r-00042"},"x":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
    try:
        redactor.payload(raw)
    except TypeError:
        pass
print("survived")
"""


def test_redact_of_objects_nested_90_to_250_deep_does_not_abort_the_process() -> None:
    """Run in a child process: an abort (free(): invalid next size) cannot be caught in this one."""
    run = subprocess.run([sys.executable, "-c", ABORT_PROBE], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 0 and "survived" in run.stdout, run.stderr[-500:]


@pytest.mark.parametrize("raw", [b'{"subject":{"id":["r-secret-7"]}}', b'{"Data":{"UserID":{"id":"r-secret-7"}}}',
                                 b'{"AccessControllerEvent":{"employeeNo":["r-secret-7"]}}'],
                         ids=["native-subject-id-array", "dahua-UserID-object", "hikvision-employeeNo-array"])
def test_redact_of_a_subject_id_sent_inside_a_structure(raw: bytes) -> None:
    """Such payloads are rejected (the field is named), so they reach the dead letters."""
    kept = Pipeline(REGISTRY, [], pseudonyms=Pseudonymizer(SALT)).redact(raw)
    assert b"r-secret-7" not in kept
