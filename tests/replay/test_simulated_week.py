"""A simulated week through `zhian replay`: every incident raises exactly one alert of the
right rule, key and event time; nothing else is raised; near misses stay silent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from ingest.event import parse_ts_ms
from ingest.registry import load_registry
from tests.conftest import DEVICES, ROOT
from zhian.simulate.replayfile import write_replay
from zhian.simulate.week import simulate_week

START_MS = 1_793_548_800_000  # 2026-11-02T00:00:00+08:00
OTHER = ROOT / "tests" / "simulate" / "other_compound.yaml"
TOLERANCE_MS = 2_000


def compare(truth: dict, alerts: list[dict]) -> tuple[list[str], list[str]]:  # type: ignore[type-arg]
    """(missed incidents, extra raised alerts)."""
    raised: dict[tuple[object, ...], list[int]] = {}
    for a in alerts:
        if a["state"] == "raised":
            raised.setdefault((a["rule"], a["device"], a["subject"], a["port"]), []).append(parse_ts_ms(a["ts"]))
    missed = []
    for t in truth["alerts"]:
        key = (t["rule"], t["key"]["device"], t["key"]["subject"], t["key"]["port"])
        times = raised.get(key, [])
        hit = next((x for x in times if abs(x - t["ts_ms"]) <= TOLERANCE_MS), None)
        if hit is None:
            missed.append(f"{key} at {t['ts_ms']} (raised at {times})")
        else:
            times.remove(hit)
    extra = [f"{key} at {x}" for key, times in raised.items() for x in times]
    return missed, extra


@pytest.mark.parametrize("devices, seed", [(DEVICES, 3), (DEVICES, 8), (OTHER, 4)])
def test_every_incident_found_and_nothing_else(devices: Path, seed: int, tmp_path: Path) -> None:
    registry = load_registry(devices)
    traffic, truth = simulate_week(registry, START_MS, seed)
    path = tmp_path / "week.jsonl"
    write_replay(traffic, path)
    out = subprocess.run([sys.executable, "-m", "zhian.cli", "replay", str(path), "--devices", str(devices),
                          "--json"], capture_output=True, check=True, timeout=600)
    alerts = [orjson.loads(line) for line in out.stdout.splitlines()]
    rules = {t["rule"] for t in truth["alerts"]}
    assert len(rules) >= 17, f"the week must exercise (nearly) every rule, got {sorted(rules)}"
    assert truth["near_misses"], "the week must hold near misses"
    missed, extra = compare(truth, alerts)
    assert not missed, "missed incidents:\n" + "\n".join(missed)
    assert not extra, "alerts without an incident (near misses must stay silent):\n" + "\n".join(extra)
