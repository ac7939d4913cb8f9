"""Early raises: one-event rules publish on arrival; the in-order run adopts, never repeats."""

from __future__ import annotations

import random
from collections import Counter

import orjson

from ingest.event import ALERT_ACK, Event
from ingest.registry import load_registry
from rules.engine import Emitted, Engine
from rules.outputs import AlertTransition, DeviceCommand
from rules.pack import load_rules
from rules.testing import TEST_DEVICES
from tests.rules.test_rule_runtime import traffic

REGISTRY = load_registry(TEST_DEVICES)
T0 = 1_793_845_507_000
EBIKE = {"label": "ebike", "confidence": 0.82, "track": 7}


def engine(early: bool = True) -> Engine:
    return Engine(load_rules(REGISTRY), early_raises=early)


def transitions(out: list[Emitted], rule: str | None = None) -> list[tuple[str, str, int, int]]:
    return [(o.output.alert, o.output.state, (o.output.ts_ms - T0) // 1000, o.output.count) for o in out
            if isinstance(o.output, AlertTransition) and (rule is None or o.output.rule == rule)]


def test_forced_door_is_raised_on_arrival_and_not_again_in_order() -> None:
    e = engine()
    first = e.push(Event("f1", T0, "gate-north", "door.forced"))
    [(alert, state, at, count)] = transitions(first)
    assert (state, at, count) == ("raised", 0, 1)  # before the 5 s reorder window
    rest = e.push(Event("h1", T0 + 30_000, "gate-south", "device.heartbeat"))
    rest += e.push(Event("c1", T0 + 40_000, "gate-north", "door.closed"))
    rest += e.flush()
    assert transitions(rest, "door_forced") == [(alert, "cleared", 40, 1)]
    # the same alert id and times as strict event-time order gives
    strict = engine(early=False)
    out: list[Emitted] = []
    for ev in (Event("f1", T0, "gate-north", "door.forced"), Event("h1", T0 + 30_000, "gate-south",
               "device.heartbeat"), Event("c1", T0 + 40_000, "gate-north", "door.closed")):
        out += strict.push(ev)
    out += strict.flush()
    assert transitions(out, "door_forced") == [(alert, "raised", 0, 1), (alert, "cleared", 40, 1)]


def test_ebike_in_elevator_holds_the_doors_on_arrival_once() -> None:
    e = engine()
    first = e.push(Event("d1", T0, "elevcam-3-1", "object.detected", None, dict(EBIKE)))
    commands = [o.output for o in first if isinstance(o.output, DeviceCommand)]
    assert [(c.device, c.action) for c in commands] == [("elev-3-1", "hold_doors")]
    later = e.push(Event("d2", T0 + 20_000, "elevcam-3-1", "object.detected", None, dict(EBIKE)))
    later += e.flush()
    assert not [o for o in later if isinstance(o.output, DeviceCommand)]
    assert [s for _, s, _, _ in transitions(later, "ebike_in_elevator")] == ["updated"]


def test_an_earlier_event_arriving_after_the_early_raise_joins_that_alert() -> None:
    e = engine()
    out = e.push(Event("f1", T0 + 3000, "gate-north", "door.forced"))
    [(alert, _, _, _)] = transitions(out)
    # opened without a grant 3 s before: in strict order this raises at 0 s
    out += e.push(Event("o1", T0, "gate-north", "door.opened"))
    out += e.push(Event("c1", T0 + 20_000, "gate-north", "door.closed"))
    out += e.flush()
    assert transitions(out, "door_forced") == [(alert, "raised", 3, 1), (alert, "updated", 3, 2),
                                                 (alert, "cleared", 20, 2)]


def test_no_early_raise_while_the_key_has_an_active_alert() -> None:
    e = engine()
    out = e.push(Event("f1", T0, "gate-north", "door.forced"))
    out += e.push(Event("h1", T0 + 10_000, "gate-south", "device.heartbeat"))
    out += e.push(Event("f2", T0 + 12_000, "gate-north", "door.forced"))  # active: an update, in order
    assert [s for _, s, _, _ in transitions(out, "door_forced")] == ["raised"]
    out += e.flush()
    assert [s for _, s, _, _ in transitions(out, "door_forced")] == ["raised", "updated"]


def test_in_order_traffic_gives_the_same_transitions_as_strict_order() -> None:
    events = traffic(seed=11)
    early, strict = engine(), engine(early=False)
    got: list[Emitted] = []
    want: list[Emitted] = []
    for ev in events:
        got += early.push(ev)
        want += strict.push(ev)
    got += early.flush()
    want += strict.flush()
    assert Counter(transitions(got)) == Counter(transitions(want))
    assert len(transitions(want)) > 50


def test_jittered_arrival_raises_each_alert_once_and_nothing_is_orphaned() -> None:
    events = traffic(seed=12)
    rng = random.Random(3)
    jittered = sorted(events, key=lambda ev: ev.ts_ms + rng.randint(0, 4000))
    e = engine()
    out: list[Emitted] = []
    for ev in jittered:
        out += e.push(ev)
    out += e.flush()
    by_alert: dict[str, list[str]] = {}
    for alert, state, _, _ in transitions(out):
        by_alert.setdefault(alert, []).append(state)
    assert by_alert
    for alert, states in by_alert.items():
        assert states[0] == "raised" and states.count("raised") == 1, (alert, states)
    assert all("e" not in v for v in e.state.values() if isinstance(v, dict))  # no early record left


def test_a_snapshot_taken_between_the_early_raise_and_its_turn_continues_exactly() -> None:
    events = traffic(seed=13, n=1200)
    whole = engine()
    want: list[Emitted] = []
    for ev in events:
        want += whole.push(ev)
    first = engine()
    got: list[Emitted] = []
    for ev in events[:700]:
        got += first.push(ev)
    second = engine()
    second.restore(orjson.loads(orjson.dumps(first.snapshot())))
    for ev in events[700:]:
        got += second.push(ev)
    assert [(g.n, g.output) for g in got] == [(w.n, w.output) for w in want]


def test_an_early_raise_the_in_order_run_never_makes_is_cleared() -> None:
    rule = next(r for r in load_rules(REGISTRY) if r.name == "door_forced")
    forced = Event("f1", T0, "gate-north", "door.forced")
    state, out = rule.early(None, forced, "gate-north")
    [raised] = [o for o in out if isinstance(o, AlertTransition)]
    # as after a reload that no longer raises on this event: the in-order run sees its
    # record but no fire of its own
    closed = Event("f1", T0, "gate-north", "door.closed")
    _, later = rule.step(state, closed, "gate-north")
    assert [(o.alert, o.state) for o in later if isinstance(o, AlertTransition)] == [(raised.alert, "cleared")]


def ack(n: int, at_ms: int, rule: str, device: str, alert: str | None = None) -> Event:
    data = {"rule": rule, "device": device, "by": "guard-7", **({"alert": alert} if alert else {})}
    return Event(f"k{n}", at_ms, "desk", ALERT_ACK, None, data)


def test_an_acknowledgement_stops_the_alarm_on_arrival_even_before_the_raise_is_in_order() -> None:
    e = engine()
    out = e.push(Event("f1", T0, "gate-north", "door.forced"))
    [(alert, _, _, _)] = transitions(out)
    # the desk acknowledges a second later: the forced door has not had its turn yet
    acked = e.push(ack(1, T0 + 1000, "door_forced", "gate-north", alert))
    assert transitions(acked) == [(alert, "acknowledged", 1, 1)]
    rest = e.push(Event("h1", T0 + 900_000, "gate-south", "device.heartbeat")) + e.flush()
    # adopted as acknowledged: no second acknowledgement, and no escalation after 5 min
    assert transitions(rest, "door_forced") == []


def test_an_acknowledgement_of_an_active_alert_is_published_at_once_and_once() -> None:
    e = engine()
    out = e.push(Event("o1", T0, "lobby-4-2", "door.opened"))
    out += e.push(Event("h1", T0 + 200_000, "gate-south", "device.heartbeat"))  # held open since 120 s
    [(alert, state, at, _)] = transitions(out, "door_held_open")
    assert (state, at) == ("raised", 120)
    acked = e.push(ack(1, T0 + 201_000, "door_held_open", "lobby-4-2", alert))
    assert transitions(acked) == [(alert, "acknowledged", 201, 1)]
    rest = e.push(Event("h2", T0 + 220_000, "gate-south", "device.heartbeat"))
    assert transitions(rest, "door_held_open") == []


def test_a_rule_cleared_by_acknowledgement_clears_in_event_order() -> None:
    e = engine()
    out = e.push(Event("t1", T0, "gate-north", "door.tailgating"))
    out += e.push(Event("h1", T0 + 10_000, "gate-south", "device.heartbeat"))
    [(alert, _, _, _)] = transitions(out, "door_tailgating")
    acked = e.push(ack(1, T0 + 11_000, "door_tailgating", "gate-north", alert))
    late = e.push(Event("t2", T0 + 10_500, "gate-north", "door.tailgating"))  # stamped before the ack
    assert transitions(acked, "door_tailgating") == [(alert, "acknowledged", 11, 1)]
    rest = late + e.push(Event("h2", T0 + 30_000, "gate-south", "device.heartbeat"))
    # the tailgating stamped before the acknowledgement still joins this alert, then it clears
    assert transitions(rest, "door_tailgating") == [(alert, "updated", 10, 2), (alert, "cleared", 11, 2)]


def test_strict_order_acknowledges_in_its_turn() -> None:
    e = engine(early=False)
    out = e.push(Event("f1", T0, "gate-north", "door.forced"))
    out += e.push(ack(1, T0 + 1000, "door_forced", "gate-north"))
    assert transitions(out) == []
    out += e.push(Event("h1", T0 + 10_000, "gate-south", "device.heartbeat"))
    assert [s for _, s, _, _ in transitions(out, "door_forced")] == ["raised", "acknowledged"]
