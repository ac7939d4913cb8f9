"""Device clocks hours off: a documented, tested policy (README "Event time").

- Slow clock (hours behind): its events are stored and counted `too_late`, not applied to
  the rules, so its door openings do not all look "held open".
- Fast clock (hours ahead): with the time of receipt known (live, or `received` in a
  replay line) the events are rejected `clock_ahead` and dead-lettered.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from ingest.registry import load_registry
from tests.conftest import DEVICES
from zhian.simulate.generator import TrafficGenerator

START_MS = 1_793_584_800_000  # 2026-11-02T10:00:00+08:00
HOUR_MS = 3_600_000

pytestmark = pytest.mark.fault


def normal_hour() -> list[tuple[int, str, dict[str, object]]]:
    gen = TrafficGenerator(load_registry(DEVICES), START_MS, seed=9, duration_ms=HOUR_MS)
    return list(itertools.takewhile(lambda t: t[0] < START_MS + HOUR_MS, gen))


def slow_door_passages(offset_ms: int) -> list[tuple[int, str, dict[str, object]]]:
    """gate-south, its clock `offset_ms` off, lets a resident through every 5 minutes."""
    out = []
    for n, real in enumerate(range(START_MS + 60_000, START_MS + HOUR_MS - 60_000, 300_000)):
        for i, (dt, kind, data) in enumerate([(0, "access.granted", {"direction": "in"}), (2000, "door.opened", {}),
                                              (6000, "door.closed", {})]):
            payload = {"v": 1, "id": f"skew-{n}-{i}", "ts": real + dt + offset_ms, "device": "gate-south",
                       "type": kind, "data": data}
            if kind == "access.granted":
                payload["subject"] = {"id": "r-00099", "kind": "resident", "credential": "face"}
            out.append((real + dt, "zhian/cyl/gate-south/events", payload))
    return out


def replay(tmp: Path, rows: list[tuple[int, str, dict[str, object]]], with_received: bool) -> tuple[list[dict], str]:  # type: ignore[type-arg]
    path = tmp / "traffic.jsonl"
    with path.open("wb") as f:
        for real, topic, payload in sorted(rows, key=lambda r: r[0]):
            line: dict[str, object] = {"topic": topic, "payload": payload}
            if with_received:
                line["received"] = real + 40
            f.write(orjson.dumps(line) + b"\n")
    out = subprocess.run([sys.executable, "-m", "zhian.cli", "replay", str(path), "--devices", str(DEVICES),
                          "--json"], capture_output=True, check=True, timeout=120)
    return [orjson.loads(x) for x in out.stdout.splitlines()], out.stderr.decode().splitlines()[-1]


def test_slow_clock_is_stored_not_applied(tmp_path: Path) -> None:
    slow = slow_door_passages(-3 * HOUR_MS)
    alerts, summary = replay(tmp_path, normal_hour() + slow, with_received=False)
    assert not [a for a in alerts if a["device"] == "gate-south"], alerts
    assert f"{len(slow)} too late to apply" in summary, summary


def test_slow_clock_would_raise_false_alarms_without_the_limit(tmp_path: Path) -> None:
    """The reason for the policy: the same traffic, applied anyway, looks like doors held open."""
    from rules.engine import Engine
    from zhian.pipeline import load_processors

    registry = load_registry(DEVICES)
    engine = Engine(load_processors(registry, None), max_applied_lateness_ms=10 * HOUR_MS)
    from ingest.event import parse_event
    raised = []
    for _, _, payload in sorted(normal_hour() + slow_door_passages(-3 * HOUR_MS), key=lambda r: r[0]):
        for item in engine.push(parse_event(payload)):
            if getattr(item.output, "state", None) == "raised" and item.key == "gate-south":
                raised.append(item.output.rule)
    assert "door_held_open" in raised


def test_fast_clock_is_rejected_when_receipt_time_is_known(tmp_path: Path) -> None:
    fast = [(real, topic, payload) for real, topic, payload in slow_door_passages(3 * HOUR_MS)]
    alerts, summary = replay(tmp_path, normal_hour() + fast, with_received=True)
    assert f"clock_ahead={len(fast)}" in summary, summary
    assert "0 too late to apply" in summary, "the rest of the compound is unaffected"
    assert not [a for a in alerts if a["device"] == "gate-south"]
