"""`zhian health`: exit 0 when the live processor's loop is running and connected."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

# what `zhian run` writes after the time stamp when it is not healthy
REASONS = {
    "disconnected": "not connected to the MQTT broker",
    "engine-down": "the engine process is down (zhian run --processes 2 restarts it; see its log)",
}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `health` subcommand (used by the container healthcheck)."""
    p = sub.add_parser("health", help="check that `zhian run --health-file F` is alive and connected")
    p.add_argument("--file", type=Path, required=True, help="the --health-file of zhian run")
    p.add_argument("--max-age", type=float, default=30.0, help="seconds the file may be old (default 30)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """0 healthy, 1 stale or disconnected, with the reason on stdout."""
    try:
        stamp, state = args.file.read_text().split()
    except (OSError, ValueError):
        print(f"unhealthy: {args.file} missing or unreadable (is zhian run started with --health-file?)")
        return 1
    age = time.time() - int(stamp)
    if age > args.max_age:
        print(f"unhealthy: processing loop silent for {age:.0f} s")
        return 1
    if state != "connected":
        print(f"unhealthy: {REASONS.get(state, f'state {state!r}')}")
        return 1
    print(f"healthy: loop alive {age:.0f} s ago, connected")
    return 0
