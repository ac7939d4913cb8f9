"""`zhian replay --json` with a salt: alert transitions and dead letters carry pseudonyms only,
and the watched resident's alert still fires; without a salt the same scan finds the ids."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from tests.security.scenario import (
    CLEAR,
    DEVICES_YAML,
    HOUR_MS,
    NEVER,
    SALT_ENV,
    SHARED,
    WATCHED,
    found_in,
    pseudonym,
    traffic,
    traffic_lines,
)

T0 = 1_793_500_000_000
ROOT = Path(__file__).resolve().parents[2]


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ZHIAN_SUBJECT_SALT")}


def run_replay(tmp_path: Path, env: dict[str, str]) -> tuple[list[dict[str, object]], bytes, bytes]:
    devices = tmp_path / "devices.yaml"
    devices.write_text(DEVICES_YAML, encoding="utf-8")
    # `received` on the last line makes replay apply the live clock check (clock_ahead)
    messages = traffic(T0, received_ms=T0 + 40 * HOUR_MS)
    lines = traffic_lines(messages).splitlines()
    last = orjson.loads(lines[-1])
    lines[-1] = orjson.dumps({**last, "received": T0 + 40 * HOUR_MS})
    (tmp_path / "traffic.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    dead = tmp_path / "dead.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "zhian.cli", "replay", str(tmp_path / "traffic.jsonl"), "--devices", str(devices),
         "--json", "--dead-letters", str(dead)],
        capture_output=True, env={**_clean_env(), **env}, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    alerts = [orjson.loads(x) for x in done.stdout.splitlines()]
    return alerts, done.stdout, dead.read_bytes()


def test_replay_outputs_carry_pseudonyms_only(tmp_path: Path) -> None:
    alerts, stdout, dead = run_replay(tmp_path, SALT_ENV)
    tokens = [*CLEAR, "r-ahead-clear-12", *NEVER]
    assert found_in(stdout, tokens) == set()
    assert found_in(dead, tokens) == set()
    raised = {(a["rule"], a["subject"]) for a in alerts if a["state"] == "raised"}
    assert ("care_no_activity", pseudonym(WATCHED)) in raised
    assert ("credential_shared", pseudonym(SHARED)) in raised
    letters = [orjson.loads(x) for x in dead.splitlines()]
    assert len(letters) == 8
    assert {x["reason"] for x in letters} == {"unknown_type", "unsupported_version", "unknown_code", "not_json",
                                              "unknown_device", "invalid", "clock_ahead"}
    # kept for diagnosis: the payloads are there, with pseudonyms where the ids were
    assert pseudonym("r-rej-clear-07").encode() in dead and pseudonym("hk-rej-clear-09").encode() in dead
    echo = next(x for x in letters if x["reason"] == "unsupported_version")
    assert pseudonym("r-echo-clear-08") in echo["detail"]


def test_without_a_salt_the_same_scan_finds_the_clear_ids(tmp_path: Path) -> None:
    alerts, stdout, dead = run_replay(tmp_path, {})
    assert {WATCHED, SHARED} <= found_in(stdout, CLEAR)
    rejected = ["r-rej-clear-07", "r-echo-clear-08", "hk-rej-clear-09", "r-trunc-clear-10", "r-ghost-clear-11",
                "r-str-clear-13", "dh-rej-clear-14", "r-ahead-clear-12"]
    assert found_in(dead, rejected) == set(rejected)
    assert ("care_no_activity", WATCHED) in {(a["rule"], a["subject"]) for a in alerts}


def test_replay_refuses_a_short_salt(tmp_path: Path) -> None:
    devices = tmp_path / "devices.yaml"
    devices.write_text(DEVICES_YAML, encoding="utf-8")
    (tmp_path / "t.jsonl").write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "-m", "zhian.cli", "replay", str(tmp_path / "t.jsonl"), "--devices", str(devices), "--json"],
        capture_output=True, env={**_clean_env(), "ZHIAN_SUBJECT_SALT": "too-short"}, cwd=ROOT, timeout=60,
        check=False)
    assert done.returncode == 2
    assert b"the salt is 9 bytes; at least 16 are needed" in done.stderr
