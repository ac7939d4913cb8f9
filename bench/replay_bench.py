"""Replay throughput on a simulated week of the example compound, next to a reference.

    python bench/replay_bench.py [--days 7] [--seed 1] [--repeat 3] [--scale 1]

Prints, for the same traffic file in the same run:
- reference: reading the lines and JSON-decoding each (the floor any replay pays);
- engine without rules: decode, validate, dedup, reorder, watermark, device activity;
- engine with the default rule pack (when it is installed).
Each figure is the median of --repeat runs, in events (lines) per second: wall-clock, and
per core from the process's CPU time (steadier on a shared machine, where other work
stretches wall-clock time). --scale N repeats the week's traffic N times with ids and
times shifted, for a longer run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.registry import load_registry  # noqa: E402
from rules.activity import DeviceActivity  # noqa: E402
from zhian.pipeline import Pipeline, load_processors  # noqa: E402
from zhian.replay import replay  # noqa: E402
from zhian.simulate.replayfile import write_replay  # noqa: E402
from zhian.simulate.week import simulate_week  # noqa: E402

START_MS = 1_793_462_400_000  # 2026-11-01T00:00:00+08:00


def machine() -> str:
    """CPU model, cores and Python, for the record."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def make_traffic(path: Path, days: int, seed: int, scale: int) -> int:
    """Write the simulated traffic (scaled) and return its line count."""
    registry = load_registry(ROOT / "devices.yaml")
    lines: list[bytes] = []
    traffic, _truth = simulate_week(registry, START_MS, seed, days)
    tmp = path.with_suffix(".one")
    write_replay(traffic, tmp)
    lines = tmp.read_bytes().splitlines()
    tmp.unlink()
    span_ms = days * 86_400_000
    with path.open("wb") as out:
        for copy in range(scale):
            for line in lines:
                if copy == 0:
                    out.write(line + b"\n")
                    continue
                obj = orjson.loads(line)
                payload = obj["payload"]
                if isinstance(payload, dict):
                    payload["id"] = f"{payload.get('id')}-c{copy}"
                    ts = payload.get("ts")
                    if isinstance(ts, int):
                        payload["ts"] = ts + copy * span_ms
                    else:
                        payload["ts"] = START_MS + copy * span_ms  # keeps it valid and ordered enough
                out.write(orjson.dumps(obj) + b"\n")
    return len(lines) * scale


def reference(path: Path) -> tuple[float, float]:
    """Lines/s of reading and JSON-decoding every line: wall-clock and CPU time."""
    started, cpu = time.perf_counter(), time.process_time()
    n = 0
    loads = orjson.loads
    with path.open("rb") as f:
        for line in f:
            loads(line)
            n += 1
    return n / (time.perf_counter() - started), n / (time.process_time() - cpu)


def zhian_replay(path: Path, with_rules: bool) -> tuple[float, float, int]:
    """Lines/s of zhian's replay, wall-clock and CPU time (and the alert messages it produced)."""
    registry = load_registry(ROOT / "devices.yaml")
    processors = load_processors(registry, None) if with_rules else [DeviceActivity()]
    pipeline = Pipeline(registry, processors)
    messages = 0

    def out(*_: object) -> None:
        nonlocal messages
        messages += 1

    cpu = time.process_time()
    with path.open("rb") as f:
        stats = replay(f, pipeline, out)
    return stats.lines / stats.seconds, stats.lines / (time.process_time() - cpu), messages


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "week.jsonl"
        started = time.perf_counter()
        count = make_traffic(path, args.days, args.seed, args.scale)
        print(f"traffic: {count:,} lines ({path.stat().st_size / 1e6:.1f} MB), "
              f"{args.days} simulated days x{args.scale}, generated in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        has_rules = len(load_processors(load_registry(ROOT / "devices.yaml"), None)) > 1
        ref, bare, full = [], [], []
        alerts = 0
        for _ in range(args.repeat):
            ref.append(reference(path))
            bare.append(zhian_replay(path, with_rules=False)[:2])
            if has_rules:
                wall, cpu, alerts = zhian_replay(path, with_rules=True)
                full.append((wall, cpu))
    r, rc = _medians(ref)
    print(f"machine: {machine()}")
    print(f"traffic: {count:,} events, a simulated week of the example compound x{args.scale}")
    print(f"{'measure':44} {'events/s':>12} {'vs reference':>13} {'per core (CPU)':>15} {'vs reference':>13}")
    print(f"{'reference: read + JSON-decode each line':44} {r:>12,.0f} {1.0:>12.2f}x {rc:>15,.0f} {1.0:>12.2f}x")
    b, bc = _medians(bare)
    print(f"{'zhian replay, engine without rules':44} {b:>12,.0f} {b / r:>12.2f}x {bc:>15,.0f} {bc / rc:>12.2f}x")
    if full:
        f, fc = _medians(full)
        print(f"{'zhian replay, default rule pack':44} {f:>12,.0f} {f / r:>12.2f}x {fc:>15,.0f} {fc / rc:>12.2f}x"
              f"   ({alerts} alert messages)")
    else:
        print("zhian replay, default rule pack: not installed in this build")
    return 0


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """Median wall-clock and median CPU-time rate of several runs."""
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


if __name__ == "__main__":
    sys.exit(main())
