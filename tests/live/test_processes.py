"""`LiveConfig.processes = 2`: what the ingest process learns of its engine process."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import orjson
import pytest

from ingest.mqtt import BrokerConfig
from ingest.registry import load_registry
from rules.engine import NO_WATERMARK
from tests.conftest import DEVICES
from tests.faults.support import publish_all
from tests.live.test_exactly_once import gone, wait_for
from zhian.broker import LocalBroker
from zhian.live import LiveConfig, LiveProcessor

pytestmark = pytest.mark.mqtt


def test_only_one_or_two_processes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="1 or 2"):
        LiveProcessor(load_registry(DEVICES), BrokerConfig(port=1), LiveConfig(store_path=tmp_path / "z.db",
                                                                               processes=3))


def test_engine_watermark_reaches_the_ingest_process_and_a_dead_engine_shows_and_restarts(
        broker: LocalBroker, tmp_path: Path) -> None:
    health = tmp_path / "health"
    config = LiveConfig(store_path=tmp_path / "zhian.db", cameras=False, processes=2, health_file=health,
                        health_every_s=0.05)
    processor = LiveProcessor(load_registry(DEVICES), BrokerConfig(port=broker.port, client_id="zhian-procs"), config)
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=processor.run, args=(stop, ready), daemon=True)
    thread.start()
    try:
        assert ready.wait(30)
        wait_for(processor.mqtt.connected.is_set, 30, "the ingest process to connect (once the engine is ready)")
        assert processor.watermark_ms() == NO_WATERMARK
        ts = int(time.time() * 1000) - 60_000
        publish_all(broker.port, [("zhian/cyl/gate-north/events", orjson.dumps(
            {"v": 1, "id": "hb-1", "ts": ts, "device": "gate-north", "type": "device.heartbeat"}))], "procs-pub")
        # the console stamps desk actions with the engine's event time, kept by the other process
        wait_for(lambda: processor.watermark_ms() > NO_WATERMARK, 30, "the engine's watermark in the ingest process")
        wait_for(lambda: health.exists() and health.read_text().split()[1] == "connected", 10, "a healthy file")

        assert processor.link is not None and processor.link.process is not None
        first = processor.link.process.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: health.read_text().split()[1] == "engine-down", 10, "the health file to tell")
        wait_for(lambda: processor.link is not None and processor.link.restarts == 1 and processor.link.ready(), 30,
                 "the engine process restarted and restored")
        wait_for(lambda: health.read_text().split()[1] == "connected", 10, "healthy again")
        assert processor.watermark_ms() > NO_WATERMARK, "the restarted engine restored its state"
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()
    assert processor.link is not None and processor.link.process is not None
    pid = processor.link.process.pid
    assert pid is not None and gone(pid), "the engine process stopped with the ingest process"
