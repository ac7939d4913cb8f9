"""One MQTT message (topic, payload) to one validated event, or a rejection with a reason."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from ingest.adapters import ADAPTERS, Source
from ingest.errors import RejectError
from ingest.event import MAX_NESTING, Event, nested_deeper_than, parse_event, parse_ts_ms
from ingest.registry import Device, Registry

MAX_PAYLOAD_BYTES = 64 * 1024
EVENTS_TOPIC_RE = re.compile(r"zhian/([a-z0-9][a-z0-9-]{0,39})/([a-z0-9][a-z0-9-]{0,39})/events")

# Reason codes, counted by the processor and shown to installers.
REASONS = (
    "bad_line",            # replay: a line that is not {"topic": …, "payload": …}
    "bad_topic",           # not zhian/{community}/{device}/events
    "unknown_community",   # topic names another community
    "unknown_device",      # device id not in devices.yaml
    "too_large",           # payload over 64 KiB
    "not_json",            # not UTF-8 JSON
    "unsupported_version", # v is not 1
    "bad_ts",              # ts missing, unparsable or out of range
    "unknown_type",        # type not in schema v1
    "invalid",             # a field with the wrong type or value
    "device_mismatch",     # payload device differs from the topic's
    "no_adapter",          # the device's vendor format has no adapter yet
    "unknown_code",        # a vendor code the adapter has no mapping for (code in the detail)
    "ignored",             # a vendor message understood and deliberately not an event
    "multiple_events",     # one vendor message made several events; use decode_all
    "clock_ahead",         # live: event time too far ahead of the receiving clock
)

Payload = bytes | str | dict[str, Any] | list[Any] | int | float | None


class UnknownDevice(RejectError):
    """A message from a device id that is not registered; carries its best-guess time."""

    def __init__(self, device: str, ts_ms: int | None, message_id: str) -> None:
        super().__init__("unknown_device", "topic", f"device {device!r} is not in devices.yaml")
        self.device = device
        self.ts_ms = ts_ms
        self.message_id = message_id


class MultipleEvents(RejectError):
    """A vendor message that made several events (a GA/T 1400 list); carries them all."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__("multiple_events", None,
                         f"{len(events)} events in one message: the caller must use Decoder.decode_all")
        self.events = events


def parse_topic(topic: str) -> tuple[str, str]:
    """(community, device) of an events topic; RejectError('bad_topic') otherwise."""
    match = EVENTS_TOPIC_RE.fullmatch(topic) if isinstance(topic, str) and len(topic) <= 128 else None
    if match is None:
        raise RejectError("bad_topic", "topic", "expected zhian/{community}/{device}/events")
    return match.group(1), match.group(2)


def load_payload(payload: Payload) -> Any:
    """The payload as a parsed JSON value; bytes and text are parsed, objects pass through."""
    if isinstance(payload, bytes | bytearray | memoryview | str):
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise RejectError("too_large", None, f"payload of {len(payload)} bytes (limit {MAX_PAYLOAD_BYTES})")
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise RejectError("not_json", None, f"not UTF-8 JSON: {str(exc)[:120]}") from None
    return payload


class Decoder:
    """Decodes messages for one registry; pure apart from the registry it reads."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.community = registry.community.id
        # topics of registered devices, parsed once (hostile topics never enter)
        self._known = {f"zhian/{self.community}/{d.id}/events": d for d in registry.devices}
        self._native = {topic: d.id for topic, d in self._known.items() if d.vendor == "native"}

    @property
    def native_topics(self) -> dict[str, str]:
        """Events topic -> device id of the registered native devices (read-only: for callers
        that run `parse_event` on such a topic's parsed object themselves, as `decode` does)."""
        return self._native

    def decode_common(self, topic: str, payload: Payload) -> Event | None:
        """`decode` of the common case, a valid event of a registered native device, with
        less around it; None for anything else: then `decode` says what becomes of it (so
        a rejected message is parsed twice, an accepted one once)."""
        device = self._native.get(topic) if type(topic) is str else None
        if device is None or type(payload) is not bytes or len(payload) > MAX_PAYLOAD_BYTES:
            return None
        try:
            event = parse_event(orjson.loads(payload))
        except (orjson.JSONDecodeError, RejectError):
            return None
        return event if event.device == device else None

    def decode(self, topic: str, payload: Payload) -> Event:
        """The validated event; raises RejectError (UnknownDevice for unregistered ids)."""
        if type(payload) is dict and type(topic) is str:
            # the common case (replay's parsed lines): a native device's object, validated as is
            native = self._native.get(topic)
            if native is not None:
                event = parse_event(payload)
                if event.device != native:
                    raise RejectError("device_mismatch", "device",
                                      f"payload says {event.device!r}, topic says {native!r}")
                return event
        device = self._known.get(topic) if type(topic) is str else None
        if device is not None:
            device_id = device.id
        else:
            community, device_id = parse_topic(topic)
            if community != self.community:
                raise RejectError("unknown_community", "topic",
                                  f"community {community!r}, expected {self.community!r}")
        obj = load_payload(payload)
        if device is None:
            device = self.registry.get(device_id)
        if device is None:
            raise UnknownDevice(device_id, _best_ts(obj), _message_id(obj, payload))
        if device.vendor != "native":
            events = self._adapt(device, obj)
            if len(events) != 1:
                raise MultipleEvents(events)
            return events[0]
        event = parse_event(obj)
        if event.device != device_id:
            raise RejectError("device_mismatch", "device", f"payload says {event.device!r}, topic says {device_id!r}")
        return event

    def decode_all(self, topic: str, payload: Payload) -> list[Event]:
        """Every event of one message (vendor lists make several); raises like `decode`."""
        try:
            return [self.decode(topic, payload)]
        except MultipleEvents as many:
            return many.events

    def _adapt(self, device: Device, obj: Any) -> list[Event]:
        """The device's vendor adapter; an NVR (Frigate) may speak for its registered cameras."""
        adapter = ADAPTERS.get(device.vendor)
        if adapter is None:
            raise RejectError("no_adapter", None, f"no adapter for vendor {device.vendor!r} yet")
        try:
            events = adapter(obj, Source(device.id, self.registry.community.tz))
        except RejectError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
            # a payload shape the adapter did not foresee: a rejection, never a crash
            raise RejectError("invalid", None, f"{device.vendor} payload not understood: {exc!r}"[:200]) from exc
        if not events:
            raise RejectError("ignored", None, f"{device.vendor} message carries no event")
        for event in events:
            if event.device == device.id:
                continue
            target = self.registry.get(event.device)
            if target is None:
                raise UnknownDevice(event.device, event.ts_ms, event.id)
            if device.vendor != "frigate" or target.vendor != "frigate":
                raise RejectError("device_mismatch", "device",
                                  f"{device.id!r} may not report for {event.device!r} (both must be vendor frigate)")
        return events


def _message_id(obj: Any, payload: Payload) -> str:
    """The message's own id when it has one, else a digest: stable across redeliveries."""
    if isinstance(obj, dict) and isinstance(obj.get("id"), str) and 0 < len(obj["id"]) <= 64:
        return obj["id"]
    if isinstance(payload, bytes | bytearray | memoryview):
        raw = bytes(payload)
    elif isinstance(payload, dict | list) and nested_deeper_than(payload, MAX_NESTING):
        raw = b"nested too deeply"  # orjson cannot write it safely (see MAX_NESTING)
    else:
        try:
            raw = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # integers past 64 bits, lone surrogates: a Python caller's objects
            raw = b"not serialisable"
    # (all such messages of one unknown device share an id: garbage is counted once)
    return "sha1-" + hashlib.sha1(raw, usedforsecurity=False).hexdigest()[:20]


def _best_ts(obj: Any) -> int | None:
    if isinstance(obj, dict):
        try:
            return parse_ts_ms(obj.get("ts"))
        except ValueError:
            return None
    return None
