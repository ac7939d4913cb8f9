"""`zhian simulate` writes a replay file and its truth; live mode fails cleanly without a broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.event import parse_event
from ingest.registry import Registry
from tests.simulate.conftest import DEVICES, MONDAY
from zhian.cli import main
from zhian.simulate.clock import HOUR, rfc3339_formatter
from zhian.simulate.generator import TrafficGenerator
from zhian.simulate.live import _inject


def test_simulate_writes_a_replay_file_and_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, truth_path = tmp_path / "day.jsonl", tmp_path / "truth.json"
    rc = main(
        [
            "simulate",
            "--devices",
            str(DEVICES),
            "--out",
            str(out),
            "--truth",
            str(truth_path),
            "--days",
            "1",
            "--seed",
            "2",
        ]
    )
    assert rc == 0
    lines = out.read_bytes().splitlines()
    assert len(lines) > 20_000
    for line in lines[:2000] + lines[-2000:]:
        record = json.loads(line)
        assert set(record) == {"topic", "payload"}
        assert record["topic"] == f"zhian/cyl/{parse_event(record['payload']).device}/events"
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    assert truth["start"] == "2026-11-02T00:00:00.000+08:00"
    assert [a["rule"] for a in truth["alerts"]] == ["door_forced"]  # day 0 of the plan
    assert {m["name"] for m in truth["near_misses"]} >= {
        "four_denials",
        "door_opened_8s_after_grant",
    }
    assert "wrote" in capsys.readouterr().err


def test_list_incidents_names_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--devices", str(DEVICES), "--list-incidents"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 18


def test_unreachable_broker_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["simulate", "--devices", str(DEVICES), "--broker", "127.0.0.1:1", "--count", "1"])
    assert rc == 2
    assert "127.0.0.1:1" in capsys.readouterr().err


def test_live_injection_starts_after_what_was_already_generated(registry: Registry) -> None:
    gen = TrafficGenerator(registry, MONDAY + 20 * HOUR, seed=1)
    stream = iter(gen)
    for _ in range(500):
        next(stream)
    frontier = gen.frontier
    fmt = rfc3339_formatter(registry.community.tz)
    for name in ("charger_over_temp", "door_forced", "stranger_loitering"):
        assert _inject(gen, name, frontier, fmt, speed=60.0) == 1
    injected = []
    for ts, _, payload in stream:
        if payload["type"] in ("door.forced", "access.denied") or (
            payload["type"] == "charger.telemetry" and payload["data"]["temp_c"] >= 65
        ):
            injected.append(payload["type"])
        if ts > frontier + 6 * HOUR:
            break
    assert {"door.forced", "access.denied", "charger.telemetry"} <= set(injected)
