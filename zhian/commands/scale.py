"""`zhian scale worker|load|bridge|alerts`: the pipeline as Faust agents on Kafka.

Also runnable as `python -m zhian.commands.scale …` (what the tests and the benchmark use).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import threading
from pathlib import Path

import orjson

from ingest.errors import ConfigProblem, RegistryError
from ingest.mqtt import BrokerConfig
from ingest.registry import Registry, load_registry
from rules.engine import Processor
from zhian import LOG_FORMAT
from zhian.commands import print_problems
from zhian.pipeline import Message, load_processors


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `scale` subcommand and its actions."""
    p = sub.add_parser("scale", help="run the pipeline as Faust agents on Kafka (docs/scale-out.md)",
                       description="Scale-out: MQTT or replay files into Kafka, workers running the rules "
                       "per community with state in Faust Tables, alert transitions on the zhian-alerts topic.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    w = actions.add_parser("worker", help="a Faust worker: rules per community, state in Tables")
    _common(w)
    w.add_argument("--devices", type=Path, action="append", required=True,
                   help="devices.yaml of a community it serves (repeat for several)")
    w.add_argument("--rules", type=Path, default=None, help="directory of rule files overriding the default pack")
    w.add_argument("--app-id", default="zhian", help="Faust app id (the consumer group)")
    w.add_argument("--checkpoint-every", type=int, default=2000, help="records between checkpoints")
    w.add_argument("--batch", type=int, default=1000, help="most records processed per batch")
    w.add_argument("--batch-wait", type=float, default=0.05, help="longest wait (s) for a batch to fill")
    w.add_argument("--status-file", type=Path, default=None, help="write progress JSON here every 0.5 s")
    w.add_argument("--sink-jsonl", type=Path, default=None,
                   help="run the sink agent: append each alert transition once to this file")
    w.add_argument("--data-dir", type=Path, default=Path("var/faust"), help="Faust's data directory")
    w.add_argument("--session-timeout", type=float, default=6.0,
                   help="seconds after which a silent worker's partitions move to the others")
    w.set_defaults(func=run_worker)

    ld = actions.add_parser("load", help="send a replay file onto the input topic, keyed by community")
    _common(ld)
    ld.add_argument("traffic", help="traffic file (JSON lines, as for zhian replay)")
    ld.add_argument("--no-flush", action="store_true", help="do not end each community with a flush control")
    ld.set_defaults(func=run_load)

    b = actions.add_parser("bridge", help="forward MQTT device events to the input topic")
    _common(b)
    b.add_argument("--broker", default="127.0.0.1:1883", help="MQTT broker host:port")
    b.add_argument("--client-id", default="zhian-bridge", help="MQTT client id (its session is kept)")
    b.set_defaults(func=run_bridge)

    a = actions.add_parser("alerts", help="print alert transitions from the output topic, repeats dropped")
    _common(a)
    a.add_argument("--idle", type=float, default=5.0, help="stop after this many seconds without a record")
    a.set_defaults(func=run_alerts)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap host:port")
    p.add_argument("--partitions", type=int, default=4, help="partitions of the topics and Tables")


def _configure(paths: list[Path], rules: Path | None) -> tuple[list[Registry], dict[str, list[Processor]]]:
    registries = [load_registry(path) for path in paths]
    ids = [r.community.id for r in registries]
    if len(set(ids)) != len(ids):
        raise RegistryError([ConfigProblem(str(paths[-1]), None, "community.id",
                                           f"two devices files for one community: {ids}")])
    return registries, {r.community.id: load_processors(r, rules) for r in registries}


def run_worker(args: argparse.Namespace) -> int:
    """Run a worker until SIGTERM/SIGINT."""
    import faust

    from zhian.scale.app import ScaleConfig, build_app
    from zhian.scale.loader import ensure_topics

    try:
        registries, processors = _configure(args.devices, args.rules)
    except RegistryError as exc:
        print_problems(exc)
        return 2
    sink = None
    if args.sink_jsonl is not None:
        out = args.sink_jsonl.open("ab")

        def sink(community: str, n: int, messages: list[Message]) -> None:
            topic = f"zhian/{community}/alerts"
            for t, payload in messages:
                if t == topic:
                    out.write(orjson.dumps(payload) + b"\n")
            out.flush()

    cfg = ScaleConfig(bootstrap=args.bootstrap, registries=registries, processors=processors,
                      app_id=args.app_id, partitions=args.partitions, checkpoint_every=args.checkpoint_every,
                      status_file=args.status_file, sink=sink, session_timeout_s=args.session_timeout,
                      data_dir=args.data_dir, batch=args.batch, batch_wait_s=args.batch_wait)
    # Faust declares its changelogs but not the topics it reads: create them with the
    # partition count the Tables need (a consumer would otherwise wait on a missing topic)
    asyncio.run(ensure_topics(args.bootstrap, args.partitions))
    app = build_app(cfg)
    worker = faust.Worker(app, loglevel=logging.getLogger().getEffectiveLevel() or logging.WARNING,
                          override_logging=False)
    worker.execute_from_commandline()  # returns only through SystemExit
    return 0


def run_load(args: argparse.Namespace) -> int:
    """Load a traffic file; prints lines per community on stderr."""
    from zhian.scale.loader import load_file

    counts = load_file(args.bootstrap, args.traffic, args.partitions, flush=not args.no_flush)
    print("load: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())), file=sys.stderr)
    return 0


def run_bridge(args: argparse.Namespace) -> int:
    """Forward MQTT to Kafka until Ctrl-C."""
    from zhian.scale.bridge import run_bridge as bridge

    stop = threading.Event()
    config = BrokerConfig.parse(args.broker, client_id=args.client_id)
    try:
        asyncio.run(bridge(config, args.bootstrap, stop, args.partitions))
    except KeyboardInterrupt:
        stop.set()
    return 0


def run_alerts(args: argparse.Namespace) -> int:
    """Print each alert transition once, as `zhian replay --json` would."""
    from zhian.scale.consume import read_outputs
    from zhian.scale.sink import alert_payloads

    records = asyncio.run(read_outputs(args.bootstrap, idle_s=args.idle))
    for payloads in alert_payloads(records).values():
        for payload in payloads:
            sys.stdout.buffer.write(orjson.dumps(payload) + b"\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m zhian.commands.scale ACTION …` without the `zhian` wrapper."""
    parser = argparse.ArgumentParser(prog="zhian")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["scale", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT,
                        stream=sys.stderr)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
