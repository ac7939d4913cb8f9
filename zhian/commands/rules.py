"""`zhian rules test [DIR]` runs rule tests; `zhian rules check [DIR]` validates rule files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.errors import RegistryError
from ingest.registry import Registry, load_registry
from rules.load import PACK_DIR, load_rule_set
from rules.testing import run_directory
from zhian.commands import print_problems


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `rules` subcommand with its `test` and `check` actions."""
    p = sub.add_parser("rules", help="validate and test rule files",
                       description="Rule files: the default pack plus a community directory.")
    actions = p.add_subparsers(dest="rules_action", metavar="ACTION")
    actions.required = True
    t = actions.add_parser(
        "test", help="run the *.tests.yaml cases of a rules directory",
        description="Runs every case of DIR/*.tests.yaml against the default pack overridden by "
        "DIR's rule files. Without DIR, runs the default pack's own tests.",
    )
    t.add_argument("dir", nargs="?", type=Path, default=PACK_DIR, help="rules directory")
    t.add_argument("--devices", type=Path, default=None,
                   help="devices.yaml for tests files that name none (default: the pack's test compound)")
    t.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    t.set_defaults(func=run)
    c = actions.add_parser("check", help="validate and compile rule files against devices.yaml")
    c.add_argument("dir", nargs="?", type=Path, default=None, help="rules directory overriding the pack")
    c.add_argument("--devices", type=Path, required=True, help="devices.yaml of the compound")
    c.set_defaults(func=run)


def _registry(path: Path | None) -> Registry | None:
    return load_registry(path) if path is not None else None


def run(args: argparse.Namespace) -> int:
    """0 when everything passed, 1 when a test failed, 2 when files are invalid."""
    out = sys.stdout.write
    try:
        registry = _registry(args.devices)
        if args.rules_action == "check":
            assert registry is not None
            rules = load_rule_set(registry, args.dir)
            out(f"ok: {len(rules)} rules ({', '.join(r.name for r in rules)})\n")
            return 0
        results = run_directory(args.dir, registry)
    except RegistryError as exc:
        print_problems(exc)
        return 2
    if not results:
        sys.stderr.write(f"error: no *.tests.yaml in {args.dir}\n")
        return 2
    failed = [r for r in results if not r.ok]
    for r in results:
        if r.ok and not args.quiet:
            out(f"PASS {r.rule}: {r.case}\n")
        elif not r.ok:
            out(f"FAIL {r.rule}: {r.case}\n     {r.file}: {r.detail}\n")
    out(f"{len(results) - len(failed)} passed, {len(failed)} failed\n")
    return 1 if failed else 0
