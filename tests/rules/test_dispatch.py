"""The engine's per-(type, device) dispatch runs exactly the (processor, key) steps that each
processor's `keys` asks for, in processor order: never too few, never extra."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from ingest.event import ALERT_ACK, ALERT_RESOLVE, EVENT_TYPES, UNKNOWN_DEVICE, Event, Subject
from ingest.registry import Registry, load_registry
from rules.activity import DeviceActivity
from rules.engine import Engine, Processor
from rules.pack import load_rules
from rules.testing import TEST_DEVICES

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_793_845_507_000

# a subject-keyed rule restricted to watched subjects, and a device rule restricted by device
# attributes and a subject condition: routes that the default pack alone does not take
EXTRA_RULES = {
    "watched_at_gate.yaml": """rule: watched_at_gate
description: A watched resident passes a gate.
severity: info
key: subject
raise:
  event:
    where: {type: access.granted, subject.watchlist: true, device.zone: gate}
clear: {quiet: 60s}
summary: {zh: "{subject}", en: "{subject}"}
""",
    "port_event.yaml": """rule: port_event
description: Any charger port reading of a named subject.
severity: info
key: device+port
raise:
  count:
    where: {type: [charger.telemetry, socket.power], subject.kind: staff}
    at_least: 2
    within: 60s
clear: {on: {type: charger.telemetry, data.temp_c: {lt: 20}}}
summary: {zh: "{port}", en: "{port}"}
""",
}


def events(registry: Registry) -> list[Event]:
    """Every event type from every device (and an unknown one) with a spread of subjects and
    data, plus the desk's acknowledgements and resolutions naming each rule."""
    devices = [d.id for d in registry.devices] + ["not-registered-1"]
    watched = [w.subject for w in registry.watchlist] or ["nobody"]
    subjects = [None, Subject(watched[0], "resident"), Subject("s-9", "staff"), Subject("v-1", "visitor")]
    datas: list[dict[str, Any]] = [{}, {"port": 2, "label": "ebike", "confidence": 0.9, "power_w": 80},
                                   {"port": None, "temp_c": 70}]
    out = []
    types = sorted(EVENT_TYPES) + [UNKNOWN_DEVICE]
    for n, (etype, device, subject, data) in enumerate(itertools.product(types, devices, subjects, datas)):
        out.append(Event(f"e{n}", T0 + n * 10, device, etype, subject, dict(data)))
    return out


def desk_actions(rules: list[Processor], registry: Registry) -> list[Event]:
    """Acknowledgements and resolutions naming each rule, a device, a subject, a port."""
    out = []
    device = registry.devices[0].id
    for n, (proc, etype, echo) in enumerate(itertools.product(
            rules, [ALERT_ACK, ALERT_RESOLVE],
            [{"device": device}, {"subject": "s-9"}, {"device": device, "port": 1}, {}])):
        data = {"rule": proc.name, "by": "guard-7", "device": None, "subject": None, "port": None, **echo}
        out.append(Event(f"ack-{n}", T0, "desk", etype, None, data))
    return out


def recorded(processors: list[Processor], stream: list[Event]) -> tuple[list[list[tuple[str, str]]], Engine]:
    """The (processor, key) steps the engine runs for each event, one event at a time."""
    calls: list[tuple[str, str]] = []
    for proc in processors:
        def spy(state: Any, event: Event, key: str, _step: Any = proc.step, _name: str = proc.name) -> Any:
            calls.append((_name, key))
            return _step(state, event, key)
        proc.step = spy  # type: ignore[method-assign]
    engine = Engine(processors, lateness_ms=0)  # every push is applied at once
    per_event = []
    for i, event in enumerate(stream):
        calls.clear()
        engine.push(Event(event.id, T0 + i, event.device, event.type, event.subject, event.data))
        per_event.append(list(calls))
    return per_event, engine


def expected(processors: list[Processor], event: Event) -> list[tuple[str, str]]:
    """What the engine must run: processors for every type first, then the others, each in
    the order given, on every key `keys` names."""
    ordered = [p for p in processors if p.event_types is None] + [p for p in processors if p.event_types is not None]
    return [(p.name, key) for p in ordered if p.event_types is None or event.type in p.event_types
            for key in p.keys(event)]


@pytest.mark.parametrize("devices", [TEST_DEVICES, ROOT / "devices.yaml"], ids=["testing", "example"])
def test_dispatch_runs_exactly_what_keys_asks_for(devices: Path, tmp_path: Path) -> None:
    registry = load_registry(devices)
    for name, text in EXTRA_RULES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    processors: list[Processor] = [*load_rules(registry, tmp_path), DeviceActivity()]
    stream = events(registry) + desk_actions(processors, registry)
    want = [expected(processors, e) for e in stream]
    got, _ = recorded(processors, stream)
    missing = [(e.type, e.device, w, g) for e, w, g in zip(stream, want, got, strict=True) if w != g]
    assert not missing, missing[:5]
    # the stream does reach every branch: device keys, locations, subjects, ports, the desk
    keys = {k for steps in want for k in steps}
    assert {"~start"} <= {k for _, k in keys}
    assert any(":" in k and not k.startswith("~") for _, k in keys)  # device+port
    assert any(p == "watched_at_gate" for p, _ in keys)
    assert any(p == "ebike_indoor_charging" for p, _ in keys)
    assert sum(len(w) for w in want) > len(stream)


class MultiKey:
    """A processor without `route`: the engine must still ask its `keys` for every event."""

    name = "multi"
    event_types = frozenset({"door.opened"})

    def keys(self, event: Event) -> list[str]:
        return [event.device, "all"] if event.data.get("both") else [event.device]

    def step(self, state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
        return (state or 0) + 1, []

    def on_timer(self, state: Any, key: str, name: str, deadline_ms: int) -> tuple[Any, list[Any]]:
        return state, []


def test_processors_without_route_get_every_key() -> None:
    stream = [Event(f"e{i}", T0, f"d{i % 3}", "door.opened", None, {"both": i % 2 == 0}) for i in range(12)]
    got, engine = recorded([MultiKey(), DeviceActivity()], stream)
    assert got[0] == [("device_activity", "d0"), ("multi", "d0"), ("multi", "all")]
    assert got[1] == [("device_activity", "d1"), ("multi", "d1")]
    assert engine.state[("multi", "all")] == 6
    assert engine.state[("device_activity", "d2")][0] == 4
