"""Helpers for the InfluxDB tests: a real influxd, a store filled through the live processor's
own code path (without a broker), and the sink run until it has caught up."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from alerts.sinks.drain import EVENTS_CURSOR, InfluxDrain
from alerts.sinks.influx import Backoff, InfluxHttp, InfluxTarget, InfluxWriter, prepare
from alerts.sinks.lineproto import Location
from ingest.mqtt import BrokerConfig, Inbound
from ingest.registry import Registry
from zhian.influxd import LocalInfluxd
from zhian.live import LiveConfig, LiveProcessor
from zhian.store import Store


def influxd_fixture(tmp_path: Path) -> Iterator[LocalInfluxd]:
    """A real influxd 1.x; fails (never skips) when it is not installed."""
    if shutil.which("influxd") is None and not Path("/usr/bin/influxd").exists():
        pytest.fail("influxd is not installed: `apt-get install influxdb` (scripts/setup.sh should do it)")
    server = LocalInfluxd(tmp_path / "influxd").start()
    try:
        yield server
    finally:
        server.stop()


def fill_store(registry: Registry, store: Path, traffic: Iterable[tuple[str, Any]], batch: int = 2000) -> None:
    """Run traffic (topic, payload) through LiveProcessor.process into a store, then snapshot."""
    proc = LiveProcessor(registry, BrokerConfig(client_id="unused"), LiveConfig(store_path=store))
    proc.recover()
    pending: list[Inbound] = []
    now_ms = int(time.time() * 1000)
    for topic, payload in traffic:
        body = payload.encode() if isinstance(payload, str) else orjson.dumps(payload)
        pending.append(Inbound(topic, body, 0, 0, now_ms))  # QoS 0: nothing to acknowledge
        if len(pending) >= batch:
            proc.process(pending)
            pending = []
    if pending:
        proc.process(pending)
    proc._to_outbox(proc.pipeline.engine.flush())
    proc.snapshot()
    proc.store.close()


def make_drain(registry: Registry, store: Path, target: InfluxTarget, batch_lines: int = 5000) -> InfluxDrain:
    """The sink worker as `zhian run` builds it, with a short backoff for tests."""
    backoff = Backoff(first_s=0.1, cap_s=0.5)
    locations = {d.id: Location(d.building, d.unit, d.floor, d.zone) for d in registry.devices}

    def prepare_server() -> None:
        prepare(target)

    def make_writer(stop: threading.Event) -> InfluxWriter:
        return InfluxWriter(target, stop, backoff, batch_lines, on_not_found=prepare_server)

    return InfluxDrain(lambda: Store(store), make_writer,
                       registry.community.id, locations.get, prepare=prepare_server, backoff=backoff, linger_s=0.05)


def drain_all(registry: Registry, store: Path, target: InfluxTarget, timeout_s: float = 60,
              open_source: Callable[[], Store] | None = None) -> InfluxDrain:
    """Run the sink until the store's whole event log is written, then stop it."""
    drain = make_drain(registry, store, target)
    if open_source is not None:
        drain._open_source = open_source
    drain.start()
    db = Store(store)
    last = db.last_seq()
    deadline = time.monotonic() + timeout_s
    try:
        while db.cursor(EVENTS_CURSOR) < last:
            assert time.monotonic() < deadline, "the sink did not catch up"
            assert drain.is_alive(), f"the sink died: {drain.failed!r}"
            time.sleep(0.05)
    finally:
        drain.finish(10)
        db.close()
    return drain


def influx_rows(target: InfluxTarget, query: str) -> list[dict[str, Any]]:
    """Rows of an InfluxQL SELECT."""
    http = InfluxHttp(target)
    try:
        return http.select(query)
    finally:
        http.close()
