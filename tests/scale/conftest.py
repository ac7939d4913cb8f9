"""A real single-node Kafka (KRaft, from Maven Central) per test, and the traffic
the scale-out tests share: a simulated day of a compound with every incident of the week's
plan, plus QoS-1 redeliveries and a few broken lines."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.registry import load_registry
from tests.conftest import ROOT
from zhian.kafka_local import KafkaBroker, KafkaError
from zhian.process import stop_process
from zhian.simulate.replayfile import write_replay
from zhian.simulate.week import PLAN, simulate_week

START_MS = 1_793_548_800_000  # 2026-11-02T00:00:00+08:00
OTHER = ROOT / "tests" / "simulate" / "other_compound.yaml"




@pytest.fixture
def kafka() -> Iterator[KafkaBroker]:
    """A fresh broker on 127.0.0.1 (topics, groups and Tables start empty; ~8 s); fails,
    never skips, when it cannot be installed or started."""
    try:
        broker = KafkaBroker().start()
    except KafkaError as exc:
        pytest.fail(f"Kafka could not be installed or started: {exc}")
    try:
        yield broker
    finally:
        broker.stop()


def day_plan() -> tuple[tuple[int, str, str, dict[str, Any]], ...]:
    """Every incident and near miss of the week's plan, 45 minutes apart on one day."""
    return tuple((0, f"{(30 + i * 45) // 60:02d}:{(30 + i * 45) % 60:02d}", name, options)
                 for i, (_, _, name, options) in enumerate(PLAN))


def simulated_day(devices: Path, seed: int, path: Path) -> int:
    """Write a simulated day with redeliveries and broken lines to `path`; returns lines."""
    registry = load_registry(devices)
    traffic, _ = simulate_week(registry, START_MS, seed, days=1, plan=day_plan())
    plain = path.with_suffix(".plain")
    write_replay(traffic, plain)
    lines = plain.read_bytes().splitlines()
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        if i % 97 == 5 and i + 3 < len(lines):
            out.append(lines[i - 3])  # a redelivery, a few messages late
        if i % 5003 == 7:
            out.append(b'{"topic": "zhian/x/y/events", "payload": ')  # a broken line
    path.write_bytes(b"\n".join(out) + b"\n")
    return len(out)


def replay_alerts(traffic: Path, devices: Path) -> list[dict[str, Any]]:
    """What `zhian replay --json` prints for the file."""
    done = subprocess.run([sys.executable, "-m", "zhian.cli", "replay", str(traffic), "--devices", str(devices),
                           "--json"], capture_output=True, check=True, timeout=300)
    return [orjson.loads(line) for line in done.stdout.splitlines()]


class Worker:
    """A `zhian scale worker` subprocess with its status file."""

    def __init__(self, bootstrap: str, devices: list[Path], work: Path, name: str, *extra: str) -> None:
        self.status_path = work / f"{name}.status.json"
        self.log_path = work / f"{name}.log"
        args = [sys.executable, "-m", "zhian.commands.scale", "worker", "--bootstrap", bootstrap,
                "--partitions", "2", "--status-file", str(self.status_path), "--data-dir", str(work / name),
                "--checkpoint-every", "3000", *extra]
        for d in devices:
            args += ["--devices", str(d)]
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)

    def status(self) -> dict[str, Any]:
        """The last status the worker wrote ({} before the first)."""
        try:
            return orjson.loads(self.status_path.read_bytes())  # type: ignore[no-any-return]
        except (FileNotFoundError, orjson.JSONDecodeError):
            return {}

    def wait_for(self, predicate: Any, what: str, timeout_s: float = 90.0) -> dict[str, Any]:
        """Poll the status until `predicate(status)` holds."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited ({self.proc.returncode}) waiting for {what}:\n{self.tail()}")
            status = self.status()
            if status and predicate(status):
                return status
            time.sleep(0.05)
        raise AssertionError(f"worker: no {what} after {timeout_s:.0f} s; status {self.status()}\n{self.tail()}")

    def tail(self) -> str:
        """End of the worker's log."""
        return self.log_path.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last commit, no flush."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        stop_process(self.proc)
        self.log.close()


@pytest.fixture
def workers(kafka: KafkaBroker, tmp_path: Path) -> Iterator[list[Worker]]:
    """Workers started by a test; all stopped at its end."""
    started: list[Worker] = []
    yield started
    for w in started:
        w.stop()

