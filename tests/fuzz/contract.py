"""What ingest promises for any input, checked the same way by hypothesis and by atheris.

A message either becomes valid schema v1 events or is rejected with a reason from
`REASONS` and a field (or, for payload-level problems, a detail) naming what is wrong.
Nothing else may escape: any other exception is a crash. This module imports no test
framework, so the atheris harness can use it in its own process.
"""

from __future__ import annotations

from typing import Any

import orjson

from ingest.decode import REASONS, Decoder, Payload
from ingest.errors import RejectError
from ingest.event import EVENT_TYPES, MAX_ID_LEN, MAX_TS_MS, MIN_TS_MS, Event, parse_event
from ingest.registry import Registry, parse_registry

# Every vendor, a native door and camera, and Frigate cameras an NVR may speak for.
FUZZ_REGISTRY = """
version: 1
community: {id: cyl, name: 昌运里, timezone: Asia/Shanghai}
devices:
  - {id: gate-north, type: door, zone: gate}
  - {id: native-cam, type: camera, zone: corridor}
  - {id: hik-gate, type: door, zone: gate, vendor: hikvision}
  - {id: hik-cam, type: camera, zone: lobby, vendor: hikvision}
  - {id: dh-lobby, type: door, zone: lobby, vendor: dahua}
  - {id: frigate-nvr, type: camera, zone: other, vendor: frigate}
  - {id: elevcam-3-1, type: camera, zone: elevator, vendor: frigate}
  - {id: corrcam-3-1-12, type: camera, zone: corridor, vendor: frigate}
  - {id: gat-gate, type: camera, zone: gate, vendor: gat1400}
  - {id: gat-elev, type: camera, zone: elevator, vendor: gat1400}
"""
COMMUNITY = "cyl"

# Rejections about the message as a whole, where no single field is to blame.
WHOLE_MESSAGE = frozenset({"too_large", "not_json", "no_adapter", "ignored", "unknown_code"})
# The decoder's last resort for an adapter exception it did not foresee: it names no field,
# so a fuzz input that reaches it is an adapter bug even though nothing crashed.
LAST_RESORT = "payload not understood"


class Tally:
    """How many hostile inputs went through `check`, and how they ended (per reason)."""

    def __init__(self) -> None:
        self.inputs = 0
        self.events = 0
        self.reasons: dict[str, int] = {}

    def add(self, reason: str | None) -> None:
        """Count one input, rejected with `reason` or (None) decoded."""
        self.inputs += 1
        if reason is None:
            self.events += 1
        else:
            self.reasons[reason] = self.reasons.get(reason, 0) + 1


TALLY = Tally()


def fuzz_registry() -> Registry:
    """The registry every fuzz target decodes against."""
    return parse_registry(FUZZ_REGISTRY)


def topic_of(device: str, community: str = COMMUNITY) -> str:
    """The events topic of a device."""
    return f"zhian/{community}/{device}/events"


def check_reject(exc: RejectError) -> None:
    """A rejection is well-formed: a known reason, and a field or detail naming the problem."""
    assert exc.reason in REASONS, f"unknown reason {exc.reason!r}"
    assert exc.reason != "multiple_events", "decode_all returns a vendor list, never raises it"
    assert isinstance(exc.detail, str) and exc.detail.strip(), f"{exc.reason} without a detail"
    assert LAST_RESORT not in exc.detail, f"an adapter raised instead of naming the field: {exc.detail}"
    if exc.field is None:
        assert exc.reason in WHOLE_MESSAGE or "JSON object" in exc.detail, \
            f"{exc.reason} names no field: {exc.detail}"
    else:
        # (an unknown key may be the empty string: then the field is named "", as sent)
        assert isinstance(exc.field, str) and len(exc.field) <= 128, f"bad field {exc.field!r}"


def check_event(event: Event, registry: Registry, topic_device: str | None) -> None:
    """An accepted event is schema v1, from a registered device, and serialises cleanly."""
    assert isinstance(event, Event)
    assert event.type in EVENT_TYPES
    assert type(event.id) is str and 0 < len(event.id) <= MAX_ID_LEN
    assert type(event.ts_ms) is int and MIN_TS_MS <= event.ts_ms < MAX_TS_MS
    device = registry.get(event.device)
    assert device is not None, f"event for unregistered device {event.device!r}"
    if topic_device is not None and event.device != topic_device:
        # only a Frigate NVR speaks for other devices, and only for Frigate cameras
        source = registry.get(topic_device)
        assert source is not None and source.vendor == "frigate" and device.vendor == "frigate"
    # the store and the sinks write events with orjson: an accepted event must survive it
    text = orjson.dumps(event.to_dict())
    again = parse_event(orjson.loads(text))
    assert (again.id, again.ts_ms, again.device, again.type) == (event.id, event.ts_ms, event.device, event.type)


def _topic_device(topic: Any) -> str | None:
    if isinstance(topic, str) and topic.count("/") == 3:
        return topic.split("/")[2]
    return None


def check(decoder: Decoder, topic: Any, payload: Payload) -> list[Event] | RejectError:
    """Decode one hostile message and check the contract; returns the events or the rejection."""
    try:
        events = decoder.decode_all(topic, payload)
    except RejectError as exc:
        check_reject(exc)
        TALLY.add(exc.reason)
        return exc
    assert events, "decode_all returned no events and no rejection"
    for event in events:
        check_event(event, decoder.registry, _topic_device(topic))
    TALLY.add(None)
    return events
