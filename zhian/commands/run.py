"""`zhian run`: the live processor."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from alerts.sinks.influx import InfluxHttp, InfluxTarget
from ingest.errors import RegistryError
from ingest.mqtt import CLIENTS, BrokerConfig
from ingest.registry import load_registry
from rules.engine import NO_WATERMARK
from zhian.commands import log_problems
from zhian.live import LiveConfig, LiveProcessor

if TYPE_CHECKING:
    from zhian.console.server import ConsoleServer

log = logging.getLogger("zhian.run")


def add_live_options(p: argparse.ArgumentParser) -> None:
    """Options shared by `run` and `demo`."""
    p.add_argument("--devices", type=Path, default=Path("devices.yaml"), help="devices.yaml (default: ./devices.yaml)")
    p.add_argument("--rules", type=Path, default=None, help="directory of rule files overriding the default pack")
    p.add_argument("--store", type=Path, default=Path("var/zhian.db"), help="SQLite store (default: var/zhian.db)")
    p.add_argument("--durability", choices=("normal", "full"), default="normal",
                   help="normal survives a killed process; full also a power cut (slower)")
    p.add_argument("--client-id", default=None, help="MQTT client id (default: zhian-{community}); keep it fixed")
    p.add_argument("--snapshot-every", type=float, default=5.0, metavar="S",
                   help="seconds between engine snapshots (default 5)")
    p.add_argument("--health-file", type=Path, default=None,
                   help="file touched every 5 s while processing (for `zhian health`)")
    p.add_argument("--username", default=None, help="MQTT user name (default: $ZHIAN_MQTT_USERNAME)")
    p.add_argument("--mqtt-client", choices=CLIENTS, default="paho",
                   help="paho (default: paho-mqtt) or native (zhian's own QoS-1 client, about 2-3x the "
                   "throughput; see ingest/mqtt_native.py and BENCHMARKS.md)")
    p.add_argument("--password", default=None,
                   help="MQTT password (default: $ZHIAN_MQTT_PASSWORD, which keeps it out of `ps`)")
    p.add_argument("--no-cameras", action="store_true",
                   help="do not read the streams of cameras with `detectors: [throwing]`")
    p.add_argument("--processes", type=int, choices=(1, 2), default=1,
                   help="1: one process; 2: ingest (receive, decode, store, acknowledge) here and the engine "
                   "(rules, alerts, snapshots, InfluxDB) in a child process that follows the store "
                   "(see docs/deploying.md, \"Process layout\")")
    p.add_argument("--idle-after", type=float, default=1.0, metavar="S",
                   help="seconds without input after which event time follows the wall clock (default 1); "
                   "raise it only to process old recorded traffic live")
    c = p.add_argument_group("security desk console (see docs/console.md)")
    c.add_argument("--console", default="127.0.0.1:8080", metavar="HOST:PORT",
                   help="where the web console and its HTTP API listen (default 127.0.0.1:8080)")
    c.add_argument("--no-console", action="store_true", help="do not serve the console")
    c.add_argument("--console-db", type=Path, default=None, metavar="FILE",
                   help="console users, sessions and desk notes (default: console.db beside --store)")
    g = p.add_argument_group("InfluxDB (events, alert transitions and metrics; see docs/influxdb.md)")
    g.add_argument("--influx", default=None, metavar="URL",
                   help="InfluxDB base URL, e.g. http://127.0.0.1:8086 (1.x, 2.x or 3.x; off when absent)")
    g.add_argument("--influx-db", default="zhian", metavar="NAME",
                   help="database (1.x, 3.x) or DBRP database name (2.x) (default zhian)")
    g.add_argument("--influx-rp", default=None, metavar="RP", help="retention policy (default: the database's)")
    g.add_argument("--influx-token", default=None, metavar="TOKEN",
                   help="API token (2.x, 3.x); default $INFLUX_TOKEN")
    g.add_argument("--influx-org", default=None, metavar="ORG", help="2.x organisation (with --influx-bucket)")
    g.add_argument("--influx-bucket", default=None, metavar="BUCKET",
                   help="2.x bucket, created with its DBRP mapping at start-up if missing")
    g.add_argument("--influx-retry-max", type=float, default=30.0, metavar="S",
                   help="longest wait between retries while InfluxDB is unreachable (default 30)")
    g.add_argument("--metrics-every", type=float, default=10.0, metavar="S",
                   help="seconds between metric points written to InfluxDB (default 10)")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `run` subcommand."""
    p = sub.add_parser("run", help="the live processor: MQTT in, rules, alerts out")
    p.add_argument("--broker", default="127.0.0.1:1883", help="MQTT broker host:port (default 127.0.0.1:1883)")
    add_live_options(p)
    p.set_defaults(func=run)


def build(args: argparse.Namespace, broker_address: str) -> LiveProcessor:
    """The live processor configured from the command line."""
    registry = load_registry(args.devices)
    broker = BrokerConfig.parse(
        broker_address, client_id=args.client_id or f"zhian-{registry.community.id}",
        username=args.username or os.environ.get("ZHIAN_MQTT_USERNAME") or None,
        password=args.password or os.environ.get("ZHIAN_MQTT_PASSWORD") or None, client=args.mqtt_client)
    config = LiveConfig(store_path=args.store, rules_dir=args.rules, durability=args.durability,
                        snapshot_every_s=args.snapshot_every, health_file=args.health_file,
                        influx=influx_target(args), influx_backoff_cap_s=args.influx_retry_max,
                        metrics_every_s=args.metrics_every, idle_after_s=args.idle_after,
                        devices_file=args.devices, cameras=not args.no_cameras, tune_gc=True,
                        processes=args.processes)
    return LiveProcessor(registry, broker, config)


def influx_target(args: argparse.Namespace) -> InfluxTarget | None:
    """The InfluxDB target of --influx and its companions, or None."""
    if not args.influx:
        return None
    if bool(args.influx_org) != bool(args.influx_bucket):
        raise ValueError("--influx-org and --influx-bucket go together (InfluxDB 2.x)")
    token = args.influx_token or os.environ.get("INFLUX_TOKEN") or None
    if args.influx_bucket and not token:
        raise ValueError("InfluxDB 2.x (--influx-bucket) needs --influx-token or $INFLUX_TOKEN")
    target = InfluxTarget(args.influx, database=args.influx_db, retention_policy=args.influx_rp, token=token,
                          org=args.influx_org, bucket=args.influx_bucket)
    InfluxHttp(target)  # validates the URL now rather than in the worker thread
    return target


def console_db_path(args: argparse.Namespace) -> Path:
    """The console's database: --console-db, or console.db beside the store."""
    return Path(args.console_db) if args.console_db else Path(args.store).parent / "console.db"


def event_time(processor: LiveProcessor) -> int:
    """The engine's event time now: its watermark (the wall clock before the first event).

    A desk action stamped so (or at its alert's time, if later: see the console's
    `desk_event_ts`) is released with the next moves of the watermark, before any escalation
    due later; stamped with the wall clock it would wait the allowed lateness (5 s) and an
    escalation due meanwhile would win."""
    watermark = processor.watermark_ms()  # read-only; the engine may be swapped on reload, or run apart
    return watermark if watermark > NO_WATERMARK else int(time.time() * 1000)


def start_console(args: argparse.Namespace, processor: LiveProcessor) -> ConsoleServer | None:
    """Serve the console beside the processor (None with --no-console, or when it cannot
    listen: the processor still runs, since alerts on MQTT matter more than the page);
    ValueError for a malformed --console."""
    if args.no_console:
        return None
    # here, not at the top: FastAPI takes ~0.3 s to import, which every `zhian` command would pay
    from zhian.console.context import ConsoleContext
    from zhian.console.db import ConsoleDB
    from zhian.console.server import ConsoleServer, parse_listen

    host, port = parse_listen(args.console)
    ctx = ConsoleContext(args.store, processor.registry, ConsoleDB(console_db_path(args)), submit=processor.submit,
                         event_time=lambda: event_time(processor))
    try:
        server = ConsoleServer(ctx, host, port).start()
    except RuntimeError as exc:
        log.error("%s; zhian runs on without the console", exc)
        ctx.users.close()
        return None
    if not ctx.users.users():
        log.warning("console: no users yet; add one with `zhian users add NAME --role admin --store %s`", args.store)
    log.info("console at %s", server.url)
    return server


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT or SIGTERM."""
    try:
        processor = build(args, args.broker)
    except RegistryError as exc:
        log_problems(exc, log)
        return 2
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    try:
        console = start_console(args, processor)
    except ValueError as exc:
        log.error("%s", exc)
        processor.store.close()
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("zhian run: community %s, broker %s, store %s%s", processor.registry.community.id,
             args.broker, args.store, f", InfluxDB {args.influx} db {args.influx_db}" if args.influx else "")
    try:
        processor.run(stop)
    finally:
        if console is not None:
            console.stop()
    log.info("stopped after %d events", processor.processed)
    return 0
