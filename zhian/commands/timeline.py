"""`zhian timeline`: the police liaison's incident timeline from the SQLite store or InfluxDB,
as a table, JSON lines or CSV, or exported as a case package; every run is audited."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alerts.sinks.influx import InfluxError, InfluxTarget
from ingest.errors import RegistryError
from ingest.event import parse_ts_ms
from ingest.pseudonym import SaltError, pseudonymizer_from_env
from ingest.registry import Registry, load_registry
from zhian.commands import log_problems
from zhian.store import Store
from zhian.timeline.export import sha256_file, write_package
from zhian.timeline.influx import InfluxTimeline
from zhian.timeline.model import EVIDENCE_LOOKBACK_MS, TimelineBackend, TimelineQuery, run_query
from zhian.timeline.output import csv_text, json_lines, table
from zhian.timeline.sqlite import SqliteTimeline

log = logging.getLogger("zhian.timeline")

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def duration_ms(text: str) -> int:
    """`90s`, `30m`, `2h`, `7d` in milliseconds."""
    m = _DURATION.match(text.strip())
    if not m:
        raise ValueError(f"duration {text!r}: expected a number with s, m, h or d (like 2h)")
    return int(float(m.group(1)) * _UNIT_MS[m.group(2)])


def time_ms(text: str, tz: ZoneInfo) -> int:
    """RFC 3339 with an offset, epoch milliseconds, or a local time of the community
    (`2026-11-05 10:20`, `2026-11-05T10:20:00`, `2026-11-05`)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        return parse_ts_ms(text)
    except ValueError:
        pass
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"time {text!r}: expected RFC 3339, epoch ms or a local time like 2026-11-05 10:20") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=tz)
    return int(local.timestamp() * 1000)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `timeline` subcommand."""
    p = sub.add_parser("timeline", help="incident timeline by place, device, person and time (audited)",
                       description="Events and alert transitions in a time range, filtered by place, device, "
                                   "subject or rule, from the SQLite store or InfluxDB. Every query and "
                                   "export is written to the audit log in the store.")
    when = p.add_argument_group("time range (default: the last 24 h)")
    when.add_argument("--from", dest="start", default=None, metavar="T",
                      help="start (inclusive): RFC 3339, epoch ms, or community local time '2026-11-05 10:20'")
    when.add_argument("--to", dest="end", default=None, metavar="T", help="end (exclusive), same forms; default now")
    when.add_argument("--last", default=None, metavar="DUR", help="the range ending at --to (or now): 30m, 2h, 7d")
    f = p.add_argument_group("filters (all optional, combined with AND)")
    f.add_argument("--community", default=None)
    f.add_argument("--building", default=None)
    f.add_argument("--unit", default=None)
    f.add_argument("--floor", type=int, default=None)
    f.add_argument("--zone", default=None)
    f.add_argument("--device", default=None)
    f.add_argument("--subject", default=None,
                   help="a person's or credential's id as the devices report it (with a subject salt set, "
                        "it is pseudonymised before the query and only the pseudonym is audited)")
    f.add_argument("--pseudonym", default=None, metavar="P",
                   help="a subject's pseudonym as alerts and timelines show it (p-…), instead of --subject")
    f.add_argument("--rule", default=None, help="alerts of this rule, and as events only their evidence")
    f.add_argument("--only", choices=("events", "alerts"), default=None, help="only events or only alerts")
    src = p.add_argument_group("source")
    src.add_argument("--store", type=Path, default=Path("var/zhian.db"),
                     help="SQLite store: queried unless --influx is given, and always holds the audit log")
    src.add_argument("--devices", type=Path, default=Path("devices.yaml"), help="devices.yaml (locations, time zone)")
    src.add_argument("--influx", default=None, metavar="URL", help="query InfluxDB at URL instead of the store")
    src.add_argument("--influx-db", default="zhian", metavar="NAME", help="database or DBRP name (default zhian)")
    src.add_argument("--influx-rp", default=None, metavar="RP")
    src.add_argument("--influx-token", default=None, metavar="TOKEN", help="API token (default $INFLUX_TOKEN)")
    out = p.add_argument_group("output")
    out.add_argument("--format", choices=("table", "json", "csv"), default="table")
    out.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of alert summaries")
    out.add_argument("--export", type=Path, default=None, metavar="DIR",
                     help="write a case package (events, alerts, evidence, manifest with SHA-256) into DIR")
    out.add_argument("--evidence-root", type=Path, default=Path("."),
                     help="where relative evidence paths of events are found (default: .)")
    out.add_argument("--user", default=None, help="who asks, for the audit log (default: the OS user)")
    p.set_defaults(func=run)


def build_query(args: argparse.Namespace, tz: ZoneInfo, now_ms: int,
                pseudonym: Callable[[str], str] | None = None) -> TimelineQuery:
    """The query the options describe; `--subject` mapped with `pseudonym` when given."""
    end = time_ms(args.end, tz) if args.end else now_ms
    if args.start and args.last:
        raise ValueError("give --from or --last, not both")
    start = time_ms(args.start, tz) if args.start else end - duration_ms(args.last or "24h")
    if start >= end:
        raise ValueError("the range is empty: --from must be before --to")
    return TimelineQuery(start, end, community=args.community, building=args.building, unit=args.unit,
                         floor=args.floor, zone=args.zone, device=args.device, subject=query_subject(args, pseudonym),
                         rule=args.rule, events=args.only != "alerts", alerts=args.only != "events")


def query_subject(args: argparse.Namespace, pseudonym: Callable[[str], str] | None) -> str | None:
    """The subject as the store holds it: the clear id pseudonymised under a salt, or a pseudonym."""
    clear, given = getattr(args, "subject", None), getattr(args, "pseudonym", None)
    if clear is not None and given is not None:
        raise ValueError("give --subject or --pseudonym, not both")
    if given is not None:
        if pseudonym is None:
            raise ValueError("--pseudonym needs the subject salt (ZHIAN_SUBJECT_SALT or ZHIAN_SUBJECT_SALT_FILE) "
                             "that made it; without one, subjects are stored as the devices sent them")
        return str(given)
    if clear is None or pseudonym is None:
        return clear
    return pseudonym(clear)


def audited_argv(argv: list[str], clear: str | None, stored: str | None) -> list[str]:
    """The command line for the audit log, with a clear subject id replaced by its pseudonym."""
    if clear is None or stored is None or clear == stored:
        return argv
    out = []
    for arg in argv:
        option, equals, value = arg.partition("=")
        if arg == clear:
            arg = stored
        elif equals and option.startswith("--") and value == clear:  # --subject=ID, also abbreviated
            arg = f"{option}={stored}"
        out.append(arg)
    return out


def open_backend(args: argparse.Namespace, registry: Registry | None) -> tuple[TimelineBackend, str]:
    """The backend to query and a description of its source for the audit log."""
    if args.influx:
        token = args.influx_token or os.environ.get("INFLUX_TOKEN") or None
        target = InfluxTarget(args.influx, database=args.influx_db, retention_policy=args.influx_rp, token=token)
        return InfluxTimeline(target), f"{args.influx} db={args.influx_db}"
    if registry is None:
        raise ValueError(f"the SQLite backend needs devices.yaml for locations: {args.devices} not found")
    return SqliteTimeline(args.store, registry), str(args.store)


def run(args: argparse.Namespace) -> int:
    """Query (or export), print, and audit."""
    user = args.user or getpass.getuser()
    registry: Registry | None = None
    try:
        if args.devices.exists() or not args.influx:
            registry = load_registry(args.devices)
    except RegistryError as exc:
        log_problems(exc, log)
        return 2
    try:
        pseudonym = pseudonymizer_from_env()
    except SaltError as exc:
        log_problems(exc, log)
        return 2
    tz = registry.community.tz if registry else ZoneInfo("UTC")
    now_ms = int(time.time() * 1000)
    try:
        q = build_query(args, tz, now_ms, pseudonym)
        backend, source = open_backend(args, registry)
    except (ValueError, FileNotFoundError) as exc:
        log.error("%s", exc)
        return 2
    action = "export" if args.export else "query"
    detail: dict[str, Any] = {"backend": backend.name, "source": source, "query": q.describe(),
                              "format": args.format, "argv": audited_argv(sys.argv[1:], args.subject, q.subject)}
    audit = Store(args.store)
    try:
        try:
            t = run_query(backend, q)
            cited = []
            if args.export:
                ids = {e for a in t.alerts for e in a.payload.get("evidence") or []}
                have = {e.id for e in t.events}
                missing = ids - have
                cited = backend.events_by_id(missing, q.start_ms - EVIDENCE_LOOKBACK_MS, q.end_ms) if missing else []
                manifest = write_package(args.export, t, cited, tz, user=user, backend=backend.name, source=source,
                                         evidence_root=args.evidence_root, lang=args.lang)
                detail["export"] = {"dir": str(args.export.resolve()), "counts": manifest["counts"],
                                    "manifest_sha256": _manifest_hash(args.export)}
        except (InfluxError, ConnectionError, OSError) as exc:
            detail["error"] = str(exc)
            audit.audit(user, action, detail, now_ms)
            log.error("%s failed: %s", action, exc)
            return 1
        detail["rows"] = {"events": len(t.events), "alerts": len(t.alerts)}
        audit.audit(user, action, detail, now_ms)
    finally:
        audit.close()
        backend_close = getattr(backend, "close", None)
        if backend_close is not None:
            backend_close()
    if args.export:
        print(f"case package written to {args.export}: {len(t.events)} events, {len(t.alerts)} alert transitions, "
              f"{detail['export']['counts']['evidence_files']} evidence files; manifest.json and SHA256SUMS list "
              "every file's SHA-256", file=sys.stderr)
        return 0
    if args.format == "json":
        sys.stdout.write("".join(line + "\n" for line in json_lines(t, tz)))
    elif args.format == "csv":
        sys.stdout.write(csv_text(t, tz, args.lang))
    else:
        sys.stdout.write(table(t, tz, args.lang))
    return 0


def _manifest_hash(directory: Path) -> str:
    return sha256_file(directory / "manifest.json")


def main(argv: Sequence[str] | None = None) -> int:
    """Run `zhian timeline` alone (until it is listed in zhian.cli.COMMAND_MODULES)."""
    parser = argparse.ArgumentParser(prog="zhian")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["timeline", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
