"""`zhian replay TRAFFIC.jsonl --devices devices.yaml [--rules DIR] --json` (PRODUCT.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO

import orjson

from ingest.errors import RegistryError, RejectError
from ingest.registry import load_registry
from rules.engine import Emitted
from zhian.commands import print_problems
from zhian.pipeline import Message, Pipeline, load_processors
from zhian.replay import read_lines, redact_line, replay, stderr


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `replay` subcommand."""
    p = sub.add_parser(
        "replay",
        help="run a traffic file through ingest and rules on event time; print alert transitions",
        description="Reads lines of {\"topic\": ..., \"payload\": ...}, runs them through the same "
        "ingest, adapters, detectors and rules as live traffic, and prints every alert "
        "transition as one JSON line on stdout. Progress and rejects go to stderr.",
    )
    p.add_argument("traffic", help="traffic file (JSON lines); - for stdin")
    p.add_argument("--devices", required=True, type=Path, help="devices.yaml of the compound")
    p.add_argument("--rules", type=Path, default=None, help="directory of rule files overriding the default pack")
    p.add_argument("--json", action="store_true", help="print alert transitions as JSON lines (the default)")
    p.add_argument("--commands", action="store_true", help="also print device commands")
    p.add_argument("--dead-letters", type=Path, default=None,
                   help="write rejected lines with reasons here (JSON lines)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Replay the file; exit 0 unless the inputs could not be opened or configured."""
    try:
        registry = load_registry(args.devices)
        processors = load_processors(registry, args.rules)
        pipeline = Pipeline(registry, processors)
    except RegistryError as exc:  # also an unusable subject salt (ZHIAN_SUBJECT_SALT)
        print_problems(exc)
        return 2
    alerts_topic = f"zhian/{registry.community.id}/alerts"
    write = sys.stdout.buffer.write

    def out(item: Emitted, message: Message) -> None:
        topic, payload = message
        if topic == alerts_topic or args.commands:
            write(orjson.dumps(payload if topic == alerts_topic else {"topic": topic, "payload": payload}) + b"\n")

    dead: IO[bytes] | None = None
    if args.dead_letters:
        dead = args.dead_letters.open("wb")

    def on_reject(line_no: int, topic: str, line: bytes, exc: RejectError) -> None:
        if dead is not None:
            # with a salt, subject ids in the kept line are pseudonymised like those of events
            raw = redact_line(line, pipeline.redact)
            dead.write(orjson.dumps({"line": line_no, "reason": exc.reason, "field": exc.field,
                                     "detail": pipeline.redact_detail(exc.detail, line),
                                     "raw": raw[:4096].decode("utf-8", "replace")}) + b"\n")

    try:
        stream = sys.stdin.buffer if args.traffic == "-" else open(args.traffic, "rb")  # noqa: SIM115
    except OSError as exc:
        stderr(f"error: cannot read {args.traffic}: {exc.strerror}")
        return 2
    size = None if args.traffic == "-" else os.path.getsize(args.traffic)
    try:
        with stream:
            stats = replay(read_lines(stream, size, stderr), pipeline, out, on_reject)
    finally:
        if dead is not None:
            dead.close()
        sys.stdout.flush()
    stderr(stats.summary())
    return 0
