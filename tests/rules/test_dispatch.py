"""The engine's per-(type, device) dispatch runs exactly the (processor, key) steps that each
processor's `keys` asks for, in processor order: never too few, never extra."""

from __future__ import annotations

import itertools
import random
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
    """The (processor, key) steps the engine runs for each event, one event at a time,
    whether through `step` or a step that `step_for` specialised."""
    calls: list[tuple[str, str]] = []
    inside: list[bool] = [False]  # a specialised step may fall back on `step`: count it once

    def spied(step: Any, name: str) -> Any:
        def spy(state: Any, event: Event, key: str) -> Any:
            if inside[0]:
                return step(state, event, key)
            calls.append((name, key))
            inside[0] = True
            try:
                return step(state, event, key)
            finally:
                inside[0] = False
        return spy

    for proc in processors:
        proc.step = spied(proc.step, proc.name)  # type: ignore[method-assign]
        step_for = getattr(proc, "step_for", None)
        if step_for is not None:
            def spy_for(event_type: str, device: str, _for: Any = step_for, _name: str = proc.name) -> Any:
                fast = _for(event_type, device)
                return spied(fast, _name) if fast is not None else None
            proc.step_for = spy_for  # type: ignore[attr-defined]
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


def run_engine(processors: list[Any], stream: list[Event]) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Every output of `stream` through a fresh engine (flushed at the end), and its final snapshot."""
    engine = Engine(processors)
    out = []
    for e in stream:
        out += engine.push(e)
    out += engine.flush()
    return [(o.n, o.processor, o.key, o.ts_ms, o.output) for o in out], engine.snapshot()


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


class Generic:
    """A processor as the engine saw them before routing: `keys` and `step` only."""

    def __init__(self, proc: Processor) -> None:
        self.name = proc.name
        self.event_types = proc.event_types
        self.keys = proc.keys
        self.step = proc.step
        self.on_timer = proc.on_timer


@pytest.mark.parametrize("devices", [TEST_DEVICES, ROOT / "devices.yaml"], ids=["testing", "example"])
def test_routed_and_specialised_steps_change_nothing(devices: Path, tmp_path: Path) -> None:
    """Two days of every kind of event, shuffled, with the desk acknowledging and resolving:
    the same outputs, numbers, times and final state as keys() and step() alone give."""
    registry = load_registry(devices)
    for name, text in EXTRA_RULES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    rng = random.Random(11)
    base = events(registry)
    rng.shuffle(base)
    rules = load_rules(registry, tmp_path)
    desk = desk_actions(list(rules), registry)
    stream: list[Event] = []
    for i, e in enumerate(base):
        stream.append(Event(e.id, T0 + i * 15_000 + rng.randint(0, 4000), e.device, e.type, e.subject, e.data))
        if i % 97 == 0:
            d = desk[(i // 97) % len(desk)]
            stream.append(Event(f"{d.id}-{i}", T0 + i * 15_000, d.device, d.type, None, d.data))
    stream.append(Event("last", T0 + len(base) * 15_000 + 40 * 3_600_000, "desk-x", "device.heartbeat"))

    fast, fast_state = run_engine([*load_rules(registry, tmp_path), DeviceActivity()], stream)
    slow, slow_state = run_engine([Generic(p) for p in [*load_rules(registry, tmp_path), DeviceActivity()]], stream)
    assert fast == slow
    assert fast_state == slow_state
    # alerts of the quiet rules were raised, and cleared, along the way
    states = {(o[1], o[4].state) for o in fast if hasattr(o[4], "state")}
    assert {("device_offline", "raised"), ("device_offline", "cleared"), ("care_no_activity", "raised")} <= states


def test_devices_past_the_route_cache_are_still_routed(monkeypatch: pytest.MonkeyPatch) -> None:
    import rules.engine
    monkeypatch.setattr(rules.engine, "MAX_ROUTED_DEVICES", 2)
    registry = load_registry(TEST_DEVICES)
    processors: list[Processor] = [*load_rules(registry), DeviceActivity()]
    stream = [e for e in events(registry) if e.type in ("door.opened", UNKNOWN_DEVICE, "device.heartbeat")]
    want = [expected(processors, e) for e in stream]
    got, engine = recorded(processors, stream)
    assert got == want
    assert all(len(by_device) <= 2 for by_device in engine._routes.values())


def test_timers_moved_without_on_timer_change_nothing() -> None:
    """A quiet rule's timers that only move on (`moved`) give the same outputs, counters and
    snapshot, timers in the same order, as running `on_timer` for each of them."""
    registry = load_registry(ROOT / "devices.yaml")
    beating = [d.id for d in registry.devices][:12]
    rng = random.Random(5)
    stream = []
    for minute in range(6 * 60):
        for n, device in enumerate(beating):
            # device 3 falls silent for an hour (raised, then cleared); device 7 beats erratically
            if n == 3 and 60 <= minute < 120 or n == 7 and rng.random() < 0.6:
                continue
            ts = T0 + minute * 60_000 + rng.randint(0, 59_000)
            stream.append(Event(f"{device}-{minute}", ts, device, "device.heartbeat", None, {"uptime_s": minute}))
    stream.sort(key=lambda e: e.ts_ms)
    moves = [0]

    moving = load_rules(registry)
    for rule in moving:
        if rule.moved is not None:
            def counted(*args: Any, _moved: Any = rule.moved) -> Any:
                later = _moved(*args)
                moves[0] += later is not None
                return later
            rule.moved = counted
    firing = load_rules(registry)
    for rule in firing:
        rule.moved = None  # every timer through on_timer
    fast, fast_state = run_engine([DeviceActivity(), *moving], stream)
    slow, slow_state = run_engine([DeviceActivity(), *firing], stream)
    assert fast == slow
    assert fast_state == slow_state  # including the order of its timers
    assert moves[0] > 100 and fast_state["counters"]["timers_fired"] > moves[0]
    assert {(o[1], o[4].state) for o in fast if hasattr(o[4], "state")} >= {
        ("device_offline", "raised"), ("device_offline", "cleared")}
