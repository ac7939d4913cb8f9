"""The event-time engine: ordering, watermark, timers, late events, snapshots."""

from __future__ import annotations

import random
from typing import Any

import orjson

from ingest.event import Event
from rules.activity import DeviceActivity
from rules.engine import CancelTimer, Engine, SetTimer

T0 = 1_793_575_865_000


def ev(i: int, ts: int, device: str = "d1", type_: str = "door.opened") -> Event:
    return Event(f"e{i}", T0 + ts, device, type_)


class Recorder:
    """Records the order events are applied in; emits each id."""

    name = "recorder"
    event_types = None

    def keys(self, event: Event) -> list[str]:
        return ["all"]

    def step(self, state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
        return (state or 0) + 1, [event.id]

    def on_timer(self, state: Any, key: str, name: str, deadline_ms: int) -> tuple[Any, list[Any]]:
        return state, []


class OpenTooLong:
    """door.opened not followed by door.closed within 120 s: an absence with a timer."""

    name = "open_too_long"
    event_types = frozenset({"door.opened", "door.closed"})

    def keys(self, event: Event) -> list[str]:
        return [event.device]

    def step(self, state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
        if event.type == "door.opened":
            return {"opened": event.ts_ms}, [SetTimer("close", event.ts_ms + 120_000)]
        return None, [CancelTimer("close")]

    def on_timer(self, state: Any, key: str, name: str, deadline_ms: int) -> tuple[Any, list[Any]]:
        return None, [("held_open", key, deadline_ms)]


def test_releases_in_event_time_order_within_lateness() -> None:
    engine = Engine([Recorder()])
    order: list[str] = []
    # arrival order differs from event time by up to 4 s
    for i, ts in enumerate([0, 3000, 1000, 2000, 8000, 6000, 12_000, 9000, 20_000]):
        order += [e.output for e in engine.push(ev(i, ts))]
    order += [e.output for e in engine.flush()]
    assert order == ["e0", "e2", "e3", "e1", "e5", "e4", "e7", "e6", "e8"]
    assert engine.counters.late == 0


def test_late_event_is_counted_and_still_applied() -> None:
    engine = Engine([Recorder()])
    engine.push(ev(0, 0))
    engine.push(ev(1, 10_000))  # watermark now 5 000
    assert engine.is_late(ev(2, 4_999))
    out = engine.push(ev(2, 4_999))
    assert [e.output for e in out] == ["e2"]
    assert engine.counters.late == 1
    assert not engine.is_late(ev(3, 5_000))


def test_timer_fires_when_watermark_passes_deadline_not_before() -> None:
    engine = Engine([OpenTooLong()])
    engine.push(ev(0, 0, type_="door.opened"))
    assert engine.push(ev(1, 124_999, device="d2", type_="device.heartbeat")) == []
    out = engine.push(ev(2, 125_000, device="d2", type_="device.heartbeat"))
    assert [e.output for e in out] == [("held_open", "d1", T0 + 120_000)]
    assert out[0].ts_ms == T0 + 120_000


def test_event_at_deadline_is_applied_before_the_timer() -> None:
    engine = Engine([OpenTooLong()])
    engine.push(ev(0, 0, type_="door.opened"))
    engine.push(ev(1, 120_000, type_="door.closed"))
    assert engine.push(ev(2, 200_000, device="d2", type_="device.heartbeat")) == []
    assert engine.pending_timers() == []


def test_same_input_same_output_whatever_the_jitter_within_lateness() -> None:
    rng = random.Random(7)
    events = []
    for i in range(2000):
        # opens every 400 s; only every other open is closed 100 s later
        kind = "door.opened" if i % 400 == 0 else "door.closed" if i % 800 == 100 else "device.heartbeat"
        events.append(ev(i, i * 1000, type_=kind))
    shuffled = sorted(events, key=lambda e: e.ts_ms + rng.randint(0, 4000))

    def run(stream: list[Event]) -> list[tuple[Any, int]]:
        engine = Engine([OpenTooLong(), DeviceActivity()])
        out = []
        for e in stream:
            out += engine.push(e)
        out += engine.flush()
        return [(o.output, o.ts_ms) for o in out]

    assert run(events) == run(shuffled)
    assert len(run(events)) == 2  # the opens at 400 s and 1200 s


def test_snapshot_restore_continues_identically() -> None:
    events = [ev(i, i * 7000 + (i % 3) * 1500, device=f"d{i % 4}",
                 type_="door.opened" if i % 7 else "door.closed") for i in range(600)]
    whole = Engine([OpenTooLong(), DeviceActivity()])
    expected = []
    for e in events:
        expected += whole.push(e)
    first = Engine([OpenTooLong(), DeviceActivity()])
    got = []
    for e in events[:311]:
        got += first.push(e)
    snap = orjson.loads(orjson.dumps(first.snapshot()))  # must survive JSON
    second = Engine([OpenTooLong(), DeviceActivity()])
    second.restore(snap)
    for e in events[311:]:
        got += second.push(e)
    assert [(g.n, g.output, g.ts_ms) for g in got] == [(x.n, x.output, x.ts_ms) for x in expected]
    assert second.state == whole.state
    assert second.counters == whole.counters


def test_device_activity_counts_each_event_once() -> None:
    engine = Engine([DeviceActivity()])
    for i in range(50):
        engine.push(ev(i, i * 100, device=f"d{i % 5}"))
    engine.flush()
    assert {k: v[0] for (_, k), v in engine.state.items()} == {f"d{i}": 10 for i in range(5)}


def test_events_far_behind_the_watermark_are_counted_not_applied() -> None:
    engine = Engine([Recorder()], max_applied_lateness_ms=600_000)
    engine.push(ev(0, 3_600_000))  # watermark 3 595 000
    assert [e.output for e in engine.push(ev(1, 3_000_000))] == ["e1"]  # 9.9 min late: applied
    assert engine.push(ev(2, 2_990_000)) == []  # more than 10 min late: not applied
    assert (engine.counters.late, engine.counters.too_late) == (1, 1)
