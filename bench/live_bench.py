"""Live path throughput and latency on a real Mosquitto, next to a reference in the same run.

    python bench/live_bench.py [--events 50000] [--rate 2000] [--seconds 20]

1. Drain: the same backlog of QoS-1 events is queued for two persistent sessions; then
   `mosquitto_sub` (the reference: receive and print, nothing else) and `zhian run`
   (decode, validate, store durably, acknowledge, engine with the rule pack) each drain it.
   Printed: events/s of each and the ratio, and zhian's events per CPU-second (all its
   threads: the figure to hold against "events/s per core"); with two processes also the CPU
   µs per event of each (ingest, engine), which bound the split's rate one core each.
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
import shutil
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


def zhian_cmd(port: int, store: Path, client: str = "paho", processes: int = 1) -> list[str]:
    """The live processor's command line (each MQTT client and process layout with its own
    persistent session)."""
    return [sys.executable, "-m", "zhian.cli", "run", "--broker", f"127.0.0.1:{port}", "--devices", str(DEVICES),
            "--store", str(store), "--client-id", f"zhian-bench-{client}-p{processes}", "--mqtt-client", client,
            "--no-console", "--processes", str(processes)]


def subscriber(client: str, processes: int) -> str:
    """The log line of the subscribing client's connect (with two processes, the engine's
    publisher connects first)."""
    return f"as zhian-bench-{client}-p{processes} (session"


DRAIN_END = "bench-drain-end"  # the id of the backlog's last event, a forced door


def drain_end(ts_ms: int) -> tuple[str, bytes]:
    """The backlog's last message: a forced door, whose alert (raised on arrival) is in the
    outbox once the engine applied the whole backlog, in either process layout."""
    door = next(d.id for d in load_registry(DEVICES).devices if d.type == "door")
    body = {"v": 1, "id": DRAIN_END, "ts": ts_ms, "device": door, "type": "door.forced"}
    return f"zhian/cyl/{door}/events", orjson.dumps(body)


def engine_done(store: Path) -> bool:
    """True once the outbox holds the alert of the backlog's last event."""
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT 1 FROM outbox WHERE instr(body, ?) > 0 LIMIT 1",
                              (DRAIN_END.encode(),)).fetchone() is not None
        finally:
            db.close()
    except sqlite3.OperationalError:
        return False


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


def family(pid: int) -> list[int]:
    """A process and its descendants (the engine process of `--processes 2`)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def family_cpu(pids: list[int]) -> float:
    """CPU seconds of these processes so far (those still alive)."""
    return sum(each_cpu(pids).values())


def each_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each of these processes so far (those still alive)."""
    out = {}
    for p in pids:
        try:
            out[p] = cpu_seconds(p)
        except OSError:
            pass
    return out


Layout = tuple[str, int]  # MQTT client, processes
# events/s stored, events/s applied, events per CPU-second of all processes, CPU µs per event of
# the process `zhian run` started (the ingest process with two) and of its children (the engine)
Drained = tuple[float, float, float, float, float]


def drain(tmp: Path, count: int, layouts: list[Layout]) -> tuple[float, dict[Layout, Drained]]:
    """Reference events/s, and per MQTT client and process layout (zhian events/s to the last
    event stored, zhian events/s to the last event applied by the engine, zhian events per
    CPU-second of all its processes to the latter, and the CPU µs per event of the started
    process and of its children), draining the same backlog."""
    shutil.rmtree(tmp / "mq-drain", ignore_errors=True)
    for old in tmp.glob("drain-*"):
        old.unlink()
    broker = LocalBroker(tmp / "mq-drain").start()
    try:
        topic = "zhian/cyl/+/events"
        # 1. create every persistent session, then go away
        subprocess.run(["mosquitto_sub", "-p", str(broker.port), "-h", "127.0.0.1", "-t", topic, "-q", "1",
                        "-c", "-i", "bench-reference", "-E"], check=True, timeout=30)
        for client, processes in layouts:
            log = tmp / f"drain-{client}-{processes}.log"
            with log.open("ab") as out:
                proc = subprocess.Popen(zhian_cmd(broker.port, tmp / f"drain-{client}-{processes}.db", client,
                                                  processes), stdout=out, stderr=out)
            wait_log(log, subscriber(client, processes), 60)  # not the engine process's publisher
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        # 2. the backlog, queued by the broker for every session
        gen = TrafficGenerator(load_registry(DEVICES), int(time.time() * 1000) - 8 * 86_400_000, seed=2)
        timed = list(itertools.islice(gen, count - 1))  # traffic(count - 1, …), with the last event time
        messages = [(topic, orjson.dumps(payload)) for _, topic, payload in timed]
        messages.append(drain_end(timed[-1][0] + 1))
        publish_all(broker.port, messages)
        # 3. reference drain
        started = time.perf_counter()
        subprocess.run(["mosquitto_sub", "-p", str(broker.port), "-h", "127.0.0.1", "-t", topic, "-q", "1",
                        "-c", "-i", "bench-reference", "-C", str(count)], check=True, stdout=subprocess.DEVNULL,
                       timeout=600)
        reference = count / (time.perf_counter() - started)
        # 4. zhian drains, timed from its connect to the last event stored
        rates = {}
        for client, processes in layouts:
            store, log = tmp / f"drain-{client}-{processes}.db", tmp / f"drain-{client}-{processes}.log"
            log.write_text("")
            with log.open("ab") as out:
                proc = subprocess.Popen(zhian_cmd(broker.port, store, client, processes), stdout=out, stderr=out)
            # timed from the subscribing connect (the engine process's publisher connects too)
            wait_log(log, subscriber(client, processes), 60)
            started = time.perf_counter()
            cpu_started = each_cpu(family(proc.pid))
            deadline = started + 600
            while count_events(store) < count and time.perf_counter() < deadline:
                time.sleep(0.01)
            stored_s = time.perf_counter() - started
            while not engine_done(store) and time.perf_counter() < deadline:
                time.sleep(0.01)
            assert time.perf_counter() < deadline, f"zhian ({client}, {processes} proc) did not drain in 600 s"
            applied_s = time.perf_counter() - started
            spent = {p: cpu - cpu_started.get(p, 0.0) for p, cpu in each_cpu(family(proc.pid)).items()}
            own = spent.pop(proc.pid, 0.0)
            children = sum(spent.values())
            rates[(client, processes)] = (count / stored_s, count / applied_s, count / max(1e-9, own + children),
                                          own / count * 1e6, children / count * 1e6)
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        return reference, rates
    finally:
        broker.stop()


def latency(tmp: Path, rate: int, seconds: float, client: str = "paho",
            forced_every_s: float = 0.25, processes: int = 1) -> tuple[list[float], float]:
    """publish→alert seconds of door_forced alerts under `rate` events/s of background traffic,
    and zhian's CPU µs per published event meanwhile (all its threads and processes)."""
    broker = LocalBroker(tmp / f"mq-latency-{processes}").start()
    store = tmp / f"latency-{processes}.db"
    log = tmp / f"latency-{processes}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(zhian_cmd(broker.port, store, client, processes), stdout=out, stderr=out)
    try:
        wait_log(log, subscriber(client, processes), 60)
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
        pids = family(proc.pid)
        cpu_started = family_cpu(pids)
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
        cpu_us = (family_cpu(pids) - cpu_started) / max(1, published) * 1e6
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
    parser.add_argument("--clients", choices=CLIENTS, nargs="+", default=list(CLIENTS),
                        help="MQTT clients of the drain test (default: both)")
    parser.add_argument("--processes", type=int, choices=(1, 2), nargs="+", default=[1, 2],
                        help="process layouts of `zhian run` to measure (default: 1 and 2, alternated)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="drain rounds, each with its own broker, backlog and reference")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency test")
    parser.add_argument("--latency-client", choices=CLIENTS, default="paho", help="MQTT client of the latency test")
    parser.add_argument("--stages", action="store_true", help="also time the stages of the live path")
    parser.add_argument("--stages-client", choices=CLIENTS, default="paho", help="MQTT client of the --stages drains")
    parser.add_argument("--stages-only", action="store_true",
                        help="only the --stages table (no reference drain, no latency test)")
    args = parser.parse_args()
    layouts = [(client, processes) for client in args.clients for processes in args.processes]
    rounds: list[tuple[float, dict[Layout, Drained]]] = []
    lat: dict[int, tuple[list[float], float]] = {}
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.stages_only:
            for i in range(args.rounds):
                # alternate the order of the layouts from round to round
                rounds.append(drain(Path(tmp), args.events, layouts if i % 2 == 0 else layouts[::-1]))
            if not args.no_latency:
                for processes in args.processes:
                    lat[processes] = latency(Path(tmp), args.rate, args.seconds, args.latency_client,
                                             args.forced_every, processes)
        if args.stages or args.stages_only:
            rows = stages(Path(tmp), args.events, args.stages_client)
    print(f"machine: {machine()}")
    print(f"{'measure':60} {'value':>14} {'vs reference':>13}")
    for i, (reference, rates) in enumerate(rounds, 1):
        tag = f"[round {i}] " if len(rounds) > 1 else ""
        print(f"{tag + 'reference: mosquitto_sub drains the QoS-1 backlog':60} {reference:>10,.0f} ev/s {1.0:>12.2f}x")
        for (client, processes), (stored, applied, per_cpu_s, started_us, children_us) in sorted(rates.items()):
            label = f"{tag}zhian run ({client}, {processes} proc) drains it, stored + acked"
            print(f"{label:60} {stored:>10,.0f} ev/s {stored / reference:>12.2f}x")
            print(f"{'  ... and applied by the engine (last alert in the outbox)':60} {applied:>10,.0f} ev/s "
                  f"{applied / reference:>12.2f}x")
            print(f"{'  events per CPU-second (all threads and processes)':60} {per_cpu_s:>10,.0f} ev/s")
            if processes == 2:
                print(f"{'  CPU µs per event: ingest process, engine process':60} {started_us:>6,.1f} + "
                      f"{children_us:.1f} µs")
    for processes, (samples, cpu_us) in lat.items():
        label = f"publish→alert door_forced at {args.rate} ev/s ({args.latency_client}, {processes} proc)"
        if not samples:
            print(f"{label}: no door_forced alert arrived")
            continue
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
        print(f"{label + ', p50':60} {statistics.median(samples) * 1000:>11,.0f} ms")
        print(f"{label + ', p99':60} {p99 * 1000:>11,.0f} ms   ({len(samples)} alerts)")
        print(f"{'  zhian CPU µs per event meanwhile (all threads, processes)':60} {cpu_us:>11,.1f} µs")
    for label, value in rows:
        unit = "µs" if "µs/event" in label else "" if "per stored batch" in label else "ev/s"
        print(f"{label:60} {value:>10,.1f} {unit}" if unit != "ev/s" else f"{label:60} {value:>10,.0f} {unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
