"""Faust throughput on a real Kafka, next to the in-process replay of the same traffic.

    python bench/faust_bench.py [--days 1] [--no-profile]

Two communities (the example compound and tests/simulate/other_compound.yaml), each a
simulated day by default, on two input partitions (one community each). Prints, for the
same traffic in the same run:
- in-process: `zhian.replay.replay` of each community's file, one after the other (one core);
- Faust, one worker: both partitions in one process;
- Faust, two workers: one partition each (the machine's cores are shared with Kafka);
- where one worker's time goes: its own accounting (pure pipeline, write-ahead Table
  writes, output sends, checkpoints; the rest is Faust, aiokafka and asyncio), then a
  cProfile of a third run grouped by package.
Each Faust run gets a fresh broker with the traffic loaded before the workers start (a
backlog: what a worker can sustain, not what a trickle of live traffic costs), and the
rate is records over the time from the first to the last record processed (start-up
excluded).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.registry import load_registry  # noqa: E402
from zhian.kafka_local import KafkaBroker  # noqa: E402
from zhian.pipeline import Pipeline, load_processors  # noqa: E402
from zhian.process import stop_process  # noqa: E402
from zhian.replay import replay  # noqa: E402
from zhian.scale.consume import read_outputs  # noqa: E402
from zhian.scale.loader import ensure_topics, load_file  # noqa: E402
from zhian.simulate.replayfile import write_replay  # noqa: E402
from zhian.simulate.week import simulate_week  # noqa: E402

START_MS = 1_793_548_800_000  # 2026-11-02T00:00:00+08:00
COMPOUNDS = {"cyl": (ROOT / "devices.yaml", 3), "hy-garden": (ROOT / "tests/simulate/other_compound.yaml", 4)}


def machine() -> str:
    """CPU model, cores and Python, for the record."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def make_traffic(work: Path, days: int) -> dict[str, Path]:
    """A simulated span of each compound, one file per community."""
    files = {}
    for community, (devices, seed) in COMPOUNDS.items():
        traffic, _ = simulate_week(load_registry(devices), START_MS, seed, days)
        files[community] = work / f"{community}.jsonl"
        write_replay(traffic, files[community])
    return files


def in_process(files: dict[str, Path]) -> tuple[int, float]:
    """(events, seconds) of replaying every file in this process."""
    total, seconds = 0, 0.0
    for community, path in files.items():
        registry = load_registry(COMPOUNDS[community][0])
        pipeline = Pipeline(registry, load_processors(registry, None))
        with path.open("rb") as stream:
            stats = replay(stream, pipeline, lambda item, message: None)
        total += stats.lines
        seconds += stats.seconds
    return total, seconds


class Worker:
    """A worker subprocess, optionally under cProfile."""

    def __init__(self, bootstrap: str, work: Path, name: str, app_id: str, profile: Path | None) -> None:
        self.status_path = work / f"{name}.status.json"
        cmd = [sys.executable]
        if profile is not None:
            cmd += ["-m", "cProfile", "-o", str(profile)]
        cmd += ["-m", "zhian.commands.scale", "worker", "--bootstrap", bootstrap, "--partitions", "2",
                "--app-id", app_id, "--status-file", str(self.status_path), "--data-dir", str(work / name)]
        for devices, _ in COMPOUNDS.values():
            cmd += ["--devices", str(devices)]
        self.log = (work / f"{name}.log").open("wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)

    def status(self) -> dict[str, Any]:
        """Its last status ({} before the first)."""
        try:
            return orjson.loads(self.status_path.read_bytes())  # type: ignore[no-any-return]
        except (FileNotFoundError, orjson.JSONDecodeError):
            return {}

    def wait(self, predicate: Any, timeout_s: float = 120.0) -> dict[str, Any]:
        """Poll its status until `predicate` holds."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"worker exited with {self.proc.returncode}; see {self.log.name}")
            status = self.status()
            if status and predicate(status):
                return status
            time.sleep(0.05)
        raise SystemExit(f"worker timed out; see {self.log.name}")

    def stop(self) -> None:
        """SIGTERM (cProfile writes its file on the way out)."""
        stop_process(self.proc, 30)
        self.log.close()


def faust_run(files: dict[str, Path], work: Path, n_workers: int, profile: Path | None = None
              ) -> tuple[int, float, list[dict[str, Any]]]:
    """(records, seconds first to last record, statuses) with `n_workers` workers."""
    # The group waits 3 s for members before its first assignment, so that two workers
    # started together split the partitions at once instead of rebalancing mid-run.
    with KafkaBroker(properties={"group.initial.rebalance.delay.ms": "3000"}) as kafka:
        asyncio.run(ensure_topics(kafka.bootstrap, 2))
        total = 0
        for path in files.values():
            total += sum(load_file(kafka.bootstrap, str(path), partitions=2).values()) + 1
        workers = [Worker(kafka.bootstrap, work, f"w{n_workers}-{i}", f"bench{n_workers}", profile)
                   for i in range(n_workers)]
        try:
            asyncio.run(read_outputs(kafka.bootstrap, flushed=list(files), timeout_s=900))
            statuses = [w.wait(lambda s: s["last_s"] > 0) for w in workers]
            time.sleep(0.5)  # one more status write after the last record
            statuses = [w.status() for w in workers]
        finally:
            for w in workers:
                w.stop()
    records = sum(sum(s["records"].values()) for s in statuses)
    assert records == total, f"processed {records} of {total} records"
    seconds = max(s["last_s"] for s in statuses) - min(s["first_s"] for s in statuses)
    return records, seconds, statuses


def by_package(profile: Path) -> list[tuple[str, float]]:
    """Own time (tottime) per package of a cProfile file, largest first."""
    stats = pstats.Stats(str(profile))
    groups: dict[str, float] = defaultdict(float)
    for (filename, _, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        groups[_package(filename, function)] += tottime
    return sorted(groups.items(), key=lambda kv: -kv[1])


def _package(filename: str, function: str) -> str:
    for name in ("faust", "mode", "aiokafka", "asyncio", "orjson"):
        if f"/{name}/" in filename or f"site-packages/{name}" in filename:
            return name
    for name in ("rules", "ingest", "alerts", "zhian"):
        if f"{ROOT}/{name}/" in filename:
            return f"zhian:{name}"
    if filename == "~":  # C functions: name the big ones (epoll.poll is the loop waiting)
        return f"C: {function[:50]}"
    return "other Python"


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=1, help="simulated days per community")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="zhian-faust-bench-") as tmp:
        work = Path(tmp)
        files = make_traffic(work, args.days)
        events, seconds = in_process(files)
        sizes = ", ".join(f"{c}: {len(p.read_bytes().splitlines()):,}" for c, p in files.items())
        print(f"traffic: {events:,} lines ({sizes})")
        print(f"in-process replay, one core     : {events / seconds:>9,.0f} events/s ({seconds:.2f} s)")
        rows = {}
        for n in (1, 2):
            records, secs, statuses = faust_run(files, work, n)
            rows[n] = statuses
            print(f"Faust, {n} worker{'s' if n > 1 else ' '}                : {records / secs:>9,.0f} events/s "
                  f"({secs:.2f} s; {events / seconds / (records / secs):.1f}x slower than in-process)")
        one = rows[1][0]
        wall = one["last_s"] - one["first_s"]
        parts = one["seconds"]
        rest = wall - sum(parts.values())
        print("one worker's time, from its own accounting:")
        for name, value in [("pure pipeline (decode, dedup, rules)", parts["engine"]),
                            ("write-ahead Table writes", parts["wal"]), ("output sends", parts["send"]),
                            ("producer flush + checkpoints", parts["checkpoint"]),
                            ("Faust/aiokafka/asyncio (consume, batch, ack, commit)", rest)]:
            print(f"  {name:<55} {value:6.2f} s  {100 * value / wall:5.1f} %")
        if not args.no_profile:
            profile = work / "worker.prof"
            faust_run(files, work, 1, profile)
            if profile.exists():
                groups = by_package(profile)
                total = sum(v for _, v in groups)
                print("cProfile of one worker (own time per package, whole process life incl. start-up):")
                for name, value in groups[:10]:
                    print(f"  {name:<55} {value:6.2f} s  {100 * value / total:5.1f} %")
            else:
                print("cProfile: no profile written (the worker did not exit cleanly)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
