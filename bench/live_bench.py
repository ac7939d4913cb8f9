"""Live path throughput and latency on a real Mosquitto, next to a reference in the same run.

    python bench/live_bench.py [--events 50000] [--rate 2000] [--seconds 20]

1. Drain: the same backlog of QoS-1 events is queued for two persistent sessions; then
   `mosquitto_sub` (the reference: receive and print, nothing else) and `zhian run`
   (decode, validate, store durably, acknowledge, engine with the rule pack) each drain it.
   Printed: events/s of each and the ratio, and zhian's events per CPU-second (all its
   threads: the figure to hold against "events/s per core").
   Both MQTT clients are measured (`--mqtt-client paho`, the default, and `native`).
2. Latency: traffic at --rate events/s from the example compound, with a forced door every
   --forced-every seconds (0.25: 80 alerts in 20 s, enough for a p99 that is not just the
   worst one); publish→alert time of each `door_forced` alert on the alerts topic, p50 and p99.
   A forced door is a one-event rule: raised on arrival (README "Event time", early raises).
   Also zhian's CPU µs per event at that steady rate (all threads; --latency-client).
3. With --stages: where the processing thread's CPU time goes (in-process, same backlog,
   the client of --stages-client): decode, store, engine, and the mean messages per stored
   batch (a commit costs about as much as 30 events); then each half alone —
   receive+decode+store+ack with the engine left out, and the engine fed from the stored log
   (as a recovery does) — which bounds what splitting the live path over two processes could reach.
   `--stages-only` prints just this table.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.mqtt import BrokerConfig  # noqa: E402
from ingest.registry import load_registry  # noqa: E402
from zhian.broker import LocalBroker  # noqa: E402
from zhian.live import LiveConfig, LiveProcessor  # noqa: E402
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


CLIENTS = ("paho", "native")


def zhian_cmd(port: int, store: Path, client: str = "paho") -> list[str]:
    """The live processor's command line (each MQTT client with its own persistent session)."""
    return [sys.executable, "-m", "zhian.cli", "run", "--broker", f"127.0.0.1:{port}", "--devices", str(DEVICES),
            "--store", str(store), "--client-id", f"zhian-bench-{client}", "--mqtt-client", client, "--no-console"]


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drain(tmp: Path, count: int) -> tuple[float, dict[str, tuple[float, float]]]:
    """Reference events/s, and per MQTT client (zhian events/s, zhian events per CPU-second),
    draining the same backlog."""
    broker = LocalBroker(tmp / "mq-drain").start()
    try:
        topic = "zhian/cyl/+/events"
        # 1. create every persistent session, then go away
        subprocess.run(["mosquitto_sub", "-p", str(broker.port), "-h", "127.0.0.1", "-t", topic, "-q", "1",
                        "-c", "-i", "bench-reference", "-E"], check=True, timeout=30)
        for client in CLIENTS:
            log = tmp / f"drain-{client}.log"
            with log.open("ab") as out:
                proc = subprocess.Popen(zhian_cmd(broker.port, tmp / f"drain-{client}.db", client),
                                        stdout=out, stderr=out)
            wait_log(log, "connected to")
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        # 2. the backlog, queued by the broker for every session
        messages = traffic(count, int(time.time() * 1000) - 8 * 86_400_000)
        publish_all(broker.port, messages)
        # 3. reference drain
        started = time.perf_counter()
        subprocess.run(["mosquitto_sub", "-p", str(broker.port), "-h", "127.0.0.1", "-t", topic, "-q", "1",
                        "-c", "-i", "bench-reference", "-C", str(count)], check=True, stdout=subprocess.DEVNULL,
                       timeout=600)
        reference = count / (time.perf_counter() - started)
        # 4. zhian drains, timed from its connect to the last event stored
        rates = {}
        for client in CLIENTS:
            store, log = tmp / f"drain-{client}.db", tmp / f"drain-{client}.log"
            log.write_text("")
            with log.open("ab") as out:
                proc = subprocess.Popen(zhian_cmd(broker.port, store, client), stdout=out, stderr=out)
            wait_log(log, "connected to", 60)
            started = time.perf_counter()
            cpu_started = cpu_seconds(proc.pid)
            while count_events(store) < count:
                time.sleep(0.02)
            elapsed = time.perf_counter() - started
            rates[client] = (count / elapsed, count / max(1e-9, cpu_seconds(proc.pid) - cpu_started))
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        return reference, rates
    finally:
        broker.stop()


def latency(tmp: Path, rate: int, seconds: float, client: str = "paho",
            forced_every_s: float = 0.25) -> tuple[list[float], float]:
    """publish→alert seconds of door_forced alerts under `rate` events/s of background traffic,
    and zhian's CPU µs per published event meanwhile (all its threads)."""
    broker = LocalBroker(tmp / "mq-latency").start()
    store = tmp / "latency.db"
    log = tmp / "latency.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(zhian_cmd(broker.port, store, client), stdout=out, stderr=out)
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
        # every door of the compound in turn, one forced every `forced_every_s`: each door's
        # alert has cleared (on its close, 0.5 s later in event time) before it is forced again
        doors = [d.id for d in load_registry(DEVICES).devices if d.type == "door"]
        every = max(1, round(rate * forced_every_s))
        assert forced_every_s * len(doors) > 0.5, "a door would be forced again before its alert cleared"
        started = time.perf_counter()
        cpu_started = cpu_seconds(proc.pid)
        n = published = 0
        while (elapsed := time.perf_counter() - started) < seconds:
            due = int(elapsed * rate)
            while n < due:
                topic, body = next(background)
                payload = orjson.loads(body)
                payload["ts"] = int(time.time() * 1000)  # live: event time is now
                pub.publish(topic, orjson.dumps(payload), qos=1)
                n += 1
                if n % every == 0:
                    door = doors[(n // every) % len(doors)]
                    eid = f"bench-forced-{n}"
                    forced = {"v": 1, "id": eid, "ts": int(time.time() * 1000), "device": door, "type": "door.forced"}
                    sent[eid] = time.perf_counter()
                    pub.publish(f"zhian/cyl/{door}/events", orjson.dumps(forced), qos=1)
                    closed = {"v": 1, "id": f"{eid}-c", "ts": int(time.time() * 1000) + 500, "device": door,
                              "type": "door.closed"}
                    pub.publish(f"zhian/cyl/{door}/events", orjson.dumps(closed), qos=1)
                    published += 2
            time.sleep(0.002)
        published += n
        deadline = time.perf_counter() + 15
        while (len(arrived) < len(sent) or count_events(store) < published) and time.perf_counter() < deadline:
            time.sleep(0.05)
        cpu_us = (cpu_seconds(proc.pid) - cpu_started) / max(1, published) * 1e6
        pub.loop_stop()
        pub.disconnect()
        watcher.loop_stop()
        watcher.disconnect()
        return sorted(arrived[k] - sent[k] for k in arrived), cpu_us
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        broker.stop()


def staged_drain(tmp: Path, count: int, with_engine: bool, client: str) -> tuple[float, float, dict[str, float], Path]:
    """Drain a backlog in-process with each step timed: (seconds, CPU seconds of the process,
    CPU seconds of the processing thread per step, store). Without the engine, newly stored
    events are only counted. Steps are timed in thread CPU time, which other processes on a
    busy machine do not inflate."""
    broker = LocalBroker(tmp / f"mq-stages-{with_engine}").start()
    try:
        client_id = "bench-stages"
        config = LiveConfig(store_path=tmp / f"stages-{with_engine}.db", cameras=False, tune_gc=True)
        broker_config = BrokerConfig(port=broker.port, client_id=client_id, client=client)
        live = LiveProcessor(load_registry(DEVICES), broker_config, config)
        stop = threading.Event()  # the session first, then the backlog it queues
        runner = threading.Thread(target=live.run, args=(stop,))
        runner.start()
        live.mqtt.connected.wait(30)
        stop.set()
        runner.join()
        publish_all(broker.port, traffic(count, int(time.time() * 1000) - 8 * 86_400_000))
        live = LiveProcessor(load_registry(DEVICES), broker_config, config)
        spent: dict[str, float] = collections.defaultdict(float)
        calls: dict[str, int] = collections.defaultdict(int)
        applied = [0]

        def timed(name: str, step: Callable[..., Any]) -> Callable[..., Any]:
            def run(*args: Any) -> Any:
                t = time.thread_time()
                try:
                    return step(*args)
                finally:
                    spent[name] += time.thread_time() - t
                    calls[name] += 1
            return run

        def count_only(fresh: list[Any], rejected: bool) -> None:
            applied[0] += len(fresh)

        live.process = timed("process", live.process)  # type: ignore[method-assign]
        live.store.append = timed("store", live.store.append)  # type: ignore[method-assign]
        live._apply = timed("engine", live._apply) if with_engine else count_only  # type: ignore[method-assign]
        live.mqtt.ack = timed("ack", live.mqtt.ack)  # type: ignore[method-assign]
        stop = threading.Event()
        runner = threading.Thread(target=live.run, args=(stop,))
        runner.start()
        live.mqtt.connected.wait(30)
        started, cpu_started = time.perf_counter(), time.process_time()
        while (live.processed if with_engine else applied[0]) < count:
            time.sleep(0.005)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        stop.set()
        runner.join()
        spent["batches"] = calls["store"]
        return elapsed, cpu, spent, config.store_path
    finally:
        broker.stop()


def stages(tmp: Path, count: int, client: str) -> list[tuple[str, float]]:
    """(label, value) rows: CPU µs per event of each stage of an in-process drain, then each
    half alone (events/s of wall-clock time and per CPU-second of the whole process)."""
    elapsed, cpu, spent, _ = staged_drain(tmp, count, True, client)
    other = spent["process"] - spent["store"] - spent["engine"] - spent["ack"]
    out = [(f"in-process drain ({client} client)", count / elapsed),
           ("  events per CPU-second (all threads)", count / cpu),
           ("  CPU µs/event: decode and validate", other / count * 1e6),
           ("  CPU µs/event: store (SQLite log)", spent["store"] / count * 1e6),
           ("  CPU µs/event: acknowledge", spent["ack"] / count * 1e6),
           ("  CPU µs/event: engine, rule pack, outbox", spent["engine"] / count * 1e6),
           ("  messages per stored batch (mean)", count / max(1.0, spent["batches"]))]
    elapsed, cpu, spent, store = staged_drain(tmp, count, False, client)
    out.append(("front half alone: receive, decode, store, ack", count / elapsed))
    out.append(("  events per CPU-second (all threads)", count / cpu))
    out.append(("  CPU µs/event: store (SQLite log)", spent["store"] / count * 1e6))
    out.append(("  messages per stored batch (mean)", count / max(1.0, spent["batches"])))
    back = LiveProcessor(load_registry(DEVICES), BrokerConfig(port=1), LiveConfig(store_path=store, cameras=False))
    started, cpu_started = time.perf_counter(), time.process_time()
    back.recover()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    out.append(("back half alone: log read-back, engine, outbox", count / elapsed))
    out.append(("  events per CPU-second", count / cpu))
    back.store.close()
    return out


def main() -> int:
    """Run both measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000, help="backlog size for the drain test")
    parser.add_argument("--rate", type=int, default=2000, help="events/s for the latency test")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the latency test")
    parser.add_argument("--forced-every", type=float, default=0.25,
                        help="seconds between forced doors (latency samples) in the latency test")
    parser.add_argument("--latency-client", choices=CLIENTS, default="paho", help="MQTT client of the latency test")
    parser.add_argument("--stages", action="store_true", help="also time the stages of the live path")
    parser.add_argument("--stages-client", choices=CLIENTS, default="paho", help="MQTT client of the --stages drains")
    parser.add_argument("--stages-only", action="store_true",
                        help="only the --stages table (no reference drain, no latency test)")
    args = parser.parse_args()
    reference, rates, lat, lat_cpu_us = 0.0, {}, [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        if not args.stages_only:
            reference, rates = drain(Path(tmp), args.events)
            lat, lat_cpu_us = latency(Path(tmp), args.rate, args.seconds, args.latency_client,
                                      args.forced_every)
        rows = stages(Path(tmp), args.events, args.stages_client) if args.stages or args.stages_only else []
    print(f"machine: {machine()}")
    print(f"{'measure':52} {'value':>14} {'vs reference':>13}")
    if reference:
        print(f"{'reference: mosquitto_sub drains the QoS-1 backlog':52} {reference:>10,.0f} ev/s {1.0:>12.2f}x")
    for client, (zhian, per_cpu_s) in rates.items():
        label = f"zhian run ({client} client) drains it, stored + acked"
        print(f"{label:52} {zhian:>10,.0f} ev/s {zhian / reference:>12.2f}x")
        print(f"{'  events per CPU-second (all threads)':52} {per_cpu_s:>10,.0f} ev/s")
    if args.stages_only:
        pass
    elif lat:
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        label = f"publish→alert door_forced at {args.rate} ev/s ({args.latency_client})"
        print(f"{label + ', p50':52} {statistics.median(lat) * 1000:>11,.0f} ms")
        print(f"{label + ', p99':52} {p99 * 1000:>11,.0f} ms   ({len(lat)} alerts)")
        print(f"{'  zhian CPU µs per event meanwhile (all threads)':52} {lat_cpu_us:>11,.1f} µs")
    else:
        print("publish→alert: no door_forced alert arrived")
    for label, value in rows:
        unit = "µs" if "µs/event" in label else "" if "per stored batch" in label else "ev/s"
        print(f"{label:52} {value:>10,.1f} {unit}" if unit != "ev/s" else f"{label:52} {value:>10,.0f} {unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
