"""`zhian upstream`: push alert transitions to a GA/T 1400 视图库 beside `zhian run`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path

from ingest.errors import RegistryError
from ingest.registry import load_registry
from zhian.commands import log_problems
from zhian.upstream.uplink import OutboxReader, Position, Uplink, UplinkConfig
from zhian.upstream.viid import ViidClient, ViidConfig

log = logging.getLogger("zhian.upstream")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `upstream` subcommand."""
    p = sub.add_parser("upstream", help="push alerts to the police platform (GA/T 1400 视图库)")
    p.add_argument("--devices", type=Path, default=Path("devices.yaml"), help="devices.yaml (for the community)")
    p.add_argument("--store", type=Path, default=Path("var/zhian.db"), help="the store of `zhian run` (read-only)")
    p.add_argument("--viid", required=True, metavar="URL", help="the 视图库, e.g. http://10.1.2.3:8080")
    p.add_argument("--device-id", required=True, help="zhian's 20-digit code assigned by the platform")
    p.add_argument("--subscribe-id", required=True, help="the platform's subscription id for zhian's alerts")
    p.add_argument("--username", required=True, help="Digest user name")
    p.add_argument("--password", default=None, help="Digest password (default: $VIID_PASSWORD)")
    p.add_argument("--position", type=Path, default=Path("var/upstream.position"),
                   help="file keeping the last pushed outbox number (default var/upstream.position)")
    p.add_argument("--keepalive", type=float, default=60.0, metavar="S", help="seconds between keepalives")
    p.add_argument("--states", default="raised,updated,acknowledged,cleared,escalated",
                   help="alert states to push, comma-separated (default: all)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT or SIGTERM; unregister on the way out."""
    password = args.password or os.environ.get("VIID_PASSWORD")
    if not password:
        log.error("no password: give --password or set $VIID_PASSWORD")
        return 2
    try:
        registry = load_registry(args.devices)
        config = ViidConfig(args.viid, args.device_id, args.username, password)
    except RegistryError as exc:
        log_problems(exc, log)
        return 2
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    args.position.parent.mkdir(parents=True, exist_ok=True)
    uplink = Uplink(ViidClient(config), OutboxReader(args.store, registry.community.id), Position(args.position),
                    UplinkConfig(args.subscribe_id, keepalive_s=args.keepalive,
                                 states=frozenset(s.strip() for s in args.states.split(",") if s.strip())))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("zhian upstream: %s as %s, alerts of %s from %s", args.viid, args.device_id,
             registry.community.id, args.store)
    uplink.run(stop)
    log.info("stopped after %d notifications", uplink.sent)
    return 0
