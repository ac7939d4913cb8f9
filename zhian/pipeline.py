"""What replay and the live processor share: decode, reject, feed the engine, render outputs."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerts.render import render_output
from ingest.decode import Decoder, MultipleEvents, Payload, UnknownDevice
from ingest.errors import RejectError
from ingest.event import UNKNOWN_DEVICE, Event
from ingest.registry import Registry
from rules.activity import DeviceActivity
from rules.engine import Emitted, Engine, Processor
from rules.pack import load_rules

log = logging.getLogger(__name__)

Message = tuple[str, dict[str, Any]]  # (topic, payload) to publish
Renderer = Callable[[Emitted], list[Message]]


def load_processors(registry: Registry, rules_dir: Path | None) -> list[Processor]:
    """The built-in processors plus the rule pack (default rules and `rules_dir` overrides)."""
    return [DeviceActivity(), *load_rules(registry, rules_dir)]


def make_renderer(registry: Registry) -> Renderer:
    """Turns engine outputs into (topic, payload) messages: alert transitions and commands."""
    def render(emitted: Emitted) -> list[Message]:
        return render_output(emitted, registry)
    return render


@dataclass(slots=True)
class Outcome:
    """What became of one message: events (vendor lists make several), a rejection, or an
    internal event and a rejection (unknown device)."""

    events: list[Event]
    reject: RejectError | None

    @property
    def event(self) -> Event | None:
        """The first event, or None."""
        return self.events[0] if self.events else None


class Pipeline:
    """Decodes messages and runs the engine; the caller decides about storage and dedup."""

    def __init__(self, registry: Registry, processors: list[Processor], renderer: Renderer | None = None) -> None:
        self.registry = registry
        self.decoder = Decoder(registry)
        self.engine = Engine(processors)
        self.render = renderer or make_renderer(registry)
        self.rejects: Counter[str] = Counter()

    def decode(self, topic: str, payload: Payload) -> Outcome:
        """Decode one message. An unknown device yields a rejection *and* an internal
        `zhian.unknown_device` event, so that the rules can raise `unknown_device`."""
        try:
            return Outcome(self.decoder.decode_all(topic, payload), None)
        except RejectError as exc:
            return self.rejected(exc, topic)

    def rejected(self, exc: RejectError, topic: str) -> Outcome:
        """What a decoding failure amounts to, without decoding again: a vendor list's
        events, an unknown device's internal event and rejection, or a counted rejection."""
        if isinstance(exc, MultipleEvents):
            return Outcome(exc.events, None)
        self.rejects[exc.reason] += 1
        if isinstance(exc, UnknownDevice):
            ts = exc.ts_ms if exc.ts_ms is not None else self.engine.max_ts_ms
            if ts <= 0:
                return Outcome([], exc)
            internal = Event(exc.message_id, ts, exc.device, UNKNOWN_DEVICE, None, {"topic": topic})
            return Outcome([internal], exc)
        return Outcome([], exc)

    def push(self, event: Event) -> list[Emitted]:
        """Feed one new (deduplicated) event to the engine."""
        return self.engine.push(event)

    def messages(self, emitted: list[Emitted]) -> list[tuple[Emitted, Message]]:
        """The messages each output publishes."""
        out = []
        for item in emitted:
            for message in self.render(item):
                out.append((item, message))
        return out
