"""`zhian simulate`: a replay file of a simulated week with its truth, or live traffic."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from ingest.errors import RegistryError
from ingest.event import parse_ts_ms
from ingest.registry import Registry, load_registry
from zhian.commands import print_problems
from zhian.simulate.clock import DAY, rfc3339_formatter
from zhian.simulate.incidents import INCIDENTS
from zhian.simulate.live import BrokerUnavailable, LiveOptions, run_live
from zhian.simulate.replayfile import write_replay, write_truth
from zhian.simulate.week import PLAN, simulate_week

log = logging.getLogger("zhian.simulate")

# A Monday at community midnight: replay files are reproducible without --start.
DEFAULT_START = "2026-11-02T00:00:00+08:00"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `simulate` subcommand."""
    p = sub.add_parser(
        "simulate",
        help="simulate the compound's traffic: a replay file with truth, or live to a broker",
        description="With --out: writes a replay file of a simulated week (normal life, one "
        "incident per rule of the default pack, near misses) and, with --truth, the alerts it "
        "must yield. With --broker: publishes live traffic starting now at real time x --speed "
        "and injects incidents so that a person can watch alerts happen.",
    )
    p.add_argument("--devices", required=True, type=Path, help="devices.yaml of the compound")
    p.add_argument("--seed", type=int, default=1, help="random seed (same seed, same traffic)")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", type=Path, help="write a replay file (JSON lines) here")
    mode.add_argument("--broker", metavar="HOST:PORT", help="publish live to this MQTT broker")
    mode.add_argument("--list-incidents", action="store_true", help="print incident names and exit")
    f = p.add_argument_group("replay file (--out)")
    f.add_argument("--days", type=int, default=7, help="simulated days (default 7)")
    f.add_argument(
        "--start",
        default=DEFAULT_START,
        help=f"first event time, RFC 3339 or epoch ms (default {DEFAULT_START})",
    )
    f.add_argument("--truth", type=Path, help="write the expected alerts (JSON) here")
    f.add_argument("--normal-only", action="store_true", help="no incidents or near misses")
    b = p.add_argument_group("live (--broker)")
    b.add_argument(
        "--speed", type=float, default=1.0,
        help="simulated seconds per real second (default 1). Above 1, event time runs ahead of the "
        "clock, and `zhian run` rejects events more than 10 min ahead (clock_ahead)"
    )
    b.add_argument(
        "--incident",
        action="append",
        default=[],
        choices=sorted(INCIDENTS),
        metavar="NAME",
        help="inject this incident (repeatable; default: rotate through all rules)",
    )
    b.add_argument(
        "--incident-every",
        type=float,
        default=30.0,
        metavar="S",
        help="real seconds between injected incidents (default 30; 0 = none)",
    )
    b.add_argument("--count", type=int, help="stop after publishing N events")
    b.add_argument("--duration", type=float, metavar="S", help="stop after S real seconds")
    b.add_argument("--username", help="MQTT user name")
    b.add_argument("--password", help="MQTT password")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen mode; 0 on success, 2 on bad input or an unreachable broker."""
    if args.list_incidents:
        for name, builder in INCIDENTS.items():
            print(f"{name:24} {(builder.__doc__ or '').strip().splitlines()[0]}")
        return 0
    try:
        registry = load_registry(args.devices)
    except RegistryError as exc:
        print_problems(exc)
        return 2
    if args.out is not None:
        return _to_file(registry, args)
    return _live(registry, args)


def _to_file(registry: Registry, args: argparse.Namespace) -> int:
    try:
        start_ms = parse_ts_ms(int(args.start) if args.start.isdigit() else args.start)
    except ValueError as exc:
        print(f"error: --start: {exc}", file=sys.stderr)
        return 2
    if args.days < 1:
        print("error: --days must be at least 1", file=sys.stderr)
        return 2
    fmt = rfc3339_formatter(registry.community.tz)
    began = time.perf_counter()
    plan = () if args.normal_only else PLAN
    traffic, truth = simulate_week(registry, start_ms, args.seed, args.days, plan=plan)

    def progress(count: int, ts_ms: int) -> None:
        day = (ts_ms - start_ms) / DAY
        print(
            f"simulate: {count:,} events, {fmt(ts_ms)[:16]} (day {day:.1f} of {args.days})",
            file=sys.stderr,
        )

    count = write_replay(traffic, args.out, progress)
    if args.truth is not None:
        write_truth(truth, args.truth)
    for skipped in truth["skipped"]:
        print(f"simulate: skipped {skipped['name']}: {skipped['reason']}", file=sys.stderr)
    print(
        f"simulate: wrote {count:,} events to {args.out} in {time.perf_counter() - began:.1f} s; "
        f"{len(truth['alerts'])} expected alerts, {len(truth['near_misses'])} near misses"
        + (f" (truth in {args.truth})" if args.truth else ""),
        file=sys.stderr,
    )
    return 0


def _live(registry: Registry, args: argparse.Namespace) -> int:
    host, _, port = args.broker.rpartition(":")
    if not host or not port.isdigit():
        host, port = args.broker, "1883"
    if args.speed <= 0:
        print("error: --speed must be positive", file=sys.stderr)
        return 2
    opts = LiveOptions(
        host=host,
        port=int(port),
        speed=args.speed,
        seed=args.seed,
        incidents=tuple(args.incident),
        incident_every_s=args.incident_every,
        first_incident_s=min(5.0, args.incident_every) if args.incident_every > 0 else 0.0,
        count=args.count,
        duration_s=args.duration,
        username=args.username,
        password=args.password,
    )
    try:
        run_live(registry, opts)
    except BrokerUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
