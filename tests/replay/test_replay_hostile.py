"""`zhian replay` on hostile traffic: exit 0, rejects by reason, identical output every run."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import orjson

from tests.conftest import DEVICES

T0 = 1_793_575_865_000  # 2026-11-02T07:31:05+08:00


def ev(device: str, n: int, ts: int, type_: str, **extra: object) -> dict[str, object]:
    return {"v": 1, "id": f"{device}-{n}", "ts": ts, "device": device, "type": type_, **extra}


def hostile_traffic(path: Path) -> dict[str, int]:
    """Normal traffic with every kind of bad line mixed in; returns the expected reject counts."""
    rng = random.Random(11)
    good: list[dict[str, object]] = []
    for i in range(3000):
        ts = T0 + i * 1000
        good.append(ev("gate-north", i, ts, "access.granted",
                       subject={"id": f"r-{i % 40:05d}", "kind": "resident", "credential": "face"},
                       data={"direction": "in" if i % 2 else "out"}))
        if i % 7 == 0:
            good.append(ev("lobby-3-1", i, ts + 400, "door.opened"))
    good.append(ev("lobby-4-2", 1, T0 + 2_000_000, "door.forced"))
    # arrival jitter of up to 5 s against event time
    arrival = sorted(good, key=lambda e: int(e["ts"]) + rng.randint(0, 4900))  # type: ignore[call-overload]
    lines = [orjson.dumps({"topic": f"zhian/cyl/{e['device']}/events", "payload": e}) for e in arrival]
    for n in range(0, len(lines), 97):  # QoS-1 redeliveries, some as raw strings
        dup = orjson.loads(lines[n])
        if n % 2:
            dup["payload"] = orjson.dumps(dup["payload"]).decode()
        lines.insert(n + 3, orjson.dumps(dup))
    duplicates = len(range(0, len(good), 97))
    bad = {
        "bad_line": [b"this is not json", b'{"topic": 5}', b"[1,2]", b'{"payload": {}}'],
        "invalid": [orjson.dumps({"topic": "zhian/cyl/gate-north/events",
                                  "payload": ev("gate-north", 9001, T0, "access.granted", data={"direction": 5})}),
                    orjson.dumps({"topic": "zhian/cyl/gate-north/events",
                                  "payload": ev("gate-north", 9002, T0, "door.opened",
                                                subject={"id": "x" * 3000})})],
        "unsupported_version": [orjson.dumps({"topic": "zhian/cyl/gate-north/events",
                                              "payload": {**ev("gate-north", 9003, T0, "door.opened"), "v": "1"}})],
        "device_mismatch": [orjson.dumps({"topic": "zhian/cyl/gate-north/events",
                                          "payload": ev("gate-south", 9004, T0, "door.opened")})],
        "bad_ts": [orjson.dumps({"topic": "zhian/cyl/gate-north/events", "payload": {
            **ev("gate-north", 9005, T0, "door.opened"), "ts": "2026-13-45T99:00:00Z"}})],
        "bad_topic": [orjson.dumps({"topic": "zhian/cyl/../../$SYS/#",
                                    "payload": ev("gate-north", 9006, T0, "door.opened")}),
                      orjson.dumps({"topic": "zhian/cyl/gate-north/events\u0000", "payload": {}})],
        "not_json": [orjson.dumps({"topic": "zhian/cyl/gate-north/events", "payload": "{not json"})],
        "unknown_type": [orjson.dumps({"topic": "zhian/cyl/gate-north/events",
                                       "payload": ev("gate-north", 9007, T0, "door.exploded")})],
        "unknown_device": [orjson.dumps({"topic": "zhian/cyl/ghost-1/events",
                                         "payload": ev("ghost-1", 1, T0, "door.opened")})],
    }
    for reason, reason_lines in bad.items():
        for b in reason_lines:
            # the unknown device's message still feeds the rules, so it comes in time order
            lines.insert(0 if reason == "unknown_device" else rng.randrange(len(lines)), b)
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected = {reason: len(v) for reason, v in bad.items()}
    expected["duplicates"] = duplicates
    return expected


def run_replay(traffic: Path, tmp: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "zhian.cli", "replay", str(traffic), "--devices", str(DEVICES), "--json",
         "--dead-letters", str(tmp / "dead.jsonl")],
        capture_output=True, timeout=120)


def test_hostile_replay_is_robust_and_deterministic(tmp_path: Path) -> None:
    traffic = tmp_path / "traffic.jsonl"
    expected = hostile_traffic(traffic)
    first = run_replay(traffic, tmp_path)
    second = run_replay(traffic, tmp_path)
    assert first.returncode == 0, first.stderr.decode()
    assert second.returncode == 0
    assert first.stdout == second.stdout, "replay output must be identical on every run"
    summary = first.stderr.decode().strip().splitlines()[-1]
    for reason, count in expected.items():
        if reason == "duplicates":
            assert f"{count} duplicates" in summary, summary
        else:
            assert f"{reason}={count}" in summary, summary
    assert " 0 late" in summary, "jitter within 5 s is reordered, not late"
    dead = [orjson.loads(line) for line in (tmp_path / "dead.jsonl").read_bytes().splitlines()]
    assert len(dead) == sum(v for k, v in expected.items() if k != "duplicates")
    assert all(d["reason"] and d["detail"] for d in dead)
    subject_reject = next(d for d in dead if d["field"] == "subject.id")
    assert "longer than" in subject_reject["detail"]
    for line in first.stdout.splitlines():
        alert = orjson.loads(line)
        assert re.fullmatch(r"raised|updated|acknowledged|cleared|escalated", alert["state"])
