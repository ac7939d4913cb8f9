"""The `zhian` command: each subcommand lives in its own module with `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from zhian import LOG_FORMAT

# Modules that add subcommands; each has `register(subparsers)` that sets `func(args) -> int`.
COMMAND_MODULES = (
    "zhian.commands.replay",
    "zhian.commands.run",
    "zhian.commands.simulate",
    "zhian.commands.devices",
    "zhian.commands.rules",
    "zhian.commands.timeline",
    "zhian.commands.scale",
    "zhian.commands.throwing",
    "zhian.commands.throwing_synth",
    "zhian.commands.throwing_eval",
    "zhian.commands.throwing_calibrate",
    "zhian.commands.health",
    "zhian.commands.demo",
    "zhian.commands.users",
    "zhian.upstream.command",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="zhian", description="Security event processor of a smart safe compound (智安小区)."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format=LOG_FORMAT,
        stream=sys.stderr,
    )
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
