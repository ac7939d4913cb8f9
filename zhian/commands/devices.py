"""`zhian devices …`: the installer's tools for devices.yaml, credentials and commissioning."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ingest.decode import Decoder
from ingest.errors import RegistryError, RejectError
from ingest.mqtt import BrokerConfig
from ingest.registry import Registry, load_registry
from zhian.commands import print_problems
from zhian.provision import ZHIAN_USER, load_secrets, provision

DEFAULT_AUTH = Path("deploy/auth")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `devices` subcommand and its actions."""
    p = sub.add_parser("devices", help="installer tools: devices.yaml, MQTT credentials, online check, test events")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    v = actions.add_parser("validate", help="check devices.yaml; print every error with file, line and key")
    v.add_argument("file", type=Path, help="the devices.yaml to check")
    v.set_defaults(func=validate)

    ls = actions.add_parser("list", help="the registered devices as a table")
    ls.add_argument("file", type=Path, help="devices.yaml")
    ls.add_argument("--json", action="store_true", help="one JSON object per device instead of a table")
    ls.set_defaults(func=list_devices)

    a = actions.add_parser("add", help="append a device to devices.yaml (comments kept; validated first)")
    a.add_argument("file", type=Path, help="devices.yaml")
    a.add_argument("--id", required=True, help="device id, [a-z0-9][a-z0-9-]{0,39}")
    a.add_argument("--type", required=True, help="door | camera | elevator | charger | socket | smoke")
    a.add_argument("--zone", required=True, help="gate | lobby | household | elevator | corridor | …")
    a.add_argument("--name", help="label shown to the desk")
    a.add_argument("--vendor", help="native (default) | hikvision | dahua | frigate | gat1400")
    a.add_argument("--building")
    a.add_argument("--unit")
    a.add_argument("--floor", type=int)
    a.add_argument("--household", help="home of a smart lock, like 3-1-1202")
    a.add_argument("--occupants", type=int, help="registered occupants of the household")
    a.add_argument("--elevator", help="elevator controller a lift camera commands")
    a.add_argument("--heartbeat-s", type=int, help="override of defaults.heartbeat_s")
    a.add_argument("--stream", help="camera stream URL or file (throwing detector)")
    a.set_defaults(func=add)

    pr = actions.add_parser("provision", help="per-device MQTT passwords, Mosquitto password_file and acl_file")
    pr.add_argument("file", type=Path, help="devices.yaml")
    pr.add_argument("--out", type=Path, default=DEFAULT_AUTH, help=f"output directory (default {DEFAULT_AUTH})")
    pr.add_argument("--rotate", action="append", default=[], metavar="USER",
                    help="give this device (or zhian, desk) a new password; repeatable")
    pr.add_argument("--rotate-all", action="store_true", help="new passwords for everyone")
    pr.set_defaults(func=provision_cmd)

    c = actions.add_parser("check", help="which registered devices are online; which unregistered ids talk")
    c.add_argument("file", type=Path, help="devices.yaml")
    _broker_options(c)
    c.add_argument("--listen", type=float, default=10.0, metavar="S",
                   help="seconds to listen on the broker (default 10; 0 to skip)")
    c.add_argument("--store", type=Path, help="the store of the running `zhian run` (last events, unknown ids)")
    c.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    c.set_defaults(func=check)

    t = actions.add_parser("test", help="publish a test event as a device and show what zhian makes of it")
    t.add_argument("file", type=Path, help="devices.yaml")
    t.add_argument("device", help="the device to publish as")
    _broker_options(t)
    t.add_argument("--payload", type=Path, help="a payload file to send (a vendor device needs one in its format)")
    t.add_argument("--type", default="device.heartbeat", help="event type of the generated native test event "
                   "(default device.heartbeat, which raises no alert)")
    t.add_argument("--dry-run", action="store_true", help="only decode it here; publish nothing")
    t.add_argument("--store", type=Path, help="wait until the running `zhian run` has stored it")
    t.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds to wait (default 10)")
    t.set_defaults(func=test)


def _broker_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--broker", default="127.0.0.1:1883", help="MQTT broker host:port (default 127.0.0.1:1883)")
    p.add_argument("--secrets", type=Path, default=DEFAULT_AUTH / "secrets.json",
                   help=f"passwords from `devices provision` (default {DEFAULT_AUTH}/secrets.json)")


def _load(path: Path) -> Registry | None:
    try:
        return load_registry(path)
    except RegistryError as exc:
        print_problems(exc)
        return None


def validate(args: argparse.Namespace) -> int:
    """Print every problem; exit 1 when there is one."""
    try:
        registry = load_registry(args.file)
    except RegistryError as exc:
        print_problems(exc, sys.stdout)  # the report itself: stdout
        print(f"{args.file}: {len(exc.problems)} error(s)")
        return 1
    kinds: dict[str, int] = {}
    for device in registry.devices:
        kinds[device.type] = kinds.get(device.type, 0) + 1
    summary = ", ".join(f"{n} {t}" for t, n in sorted(kinds.items()))
    print(f"{args.file}: ok — community {registry.community.id} ({registry.community.name}), "
          f"{len(registry.devices)} devices ({summary}), {len(registry.watchlist)} watched")
    return 0


def _location(d: Any) -> str:
    if d.household:
        return d.household
    return "-".join(str(x) for x in (d.building, d.unit) if x) + (f" F{d.floor}" if d.floor is not None else "")


def _table(headers: list[str], rows: list[list[str]]) -> str:
    # width by display columns: CJK characters take two
    def width(s: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)
    widths = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = []
    for row in [headers, *rows]:
        lines.append("  ".join(cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def list_devices(args: argparse.Namespace) -> int:
    """Print the registry as a table (or JSON lines)."""
    registry = _load(args.file)
    if registry is None:
        return 1
    if args.json:
        for d in registry.devices:
            print(json.dumps(d.model_dump(exclude_none=True, exclude_defaults=True) | {"id": d.id, "vendor": d.vendor},
                             ensure_ascii=False))
        return 0
    rows = [[d.id, d.type, d.zone, d.vendor, _location(d), str(registry.heartbeat_s(d)), d.name or ""]
            for d in registry.devices]
    print(_table(["ID", "TYPE", "ZONE", "VENDOR", "LOCATION", "HEARTBEAT_S", "NAME"], rows))
    print(f"{len(rows)} devices in community {registry.community.id} ({registry.community.name})")
    return 0


def add(args: argparse.Namespace) -> int:
    """Append one device; the file is written only if the result validates."""
    from zhian.devices.edit import add_device

    keys = ("id", "type", "zone", "name", "vendor", "building", "unit", "floor", "household", "occupants",
            "elevator", "heartbeat_s", "stream")
    entry = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    try:
        registry = add_device(args.file, entry)
    except RegistryError as exc:
        print_problems(exc)
        print(f"{args.file}: not changed", file=sys.stderr)
        return 1
    print(f"{args.file}: added {args.id} ({len(registry.devices)} devices); "
          f"run `zhian devices provision {args.file}` to give it MQTT credentials")
    return 0


def provision_cmd(args: argparse.Namespace) -> int:
    """Write the broker's auth files and the installer's secrets."""
    registry = _load(args.file)
    if registry is None:
        return 1
    try:
        result = provision(registry, args.out, set(args.rotate), args.rotate_all)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = result.out_dir
    print(f"{out}/passwd, {out}/acl: {len(result.users)} MQTT users "
          f"({len(result.users) - 2} devices, zhian, desk)")
    print(f"{out}/secrets.json (mode 0600): the passwords; give each device its own, keep the file safe")
    print(f"{out}/zhian.env (mode 0600): zhian's login for `docker compose --env-file`")
    for label, users in (("new", result.added), ("rotated", result.rotated), ("removed", result.removed)):
        if users:
            print(f"{label}: {', '.join(users)}")
    print(f"next: `sudo chown 1883:1883 {out}/passwd {out}/acl` (the container's mosquitto user reads them), "
          "then `docker compose kill -s HUP mosquitto` to load them")
    return 0


def _broker(args: argparse.Namespace, user: str) -> BrokerConfig:
    users = load_secrets(args.secrets)
    if user not in users:
        raise ValueError(f"{args.secrets}: no password for {user!r}; run `zhian devices provision` first")
    return BrokerConfig.parse(args.broker, username=user, password=users[user])


def _ago(now_ms: int, ms: int | None) -> str:
    if ms is None:
        return "never"
    s = max(0, (now_ms - ms) // 1000)
    return f"{s} s ago" if s < 120 else f"{s // 60} min ago" if s < 7200 else f"{s // 3600} h ago"


def check(args: argparse.Namespace) -> int:
    """Exit 0 when every registered device is online, 1 otherwise."""
    from zhian.devices import online
    from zhian.devices.mqtt import BrokerRefused, listen

    registry = _load(args.file)
    if registry is None:
        return 2
    community = registry.community.id
    heard: dict[str, int] = {}
    if args.listen > 0:
        try:
            broker = _broker(args, ZHIAN_USER)
            print(f"listening on {args.broker} for {args.listen:.0f} s …", file=sys.stderr)
            heard = online.from_broker(listen(broker, f"zhian/{community}/+/events", args.listen), community)
        except (ValueError, BrokerRefused) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    now_ms = int(time.time() * 1000)
    stored: dict[str, int] = {}
    stored_unknown: dict[str, int] = {}
    if args.store is not None:
        try:
            stored, stored_unknown = online.from_store(args.store, registry, now_ms - 24 * 3600 * 1000)
        except sqlite3.Error as exc:
            print(f"error: {args.store}: {exc}", file=sys.stderr)
            return 2
    states = online.statuses(registry, heard, stored, now_ms)
    strangers = online.unregistered(registry, heard, stored_unknown)
    if args.json:
        print(json.dumps({"devices": [{"device": s.device, "state": s.state, "last_ms": s.last_ms,
                                       "source": s.source} for s in states],
                          "unregistered": [{"device": d, "last_ms": ms} for d, ms in strangers.items()]}))
    else:
        print(_table(["DEVICE", "STATE", "LAST SEEN", "SOURCE"],
                     [[s.device, s.state, _ago(now_ms, s.last_ms), s.source or "-"] for s in states]))
        up = sum(s.state == "online" for s in states)
        print(f"{up}/{len(states)} online")
        if strangers:
            print("\nunregistered ids talking (add them with `zhian devices add` or find who they are):")
            print(_table(["DEVICE", "LAST SEEN"], [[d, _ago(now_ms, ms)] for d, ms in strangers.items()]))
    return 0 if all(s.state == "online" for s in states) else 1


def test(args: argparse.Namespace) -> int:
    """Decode the test payload with zhian's own decoder, publish it as the device, optionally
    wait for the running processor to store it. Exit 0 when it became events (and was stored)."""
    from zhian.devices.mqtt import BrokerRefused, publish

    registry = _load(args.file)
    if registry is None:
        return 2
    device = registry.get(args.device)
    if device is None:
        print(f"error: {args.device!r} is not in {args.file}", file=sys.stderr)
        return 2
    now_ms = int(time.time() * 1000)
    if args.payload is not None:
        payload = _payload_file(args.payload)
    elif device.vendor == "native":
        payload = orjson.dumps({"v": 1, "id": f"test-{now_ms}", "ts": now_ms, "device": device.id,
                                "type": args.type, "data": {"test": True}})
    else:
        print(f"error: {device.id} speaks {device.vendor}; give --payload with a message in its format "
              f"(tests/ingest/fixtures/{device.vendor}/ has examples)", file=sys.stderr)
        return 2
    topic = f"zhian/{registry.community.id}/{device.id}/events"
    events = []
    try:
        events = Decoder(registry).decode_all(topic, payload)
        for event in events:
            print("event: " + orjson.dumps(event.to_dict() | {"ts": _iso(event.ts_ms)}).decode())
    except RejectError as exc:
        print(f"reject: {exc.reason} (field {exc.field or '-'}): {exc.detail}")
    if args.dry_run:
        return 0 if events else 1
    try:
        publish(_broker(args, device.id), topic, payload, args.timeout)
    except (ValueError, BrokerRefused) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"published on {topic} as {device.id}; the broker accepted it")
    if args.store is None:
        return 0 if events else 1
    return _wait_stored(args.store, events, topic, now_ms - 1000, args.timeout)


def _payload_file(path: Path) -> bytes:
    """The bytes to publish; a recorded fixture (`doc` + `payload`, tests/ingest/fixtures/) sends its payload."""
    raw = path.read_bytes()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw  # sent as it is: zhian will say what it makes of it
    if isinstance(body, dict) and {"doc", "payload"} <= body.keys():
        return orjson.dumps(body["payload"])
    return raw


def _wait_stored(store: Path, events: list[Any], topic: str, since_ms: int, timeout_s: float) -> int:
    """Poll the store of `zhian run` until the events (or a dead letter for the topic) appear."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=2)
            try:
                found = [db.execute("SELECT seq FROM events WHERE device = ? AND id = ?", (e.device, e.id)).fetchone()
                         for e in events]
                dead = db.execute("SELECT reason, field, detail FROM dead_letters WHERE topic = ? AND received_ms >= ? "
                                  "ORDER BY seq DESC LIMIT 1", (topic, since_ms)).fetchone()
            finally:
                db.close()
        except sqlite3.Error:
            found, dead = [], None  # the store may not exist yet
        if events and all(found):
            print(f"stored by zhian: log seq {', '.join(str(f[0]) for f in found)}")
            return 0
        if dead is not None:
            print(f"kept by zhian as a dead letter: {dead[0]} (field {dead[1] or '-'}): {dead[2]}")
            return 1
        time.sleep(0.2)
    print(f"not stored within {timeout_s:.0f} s: is `zhian run` running with --store {store}?", file=sys.stderr)
    return 1


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
