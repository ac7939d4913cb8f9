"""`zhian run --processes 2`: SIGKILL of the engine process during QoS-1 traffic. The ingest
process keeps storing and acknowledging, restarts the engine, and the new engine resumes from
the snapshot and the log: every event applied once, each alert in the outbox once."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.faults.support import FORCED_DOORS, check_exactly_once, count, forced_doors, publish_all, traffic
from tests.faults.test_full_disk import Alerts
from tests.live.test_exactly_once import engine_pids, gone, start_processor, subscribed, wait_for
from zhian.broker import LocalBroker

pytestmark = [pytest.mark.fault, pytest.mark.mqtt]


def test_sigkill_of_the_engine_process_midway(broker: LocalBroker, tmp_path: Path) -> None:
    store = tmp_path / "zhian.db"
    log_path = tmp_path / "zhian.log"
    # old traffic in slow chunks: event time must not follow the wall clock between them
    proc = start_processor(broker, store, log_path, "--no-cameras", "--processes", "2", "--idle-after", "3600")
    alerts = Alerts(broker.port)
    try:
        wait_for(lambda: subscribed(log_path), 30, "the processor to connect")
        t0 = int(time.time() * 1000) - 120_000
        sent = traffic(0, 3000, t0, pad=10)
        sent[1500:1500] = forced_doors(t0 + 15_000)  # alerts on both sides of the kill are likely
        publisher = threading.Thread(target=lambda: [publish_all(broker.port, sent[i:i + 100], f"engine-kill-{i}")
                                                     for i in range(0, len(sent), 100)])
        publisher.start()
        wait_for(lambda: count(store, "SELECT count(*) FROM events") >= 1000, 60, "a third of the events stored")
        first = engine_pids(log_path)[0]
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: gone(first), 10, "the engine process to die")
        killed_at = count(store, "SELECT count(*) FROM events")
        publisher.join(120)
        assert not publisher.is_alive()
        assert proc.poll() is None, "the ingest process keeps running"
        wait_for(lambda: len(engine_pids(log_path)) >= 2, 30, "the engine process restarted")
        wait_for(lambda: count(store, "SELECT count(*) FROM events") == len(sent), 60, "every event stored")
        wait_for(lambda: alerts.raised("door_forced") == sorted(FORCED_DOORS), 60, "the door_forced alerts")
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        alerts.close()
    assert code == 0, log_path.read_text(errors="replace")[-3000:]
    assert 0 < killed_at < len(sent), "the engine must die mid-stream"
    text = log_path.read_text(errors="replace")
    assert f"engine process (pid {first}) died" in text
    assert "restored the engine snapshot at log seq" in text or "recovering: applying" in text
    check_exactly_once(store, sent)
    assert all(gone(pid) for pid in engine_pids(log_path)), "no engine process outlives zhian run"
