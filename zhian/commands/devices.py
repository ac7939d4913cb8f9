"""`zhian devices …`: the installer's tools for devices.yaml."""

from __future__ import annotations

import argparse
from pathlib import Path

from ingest.errors import RegistryError
from ingest.registry import load_registry


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `devices` subcommand and its actions."""
    p = sub.add_parser("devices", help="installer tools for devices.yaml")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    v = actions.add_parser("validate", help="check devices.yaml; print every error with file, line and key")
    v.add_argument("file", type=Path, help="the devices.yaml to check")
    v.set_defaults(func=validate)


def validate(args: argparse.Namespace) -> int:
    """Print every problem; exit 1 when there is one."""
    try:
        registry = load_registry(args.file)
    except RegistryError as exc:
        for problem in exc.problems:
            print(f"error: {problem}")
        print(f"{args.file}: {len(exc.problems)} error(s)")
        return 1
    kinds: dict[str, int] = {}
    for device in registry.devices:
        kinds[device.type] = kinds.get(device.type, 0) + 1
    summary = ", ".join(f"{n} {t}" for t, n in sorted(kinds.items()))
    print(f"{args.file}: ok — community {registry.community.id} ({registry.community.name}), "
          f"{len(registry.devices)} devices ({summary}), {len(registry.watchlist)} watched")
    return 0
