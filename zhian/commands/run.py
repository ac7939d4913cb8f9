"""`zhian run`: the live processor."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from ingest.errors import RegistryError
from ingest.mqtt import BrokerConfig
from ingest.registry import load_registry
from zhian.live import LiveConfig, LiveProcessor

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
    p.add_argument("--username", default=None, help="MQTT user name")
    p.add_argument("--password", default=None, help="MQTT password")


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
        username=args.username, password=args.password)
    config = LiveConfig(store_path=args.store, rules_dir=args.rules, durability=args.durability,
                        snapshot_every_s=args.snapshot_every, health_file=args.health_file)
    return LiveProcessor(registry, broker, config)


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT or SIGTERM."""
    try:
        processor = build(args, args.broker)
    except RegistryError as exc:
        for problem in exc.problems:
            log.error("%s", problem)
        return 2
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("zhian run: community %s, broker %s, store %s", processor.registry.community.id,
             args.broker, args.store)
    processor.run(stop)
    log.info("stopped after %d events", processor.processed)
    return 0
