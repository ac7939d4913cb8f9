"""Live path throughput and latency on a real Mosquitto, next to a reference in the same run.

    python bench/live_bench.py [--events 50000] [--rate 2000] [--seconds 20]

1. Drain: the same backlog of QoS-1 events is queued for two persistent sessions; then
   `mosquitto_sub` (the reference: receive and print, nothing else) and `zhian run`
   (decode, validate, store durably, acknowledge, engine with the rule pack) each drain it.
   Printed: events/s of each and the ratio.
2. Latency: traffic at --rate events/s from the example compound, with a forced door every
   second; publish→alert time of each `door_forced` alert on the alerts topic, p50 and p99.
   Alerts are raised on event time, after the 5 s reorder window (see README "Event time").
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.registry import load_registry  # noqa: E402
from zhian.broker import LocalBroker  # noqa: E402
from zhian.simulate.generator import TrafficGenerator  # noqa: E402

DEVICES = ROOT / "devices.yaml"


def machine() -> str:
    """CPU model, cores and Python."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def traffic(count: int, start_ms: int) -> list[tuple[str, bytes]]:
    """`count` messages of the example compound's normal life from `start_ms`, in time order."""
    gen = TrafficGenerator(load_registry(DEVICES), start_ms, seed=2)
    return [(topic, orjson.dumps(payload)) for _, topic, payload in itertools.islice(gen, count)]


def publisher(port: int, name: str) -> mqtt.Client:
    """A connected publisher with its loop running."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def publish_all(port: int, messages: list[tuple[str, bytes]]) -> None:
    """Publish QoS 1 and wait for every PUBACK."""
    client = publisher(port, "bench-backlog")
    infos = []
    for topic, body in messages:
        infos.append(client.publish(topic, body, qos=1))
        if len(infos) >= 20_000:  # MQTT message ids are 16-bit: never let them wrap while pending
            for info in infos:
                info.wait_for_publish(120)
            infos = []
    for info in infos:
        info.wait_for_publish(120)
    client.loop_stop()
    client.disconnect()


def zhian_cmd(port: int, store: Path) -> list[str]:
    """The live processor's command line."""
    return [sys.executable, "-m", "zhian.cli", "run", "--broker", f"127.0.0.1:{port}", "--devices", str(DEVICES),
            "--store", str(store), "--client-id", "zhian-bench"]


def count_events(store: Path) -> int:
    """Events stored so far (0 before the store exists)."""
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT count(*) FROM events").fetchone()[0])
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0


def wait_log(path: Path, text: str, timeout_s: float = 30) -> None:
    """Wait until `text` appears in a log file."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{text!r} not in {path} after {timeout_s} s")


def drain(tmp: Path, count: int) -> tuple[float, float]:
    """(reference events/s, zhian events/s) draining the same backlog."""
    broker = LocalBroker(tmp / "mq-drain").start()
    try:
        topic = "zhian/cyl/+/events"
        # 1. create both persistent sessions, then go away
        subprocess.run(["mosquitto_sub", "-p", str(broker.port), "-h", "127.0.0.1", "-t", topic, "-q", "1",
                        "-c", "-i", "bench-reference", "-E"], check=True, timeout=30)
        store = tmp / "drain.db"
        log = tmp / "drain.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(zhian_cmd(broker.port, store), stdout=out, stderr=out)
        wait_log(log, "connected to")
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        # 2. the backlog, queued by the broker for both sessions
        messages = traffic(count, int(time.time() * 1000) - 8 * 86_400_000)
        publish_all(broker.port, messages)
        # 3. reference drain
        started = time.perf_counter()
        subprocess.run(["mosquitto_sub", "-p", str(broker.port), "-h", "127.0.0.1", "-t", topic, "-q", "1",
                        "-c", "-i", "bench-reference", "-C", str(count)], check=True, stdout=subprocess.DEVNULL,
                       timeout=600)
        reference = count / (time.perf_counter() - started)
        # 4. zhian drain, timed from its connect to the last event stored
        log.write_text("")
        with log.open("ab") as out:
            proc = subprocess.Popen(zhian_cmd(broker.port, store), stdout=out, stderr=out)
        wait_log(log, "connected to", 60)
        started = time.perf_counter()
        while count_events(store) < count:
            time.sleep(0.02)
        zhian = count / (time.perf_counter() - started)
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        return reference, zhian
    finally:
        broker.stop()


def latency(tmp: Path, rate: int, seconds: float) -> list[float]:
    """publish→alert seconds of door_forced alerts under `rate` events/s of background traffic."""
    broker = LocalBroker(tmp / "mq-latency").start()
    store = tmp / "latency.db"
    log = tmp / "latency.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(zhian_cmd(broker.port, store), stdout=out, stderr=out)
    try:
        wait_log(log, "connected to")
        sent: dict[str, float] = {}
        arrived: dict[str, float] = {}

        def on_alert(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
            alert = orjson.loads(msg.payload)
            if alert.get("rule") == "door_forced" and alert.get("state") == "raised":
                for evidence in alert.get("evidence") or []:
                    if evidence in sent and evidence not in arrived:
                        arrived[evidence] = time.perf_counter()

        watcher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-watch", protocol=mqtt.MQTTv5)
        watcher.on_message = on_alert
        watcher.connect("127.0.0.1", broker.port)
        watcher.subscribe("zhian/cyl/alerts", qos=1)
        watcher.loop_start()
        pub = publisher(broker.port, "bench-live")
        now_ms = int(time.time() * 1000)
        background = iter(traffic(int(rate * seconds) + 1000, now_ms))
        doors = ["lobby-3-1", "lobby-4-2", "gate-north", "gate-south"]
        started = time.perf_counter()
        n = 0
        while (elapsed := time.perf_counter() - started) < seconds:
            due = int(elapsed * rate)
            while n < due:
                topic, body = next(background)
                payload = orjson.loads(body)
                payload["ts"] = int(time.time() * 1000)  # live: event time is now
                pub.publish(topic, orjson.dumps(payload), qos=1)
                n += 1
                if n % rate == 0:  # once a second, a forced door (a fresh one each time: it clears on close)
                    door = doors[(n // rate) % len(doors)]
                    eid = f"bench-forced-{n}"
                    forced = {"v": 1, "id": eid, "ts": int(time.time() * 1000), "device": door, "type": "door.forced"}
                    sent[eid] = time.perf_counter()
                    pub.publish(f"zhian/cyl/{door}/events", orjson.dumps(forced), qos=1)
                    closed = {"v": 1, "id": f"{eid}-c", "ts": int(time.time() * 1000) + 500, "device": door,
                              "type": "door.closed"}
                    pub.publish(f"zhian/cyl/{door}/events", orjson.dumps(closed), qos=1)
            time.sleep(0.002)
        deadline = time.perf_counter() + 15
        while len(arrived) < len(sent) and time.perf_counter() < deadline:
            time.sleep(0.05)
        pub.loop_stop()
        pub.disconnect()
        watcher.loop_stop()
        watcher.disconnect()
        return sorted(arrived[k] - sent[k] for k in arrived)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        broker.stop()


def main() -> int:
    """Run both measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000, help="backlog size for the drain test")
    parser.add_argument("--rate", type=int, default=2000, help="events/s for the latency test")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        reference, zhian = drain(Path(tmp), args.events)
        lat = latency(Path(tmp), args.rate, args.seconds)
    print(f"machine: {machine()}")
    print(f"{'measure':52} {'value':>14} {'vs reference':>13}")
    print(f"{'reference: mosquitto_sub drains the QoS-1 backlog':52} {reference:>10,.0f} ev/s {1.0:>12.2f}x")
    print(f"{'zhian run drains the same backlog (stored, acked)':52} {zhian:>10,.0f} ev/s {zhian / reference:>12.2f}x")
    if lat:
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        label = f"publish→alert door_forced at {args.rate} ev/s"
        print(f"{label + ', p50':52} {statistics.median(lat) * 1000:>11,.0f} ms")
        print(f"{label + ', p99':52} {p99 * 1000:>11,.0f} ms   ({len(lat)} alerts)")
    else:
        print("publish→alert: no door_forced alert arrived")
    return 0


if __name__ == "__main__":
    sys.exit(main())
