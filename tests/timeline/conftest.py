"""Timeline fixtures: a real InfluxDB 1.x, and a store of a simulated day (plus edge cases)
written into it by the sink, shared by the timeline tests of one session."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from alerts.sinks.influx import InfluxTarget
from ingest.registry import Registry, load_registry
from tests.conftest import DEVICES, recent_noon
from tests.influx.support import drain_all, fill_store, influxd_fixture
from zhian.influxd import LocalInfluxd
from zhian.simulate.week import simulate_week


@pytest.fixture
def influxd(tmp_path: Path) -> Iterator[LocalInfluxd]:
    """A real influxd 1.x; fails (never skips) when it is missing."""
    yield from influxd_fixture(tmp_path)


DAY_MS = 86_400_000
START_MS = recent_noon(3)


def extra_traffic() -> list[tuple[str, dict[str, Any]]]:
    """Cases the simulation lacks: one device, one millisecond, two events; an unregistered
    device; a thrown object with evidence files."""
    at = START_MS + DAY_MS // 2
    return [
        ("zhian/cyl/lobby-3-1/events", {"v": 1, "id": "lobby-3-1-same-a", "ts": at, "device": "lobby-3-1",
                                        "type": "access.granted", "subject": {"id": "r-same", "kind": "resident",
                                                                             "credential": "face"}}),
        ("zhian/cyl/lobby-3-1/events", {"v": 1, "id": "lobby-3-1-same-b", "ts": at, "device": "lobby-3-1",
                                        "type": "access.denied", "data": {"reason": "expired"}}),
        ("zhian/cyl/ghost-9/events", {"v": 1, "id": "ghost-9-1", "ts": at + 1000, "device": "ghost-9",
                                      "type": "door.opened"}),
        ("zhian/cyl/cam-b3-north/events", {"v": 1, "id": "cam-b3-north-throw-1", "ts": at + 2000,
                                           "device": "cam-b3-north", "type": "throwing.detected",
                                           "data": {"floor": 9, "column": 3, "confidence": 0.91,
                                                    "evidence": ["evidence/throw-1.png", "evidence/throw-1.mp4",
                                                                 "evidence/not-there.png"]}}),
    ]


class World:
    """A store with a simulated day (plus the extra cases) and the same data in InfluxDB."""

    def __init__(self, registry: Registry, store: Path, target: InfluxTarget) -> None:
        self.registry, self.store, self.target = registry, store, target
        db = sqlite3.connect(store)
        try:
            self.events = [orjson.loads(body) for (body,) in db.execute("SELECT body FROM events")]
            self.alerts = [orjson.loads(body) for topic, body in db.execute("SELECT topic, body FROM outbox")
                           if topic.endswith(("/alerts", "/alerts/silenced"))]
        finally:
            db.close()


@pytest.fixture(scope="session")
def influx_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalInfluxd]:
    yield from influxd_fixture(tmp_path_factory.mktemp("influxd"))


@pytest.fixture(scope="session")
def world(influx_module: LocalInfluxd, tmp_path_factory: pytest.TempPathFactory) -> World:
    registry = load_registry(DEVICES)
    store = tmp_path_factory.mktemp("store") / "zhian.db"
    traffic, _ = simulate_week(registry, START_MS, seed=3, days=1)
    messages = [(topic, payload) for _, topic, payload in traffic]
    fill_store(registry, store, [*messages, *extra_traffic()])
    target = InfluxTarget(influx_module.url, "zhian")
    drain_all(registry, store, target)
    return World(registry, store, target)
