"""Outbox → InfluxDB: the sink's rate next to a raw line-protocol POST of the same data, same run.

    python bench/influx_bench.py [--days 2] [--repeat 3] [--influx URL]

Builds a store from simulated days of the example compound (through the live processor's own
code path), then measures, against a local influxd 1.x (started here unless --influx is given):

- sink: the InfluxDB sink draining the store from its cursors (read SQLite, build line
  protocol, POST batches of 5,000 lines, commit cursors), into an empty database;
- raw: the same lines, built beforehand, POSTed in batches of 5,000 with nothing else
  (the ceiling the server and HTTP allow), into another empty database.

Prints lines/s of both and their ratio (best of --repeat runs).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.sinks.drain import EVENTS_CURSOR, InfluxDrain  # noqa: E402
from alerts.sinks.influx import BATCH_LINES, InfluxHttp, InfluxTarget, InfluxWriter  # noqa: E402
from alerts.sinks.lineproto import Location, alert_line, event_line  # noqa: E402
from ingest.event import parse_ts_ms  # noqa: E402
from ingest.mqtt import BrokerConfig, Inbound  # noqa: E402
from ingest.registry import Registry, load_registry  # noqa: E402
from zhian.influxd import LocalInfluxd  # noqa: E402
from zhian.live import LiveConfig, LiveProcessor  # noqa: E402
from zhian.simulate.week import simulate_week  # noqa: E402
from zhian.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DAY_MS = 86_400_000


def build_store(registry: Registry, path: Path, days: int) -> int:
    """A store holding `days` simulated days; returns the number of events."""
    proc = LiveProcessor(registry, BrokerConfig(client_id="bench"), LiveConfig(store_path=path))
    start = (int(time.time() * 1000) - (days + 1) * DAY_MS) // 1000 * 1000
    traffic, _ = simulate_week(registry, start, seed=1, days=days)
    batch: list[Inbound] = []
    now = int(time.time() * 1000)
    for _, topic, payload in traffic:
        batch.append(Inbound(topic, orjson.dumps(payload), 0, 0, now))
        if len(batch) == 2000:
            proc.process(batch)
            batch = []
    proc.process(batch)
    proc._to_outbox(proc.pipeline.engine.flush())
    proc.snapshot()
    count = proc.store.event_count()
    proc.store.close()
    return count


def same_lines(registry: Registry, path: Path) -> list[str]:
    """The lines the sink writes for this store (events and alert transitions)."""
    where = {d.id: Location(d.building, d.unit, d.floor, d.zone) for d in registry.devices}
    store = Store(path)
    out = [event_line(registry.community.id, orjson.loads(body), received, where.get)
           for _, received, body in store.event_rows_after(0, 10**9)]
    for n, topic, body in store.outbox_after(0, 10**9):
        if topic.endswith(("/alerts", "/alerts/silenced")):
            payload = orjson.loads(body)
            out.append(alert_line(payload, parse_ts_ms(payload["ts"]), n, topic.endswith("/silenced"),
                                  lambda d: d in where))
    store.close()
    return out


def fresh_database(url: str, name: str) -> None:
    http = InfluxHttp(InfluxTarget(url, name))
    http.query(f'DROP DATABASE "{name}"')
    http.query(f'CREATE DATABASE "{name}"')
    http.close()


def run_sink(registry: Registry, src: Path, work: Path, url: str, db: str) -> float:
    """Seconds the sink takes to drain a copy of the store into an empty database."""
    import sqlite3
    store = work / f"{db}.db"
    store.unlink(missing_ok=True)
    with sqlite3.connect(src) as a, sqlite3.connect(store) as b:
        a.backup(b)
    fresh_database(url, db)
    target = InfluxTarget(url, db)
    where = {d.id: Location(d.building, d.unit, d.floor, d.zone) for d in registry.devices}
    drain = InfluxDrain(lambda: Store(store), lambda stop: InfluxWriter(target, stop), registry.community.id,
                        where.get, linger_s=0.0, poll_s=0.005)
    watch = Store(store)
    last = watch.last_seq()
    started = time.perf_counter()
    drain.start()
    while watch.cursor(EVENTS_CURSOR) < last:
        time.sleep(0.002)
    elapsed = time.perf_counter() - started
    drain.finish(10)
    watch.close()
    return elapsed


def run_raw(lines: list[str], url: str, db: str) -> float:
    """Seconds to POST the prebuilt lines in batches of 5,000 on one keep-alive connection."""
    fresh_database(url, db)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 8086, timeout=60)
    path = "/write?" + urlencode({"db": db, "precision": "ns"})
    started = time.perf_counter()
    for i in range(0, len(lines), BATCH_LINES):
        conn.request("POST", path, body="\n".join(lines[i:i + BATCH_LINES]).encode())
        resp = conn.getresponse()
        resp.read()
        if resp.status != 204:
            raise RuntimeError(f"raw write answered {resp.status}")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=2, help="simulated days in the store (default 2)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is reported (default 3)")
    ap.add_argument("--influx", default=None, metavar="URL", help="use this InfluxDB 1.x instead of starting one")
    args = ap.parse_args()
    registry = load_registry(ROOT / "devices.yaml")
    with tempfile.TemporaryDirectory(prefix="zhian-influx-bench-") as tmp:
        work = Path(tmp)
        server = None if args.influx else LocalInfluxd(work / "influxd").start()
        url = args.influx or (server.url if server else "")
        try:
            print(f"building a store of {args.days} simulated days ...", file=sys.stderr)
            events = build_store(registry, work / "zhian.db", args.days)
            lines = same_lines(registry, work / "zhian.db")
            print(f"{events:,} events, {len(lines):,} lines ({sum(map(len, lines)) / len(lines):.0f} bytes/line)")
            sink_s, raw_s = [], []
            for i in range(args.repeat):
                raw_s.append(run_raw(lines, url, f"bench_raw_{i}"))
                sink_s.append(run_sink(registry, work / "zhian.db", work, url, f"bench_sink_{i}"))
            sink_rate, raw_rate = len(lines) / min(sink_s), len(lines) / min(raw_s)
            print(f"raw line-protocol POST : {raw_rate:>10,.0f} lines/s  (best of {args.repeat}: {min(raw_s):.2f} s)")
            print(f"outbox -> InfluxDB sink: {sink_rate:>10,.0f} lines/s  (best of {args.repeat}: {min(sink_s):.2f} s)")
            print(f"sink / raw             : {sink_rate / raw_rate:.2f}")
            print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
                  f"Python {platform.python_version()}, InfluxDB {InfluxHttp(InfluxTarget(url)).ping().version}")
        finally:
            if server is not None:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
