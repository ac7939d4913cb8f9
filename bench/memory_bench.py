"""Resident memory of the live processor for a compound of 2,000 devices.

    python bench/memory_bench.py [--devices 2000] [--hours 6]

Builds a compound of about --devices devices (gates, lobbies, elevators with cameras,
corridor cameras and sockets, smoke sensors, rental locks, chargers), generates --hours of
its simulated traffic, and runs it through the live processor's storage and engine path
(`LiveProcessor.process`, the MQTT acknowledgement stubbed) in a fresh process. Printed:
the peak resident memory of that process next to the reference, a process that imports
the same modules and loads the same registry but processes nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compound_yaml(target: int) -> str:
    """devices.yaml text of a compound with about `target` devices."""
    lines = ["version: 1", "community: {id: big, name: 大型示范小区, timezone: Asia/Shanghai}",
             "defaults: {heartbeat_s: 300}", "devices:",
             "  - {id: gate-1, type: door, zone: gate}", "  - {id: gate-2, type: door, zone: gate}",
             "  - {id: gate-3, type: door, zone: gate}",
             "  - {id: charger-1, type: charger, zone: bike_shed}",
             "  - {id: charger-2, type: charger, zone: bike_shed}"]
    count = 5
    building = 0
    while count < target:
        building += 1
        for unit in (1, 2):
            b, u = str(building), str(unit)
            tag = f"{building}-{unit}"
            lines += [f"  - {{id: lobby-{tag}, type: door, zone: lobby, building: '{b}', unit: '{u}', floor: 1}}",
                      f"  - {{id: elev-{tag}, type: elevator, zone: elevator, building: '{b}', unit: '{u}'}}",
                      f"  - {{id: elevcam-{tag}, type: camera, zone: elevator, building: '{b}', unit: '{u}', "
                      f"elevator: elev-{tag}}}"]
            count += 3
            for floor in range(2, 19):
                lines += [f"  - {{id: corr-{tag}-{floor}, type: camera, zone: corridor, building: '{b}', unit: '{u}', "
                          f"floor: {floor}}}",
                          f"  - {{id: sock-{tag}-{floor}, type: socket, zone: corridor, building: '{b}', unit: '{u}', "
                          f"floor: {floor}}}",
                          f"  - {{id: smoke-{tag}-{floor}, type: smoke, zone: corridor, building: '{b}', unit: '{u}', "
                          f"floor: {floor}}}"]
                count += 3
                if floor % 4 == 0:
                    lines.append(f"  - {{id: lock-{tag}-{floor}01, type: door, zone: household, building: '{b}', "
                                 f"unit: '{u}', floor: {floor}, household: {tag}-{floor}01, occupants: 3}}")
                    count += 1
    return "\n".join(lines) + "\n"


# The traffic is generated beforehand into a file (the simulator holds a day of events in
# memory, which is not what is measured); the worker reads it line by line.
WORKER = """
import resource, sys, time, orjson
from pathlib import Path
from ingest.registry import load_registry
from ingest.mqtt import BrokerConfig, Inbound
from zhian.live import LiveConfig, LiveProcessor
devices, traffic, store, process = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
registry = load_registry(devices)
live = LiveProcessor(registry, BrokerConfig(port=1), LiveConfig(store_path=Path(store)))
live.mqtt.ack = lambda batch: None
count = 0
if process:
    batch = []
    with open(traffic, "rb") as f:
        for line in f:
            obj = orjson.loads(line)
            batch.append(Inbound(obj["topic"], orjson.dumps(obj["payload"]), count + 1, 1, int(time.time() * 1000)))
            count += 1
            if len(batch) == 2000:
                live.process(batch)
                batch = []
    if batch:
        live.process(batch)
    live.snapshot()
print(len(registry.devices), count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

GENERATE = """
import sys, time
from ingest.registry import load_registry
from zhian.simulate.generator import TrafficGenerator
from zhian.simulate.replayfile import write_replay
registry = load_registry(sys.argv[1])
span = int(float(sys.argv[2]) * 3_600_000)
write_replay(TrafficGenerator(registry, int(time.time() * 1000) - span - 60_000, seed=4, duration_ms=span), sys.argv[3])
"""


def run(devices: Path, traffic: Path, store: Path, process: bool) -> tuple[int, int, float]:
    """(devices, events, peak RSS in MB) of one worker process."""
    flag = "1" if process else "0"
    out = subprocess.run([sys.executable, "-c", WORKER, str(devices), str(traffic), str(store), flag],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    n_devices, events, rss_kb = out.stdout.split()
    return int(n_devices), int(events), int(rss_kb) / 1024


def main() -> int:
    """Build the compound, measure both processes, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--hours", type=float, default=6.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        devices = Path(tmp) / "devices.yaml"
        devices.write_text(compound_yaml(args.devices), encoding="utf-8")
        traffic = Path(tmp) / "traffic.jsonl"
        subprocess.run([sys.executable, "-c", GENERATE, str(devices), str(args.hours), str(traffic)], cwd=ROOT,
                       check=True)
        n, _, reference = run(devices, traffic, Path(tmp) / "ref.db", process=False)
        _, events, loaded = run(devices, traffic, Path(tmp) / "live.db", process=True)
    print(f"compound: {n} devices, {events:,} events ({args.hours:g} h of simulated traffic)")
    print(f"{'measure':58} {'peak RSS':>10}")
    print(f"{'reference: imports + registry, nothing processed':58} {reference:>7.0f} MB")
    print(f"{'live processor after the traffic (store, engine, 18 rules)':58} {loaded:>7.0f} MB")
    print(f"{'difference: state of the traffic':58} {loaded - reference:>7.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
