"""The event path's shortcuts change nothing: Engine.push_many against pushes one by one, the
replay's batches against the order of its callbacks, each type's written-out data check
against _check_data, and the replay's inline decode against Decoder.decode's rejects."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.event import _SPECS, DATA_SPECS, Event, Subject, _check_data
from ingest.registry import load_registry
from rules.activity import DeviceActivity
from rules.engine import Emitted, Engine
from rules.pack import load_rules
from tests.conftest import DEVICES
from zhian.pipeline import Message, Pipeline, load_processors
from zhian.replay import replay

T0 = 1_793_575_865_000  # 2026-11-02T07:31:05+08:00
REGISTRY = load_registry(DEVICES)


def stream(seed: int) -> list[Event]:
    """Door, access and heartbeat traffic of a few devices with arrival jitter under the
    allowed lateness, a few late events (applied) and some hours late (not applied)."""
    rng = random.Random(seed)
    doors = ["gate-north", "lobby-3-1", "lobby-4-2"]
    out = []
    for i in range(3000):
        device = rng.choice(doors)
        kind = rng.choice(["door.opened", "door.closed", "door.closed", "access.granted", "device.heartbeat",
                           "door.forced" if i % 50 == 0 else "device.heartbeat"])
        ts = T0 + i * 7_000 + rng.randint(0, 4_900)
        if i % 211 == 0:
            ts -= 60_000  # late: applied at once
        if i % 389 == 0:
            ts -= 3 * 3_600_000  # too late: not applied
        subject = Subject(f"r-{rng.randint(0, 5)}", "resident", "face") if kind == "access.granted" else None
        out.append(Event(f"{device}-{i}", ts, device, kind, subject, {"direction": "in"} if subject else {}))
    return out


def outputs(emitted: list[Emitted]) -> list[tuple[Any, ...]]:
    return [(e.n, e.processor, e.key, e.ts_ms, e.output) for e in emitted]


def test_push_many_in_any_batches_equals_pushes_one_by_one() -> None:
    """Outputs, numbers, counters and the final snapshot do not depend on how the events are
    cut into batches (the batch keeps the watermark, the latest time and the arrival count
    in locals), with and without early raises, with watermark moves in between."""
    events = stream(3)
    for early in (False, True):
        one = Engine([DeviceActivity(), *load_rules(REGISTRY)], early_raises=early)
        want: list[Emitted] = []
        for event in events:
            want += one.push(event)
        want += one.advance(T0 + 4 * 3_600_000)
        for sizes in ([len(events)], [1, 2, 255, 256, 7], [13]):
            engine = Engine([DeviceActivity(), *load_rules(REGISTRY)], early_raises=early)
            got: list[Emitted] = []
            start, k = 0, 0
            while start < len(events):
                size = sizes[k % len(sizes)]
                got += engine.push_many(events[start:start + size])
                assert engine.max_ts_ms == max(e.ts_ms for e in events[:start + size])
                start, k = start + size, k + 1
            got += engine.advance(T0 + 4 * 3_600_000)
            assert outputs(got) == outputs(want)
            assert engine.counters == one.counters
            assert engine.snapshot() == one.snapshot()
        assert one.counters.late and one.counters.too_late and len(want) > 20


def _line(topic: str, payload: Any) -> bytes:
    return orjson.dumps({"topic": topic, "payload": payload})


def _run(lines: list[bytes]) -> list[tuple[Any, ...]]:
    """The replay's callbacks in the order it made them."""
    pipeline = Pipeline(REGISTRY, load_processors(REGISTRY, None, pseudonyms=None), pseudonyms=None)
    calls: list[tuple[Any, ...]] = []

    def out(item: Emitted, message: Message) -> None:
        calls.append(("out", message[1].get("rule"), message[1].get("state"), message[1].get("ts")))

    def rejected(number: int, topic: str, line: bytes, exc: Exception) -> None:
        calls.append(("reject", number, getattr(exc, "reason", None)))

    replay(lines, pipeline, out, rejected)
    return calls


def test_replay_callbacks_keep_the_order_of_the_lines() -> None:
    """An alert released by an earlier line is published before a later line's reject, even
    while the events behind it wait in the replay's batch."""
    forced = {"v": 1, "id": "f-1", "ts": T0, "device": "lobby-3-1", "type": "door.forced"}
    beat = {"v": 1, "id": "h-1", "ts": T0 + 10_000, "device": "gate-north", "type": "device.heartbeat"}
    calls = _run([_line("zhian/cyl/lobby-3-1/events", forced), _line("zhian/cyl/gate-north/events", beat),
                  b"not json"])
    assert calls[0][:3] == ("out", "door_forced", "raised")
    assert calls[1] == ("reject", 3, "bad_line")


def test_unknown_device_without_time_takes_the_engine_time_of_the_lines_before() -> None:
    """A message of an unregistered device without a usable `ts` is stamped with the latest
    event time of the lines before it, events still waiting in the batch included."""
    lines = [_line("zhian/cyl/gate-north/events",
                   {"v": 1, "id": f"h-{i}", "ts": T0 + i * 1000, "device": "gate-north", "type": "device.heartbeat"})
             for i in range(100)]
    lines.append(_line("zhian/cyl/ghost-7/events", {"v": 1, "id": "g-1", "device": "ghost-7", "type": "door.opened"}))
    calls = _run(lines)
    raised = [c for c in calls if c[0] == "out" and c[1] == "unknown_device"]
    assert ("reject", 101, "unknown_device") in calls
    assert raised and raised[0][3] == "2026-11-02T07:32:44.000+08:00"  # T0 + 99 s, the last heartbeat


def test_replay_still_rejects_a_native_payload_naming_another_device() -> None:
    pipeline = Pipeline(REGISTRY, [DeviceActivity()], pseudonyms=None)
    got: list[Any] = []
    payload = {"v": 1, "id": "x-1", "ts": T0, "device": "lobby-3-1", "type": "door.opened"}
    stats = replay([_line("zhian/cyl/gate-north/events", payload)], pipeline, lambda *_: None,
                   lambda n, topic, line, exc: got.append((exc.reason, exc.field, exc.detail)))
    assert got == [("device_mismatch", "device", "payload says 'lobby-3-1', topic says 'gate-north'")]
    assert stats.events == 0


values = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(), st.text(max_size=45),
    st.sampled_from([0, 1, 1.0, -60, 400.5, 2**62, "in", "out", "expired", "smoke", "moved", "ebike", "",
                     [1, 2, 3, 4], [1, "x", 3, 4], ["a"] * 3, {"a": 1}]),
)


@settings(max_examples=2000, deadline=None)
@given(etype=st.sampled_from(sorted(DATA_SPECS)), picks=st.dictionaries(st.integers(0, 7), values, max_size=8),
       extras=st.integers(0, 2))
def test_written_out_data_checks_agree_with_check_data(etype: str, picks: dict[int, Any], extras: int) -> None:
    """A type's fast check either leaves the data to _check_data (None) or gives the vendor
    extras _check_data counts, for data _check_data accepts as it is."""
    _, fields, fast = _SPECS[etype]
    names = [f[0] for f in fields] or ["only_extra"]
    data = {names[i % len(names)]: v for i, v in picks.items()}
    data.update({f"vendor_{n}": n for n in range(extras)})
    counted = fast(data)
    if counted is None:
        return
    checked, want = _check_data(data, fields)
    assert checked is data
    assert counted == want


def test_written_out_data_checks_take_valid_data_themselves() -> None:
    """Valid data of every type is counted by the fast check (not left to _check_data)."""
    valid = {"access.granted": {"direction": "in"}, "access.denied": {"reason": "expired"},
             "object.detected": {"label": "ebike", "confidence": 0.9, "track": "t1", "bbox": [1, 2, 3, 4],
                                 "zone": "z"},
             "charger.telemetry": {"port": 3, "power_w": 1.5, "current_a": 0, "voltage_v": 220, "temp_c": 30,
                                   "state": "on"},
             "charger.alarm": {"kind": "smoke", "port": 1}, "socket.power": {"power_w": 12},
             "camera.tamper": {"kind": "moved"},
             "throwing.detected": {"floor": 12, "column": 3, "confidence": 0.8, "frame": 5, "start_frame": 1,
                                   "evidence": ["a"]},
             "device.heartbeat": {"uptime_s": 5}}
    for etype in DATA_SPECS:
        data = {**valid.get(etype, {}), "vendor": 1}
        assert _SPECS[etype][2](data) == 1, etype
    assert _SPECS["object.detected"][2]({"label": "ebike", "confidence": 0.9, "track": 7}) is None  # normalised


def test_simulated_day_replays_as_pushed_one_by_one(tmp_path: Path) -> None:
    """A day of the example compound: the replay's outputs equal those of the engine fed one
    event at a time (the replay's own dedup and order)."""
    from zhian.simulate.replayfile import write_replay
    from zhian.simulate.week import simulate_week

    # December: the hours of November 1-3 stay out of the RFC 3339 hour cache, which a test of
    # tests/ingest/test_event.py expects to fill itself
    traffic, _ = simulate_week(REGISTRY, 1_796_054_400_000, 1, 1)
    path = tmp_path / "day.jsonl"
    write_replay(traffic, path)
    lines = path.read_bytes().splitlines()
    pipeline = Pipeline(REGISTRY, load_processors(REGISTRY, None, pseudonyms=None), pseudonyms=None)
    got: list[Any] = []
    replay(lines, pipeline, lambda item, message: got.append((item.n, message)))

    ref = Pipeline(REGISTRY, load_processors(REGISTRY, None, pseudonyms=None), pseudonyms=None)
    seen: set[tuple[str, str]] = set()
    want_emitted: list[Emitted] = []
    for line in lines:
        obj = orjson.loads(line)
        for event in ref.decode(obj["topic"], obj["payload"]).events:  # unknown devices: on its engine's time
            if (event.device, event.id) not in seen:
                seen.add((event.device, event.id))
                want_emitted += ref.engine.push(event)
    want_emitted += ref.engine.flush()
    want = [(e.n, m) for e in want_emitted for m in ref.render(e)]
    assert got == want
    assert len(want) > 0
