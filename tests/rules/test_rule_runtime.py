"""The compiled pack on the engine: deterministic ids, jitter-proof, snapshots, acks, reload."""

from __future__ import annotations

import random
from typing import Any

import orjson

from ingest.event import ALERT_ACK, ALERT_RESOLVE, Event, Subject
from ingest.registry import load_registry
from rules.engine import Emitted, Engine
from rules.outputs import AlertTransition
from rules.pack import load_rules
from rules.testing import TEST_DEVICES

REGISTRY = load_registry(TEST_DEVICES)
T0 = 1_793_845_507_000


def traffic(seed: int, n: int = 3000) -> list[Event]:
    """A few hours of mixed traffic that trips most rules now and then."""
    rng = random.Random(seed)
    devices = [d.id for d in REGISTRY.devices]
    out = []
    for i in range(n):
        ts = T0 + i * 4000
        kind = rng.random()
        dev = rng.choice(devices)
        subject = None
        data: dict[str, Any] = {}
        if kind < 0.25:
            etype, subject = "access.granted", Subject(f"r-{rng.randint(1, 30)}", "resident")
            dev = rng.choice(["gate-north", "gate-south", "lobby-4-2", "lock-3-1-1202"])
        elif kind < 0.35:
            etype, data = "access.denied", {"reason": "unknown_face"}
            subject = Subject(f"s-{rng.randint(1, 3)}", "stranger")
            dev = rng.choice(["gate-north", "gate-south"])
        elif kind < 0.5:
            etype = rng.choice(["door.opened", "door.closed"])
            dev = rng.choice(["lobby-4-2", "lobby-3-1", "gate-north"])
        elif kind < 0.6:
            etype = "object.detected"
            dev = rng.choice(["elevcam-3-1", "corrcam-3-1-12", "stairs-4-2-6"])
            data = {"label": rng.choice(["ebike", "person", "bicycle"]), "confidence": rng.random()}
        elif kind < 0.7:
            etype, dev = "socket.power", rng.choice(["socket-3-1-12", "socket-4-2-6"])
            data = {"power_w": rng.choice([0, 5, 60, 120])}
        elif kind < 0.78:
            etype, dev = "charger.telemetry", "charger-shed-1"
            data = {"port": rng.randint(1, 3), "temp_c": rng.uniform(40, 70)}
        elif kind < 0.8:
            etype = rng.choice(["door.forced", "door.tailgating", "camera.tamper", "smoke.alarm"])
            dev = {"camera.tamper": "corrcam-3-1-12", "smoke.alarm": "smoke-3-1-12"}.get(etype, "gate-south")
            data = {"kind": "occluded"} if etype == "camera.tamper" else {}
        else:
            etype = "device.heartbeat"
        out.append(Event(f"{dev}-{i}", ts, dev, etype, subject, data))
    return out


def run(events: list[Event]) -> list[tuple[Any, int]]:
    engine = Engine(load_rules(REGISTRY))
    out: list[Emitted] = []
    for e in events:
        out += engine.push(e)
    out += engine.flush()
    return [(o.output, o.ts_ms) for o in out]


def test_same_alerts_whatever_the_jitter_within_lateness() -> None:
    events = traffic(1)
    rng = random.Random(2)
    jittered = sorted(events, key=lambda e: e.ts_ms + rng.randint(0, 4900))
    plain, shuffled = run(events), run(jittered)
    raised = [o for o, _ in plain if isinstance(o, AlertTransition) and o.state == "raised"]
    assert len({o.rule for o in raised}) >= 8
    assert plain == shuffled


def test_alert_ids_are_derived_from_rule_key_and_time() -> None:
    first = [o.alert for o, _ in run(traffic(3)) if isinstance(o, AlertTransition)]
    again = [o.alert for o, _ in run(traffic(3)) if isinstance(o, AlertTransition)]
    assert first == again and len(first) > 10


def test_snapshot_mid_stream_continues_identically() -> None:
    events = traffic(4)
    whole = Engine(load_rules(REGISTRY))
    expected = []
    for e in events:
        expected += whole.push(e)
    first = Engine(load_rules(REGISTRY))
    got = []
    for e in events[:1700]:
        got += first.push(e)
    snap = orjson.loads(orjson.dumps(first.snapshot()))
    second = Engine(load_rules(REGISTRY))
    second.restore(snap)
    for e in events[1700:]:
        got += second.push(e)
    assert [(g.n, g.output, g.ts_ms) for g in got] == [(x.n, x.output, x.ts_ms) for x in expected]


def test_acknowledgement_in_the_log_stops_escalation_and_replays() -> None:
    forced = Event("f1", T0, "gate-north", "door.forced")
    ack = Event("k1", T0 + 60_000, "desk", ALERT_ACK, None,
                {"rule": "door_forced", "device": "gate-north", "by": "guard-7"})
    later = Event("h1", T0 + 900_000, "gate-south", "device.heartbeat")
    states = [(o.rule, o.state) for o, _ in run([forced, ack, later])
              if isinstance(o, AlertTransition) and o.rule == "door_forced"]
    assert states == [("door_forced", "raised"), ("door_forced", "acknowledged")]
    unacked = [(o.rule, o.state) for o, _ in run([forced, later])
               if isinstance(o, AlertTransition) and o.rule == "door_forced"]
    assert unacked == [("door_forced", "raised"), ("door_forced", "escalated")]


def test_desk_resolve_clears_at_once_and_names_the_alert() -> None:
    forced = Event("f1", T0, "gate-north", "door.forced")
    wrong = Event("r0", T0 + 30_000, "desk", ALERT_RESOLVE, None,
                  {"rule": "door_forced", "device": "gate-north", "alert": "a-not-this-one", "by": "guard-7"})
    resolve = Event("r1", T0 + 60_000, "desk", ALERT_RESOLVE, None,
                    {"rule": "door_forced", "device": "gate-north", "by": "guard-7"})
    again = Event("f2", T0 + 120_000, "gate-north", "door.forced")
    later = Event("h1", T0 + 900_000, "gate-south", "device.heartbeat")
    got = [(o.state, (o.ts_ms - T0) // 1000) for o, _ in run([forced, wrong, resolve, again, later])
           if isinstance(o, AlertTransition) and o.rule == "door_forced"]
    # a resolve naming another alert id changes nothing; the right one clears without an
    # acknowledgement (no escalation later); the next forcing is a new alert
    assert got == [("raised", 0), ("cleared", 60), ("raised", 120), ("escalated", 420)]


def test_every_rule_listens_only_to_its_types() -> None:
    for rule in load_rules(REGISTRY):
        assert rule.event_types is not None, rule.name
