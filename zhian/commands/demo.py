"""`zhian demo`: a local broker, the live processor and the simulator, alerts in the terminal."""

from __future__ import annotations

import argparse
import logging
import secrets
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt

from ingest.errors import RegistryError
from zhian.broker import LocalBroker, free_port
from zhian.commands.run import add_live_options, build, console_db_path, start_console
from zhian.console.db import ConsoleDB
from zhian.console.roles import ROLES

log = logging.getLogger("zhian.demo")

SEVERITY_ZH = {"critical": "紧急", "major": "重要", "minor": "一般"}
STATE_ZH = {"raised": "新告警", "updated": "更新", "acknowledged": "已确认", "cleared": "已解除",
            "escalated": "已升级"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `demo` subcommand."""
    p = sub.add_parser("demo", help="local Mosquitto + live processor + simulator; alerts in this terminal")
    add_live_options(p)
    # the example facade camera has no video here; the simulator injects throwing events
    p.set_defaults(store=Path("var/demo/zhian.db"), no_cameras=True)
    p.add_argument("--port", type=int, default=18830, help="port of the local Mosquitto (default 18830)")
    p.add_argument("--incident-every", type=float, default=20.0, metavar="S",
                   help="seconds between injected incidents (default 20)")
    p.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
    p.set_defaults(func=run)


def format_alert(alert: dict[str, Any], colour: bool) -> str:
    """One terminal line for an alert transition, Chinese first."""
    severity = str(alert.get("severity", ""))
    state = str(alert.get("state", ""))
    line = (f"{str(alert.get('ts', ''))[11:19]} [{SEVERITY_ZH.get(severity, severity)}] "
            f"{STATE_ZH.get(state, state)} {alert.get('summary_zh', '')}  | {state}: {alert.get('summary_en', '')}"
            f"  ({alert.get('rule')}, x{alert.get('count', 1)})")
    if colour and severity == "critical" and state in ("raised", "escalated"):
        return f"\033[1;97;41m{line}\033[0m"
    if colour and state in ("raised", "escalated"):
        return f"\033[1;33m{line}\033[0m"
    return line


def run(args: argparse.Namespace) -> int:
    """Run all three until Ctrl-C (or --duration)."""
    from zhian.simulate.live import LiveOptions, run_live

    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("zhian.simulate").setLevel(logging.INFO)
    logging.getLogger("zhian.demo").setLevel(logging.INFO)
    data_dir = args.store.parent
    if not 1 <= args.port <= 65535:
        log.error("--port %d: expected a TCP port, 1-65535", args.port)
        return 2
    port = args.port if _port_free(args.port) else free_port()
    broker = LocalBroker(data_dir / "mosquitto", port)
    try:
        broker.start()
    except RuntimeError as exc:
        log.error("%s", exc)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        return _run_with_broker(args, broker, port, stop, run_live, LiveOptions)
    finally:
        broker.stop()  # whatever happened after it started, the broker goes too


def _run_with_broker(args: argparse.Namespace, broker: LocalBroker, port: int, stop: threading.Event,
                     run_live: Any, live_options: Any) -> int:
    try:
        processor = build(args, broker.address)
    except (RegistryError, ValueError) as exc:
        log.error("%s", exc)
        return 2
    console = None
    logins: dict[str, str] = {}
    if not args.no_console:
        logins = demo_users(console_db_path(args))
        from zhian.console.server import parse_listen  # FastAPI: imported only when it runs

        host, console_port = parse_listen(args.console)
        if not _port_free(console_port, host):
            args.console = f"{host}:{free_port()}"
        console = start_console(args, processor)
    community = processor.registry.community.id
    alerts_topic = f"zhian/{community}/alerts"
    ready = threading.Event()
    worker = threading.Thread(target=processor.run, args=(stop, ready), name="zhian-live", daemon=True)
    worker.start()
    ready.wait(30)

    colour = sys.stdout.isatty()
    watcher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"zhian-demo-watch-{port}")
    watcher.on_connect = lambda c, *_: c.subscribe(alerts_topic, qos=1)
    watcher.on_message = lambda _c, _u, msg: print(format_alert(orjson.loads(msg.payload), colour), flush=True)
    watcher.connect("127.0.0.1", port)
    watcher.loop_start()

    print(f"zhian demo: community {community}, broker 127.0.0.1:{port}, store {args.store}", flush=True)
    print(f"  alerts print here; also: mosquitto_sub -h 127.0.0.1 -p {port} -t '{alerts_topic}' -v", flush=True)
    if console is not None:
        print(f"  console: {console.url}  (Chinese by default; English at the top right)", flush=True)
        for role, password in logins.items():
            print(f"    login {role:<9} password {password}", flush=True)
    print("  the simulator injects an incident every "
          f"{args.incident_every:g} s and says which alert to expect; Ctrl-C stops", flush=True)
    opts = live_options(host="127.0.0.1", port=port, speed=1.0, incident_every_s=args.incident_every,
                       first_incident_s=3.0, duration_s=args.duration)
    sim = threading.Thread(target=_simulate, args=(run_live, processor.registry, opts, stop), daemon=True)
    sim.start()
    try:
        while not stop.wait(0.5):
            if not sim.is_alive():
                stop.set()
    finally:
        stop.set()
        worker.join(15)
        if console is not None:
            console.stop()
        watcher.loop_stop()
        watcher.disconnect()
    return 0


def _simulate(run_live: Any, registry: Any, opts: Any, stop: threading.Event) -> None:
    try:
        run_live(registry, opts, should_stop=stop.is_set)
    except Exception:  # the demo must say why the traffic stopped, then end
        log.exception("simulator stopped")
    finally:
        stop.set()


def demo_users(path: Path) -> dict[str, str]:
    """One console user per role, named after it, with a fresh random password each run
    (printed on the terminal; only the demo's own console.db is touched)."""
    db = ConsoleDB(path)
    try:
        existing = {u["name"] for u in db.users()}
        logins = {}
        for role in ROLES:
            password = secrets.token_urlsafe(9)
            if role in existing:
                db.set_password(role, password)
            else:
                db.add_user(role, role, password, int(time.time() * 1000))
            logins[role] = password
        return logins
    finally:
        db.close()


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    import socket
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True
