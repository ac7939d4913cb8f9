"""Live ingest against a real Mosquitto: SIGKILL midway, restart, every event exactly once."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest

from ingest.registry import load_registry
from tests.conftest import DEVICES
from zhian.broker import LocalBroker

pytestmark = pytest.mark.mqtt


def start_processor(broker: LocalBroker, store: Path, log_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    """`zhian run` as a separate process, so it can be killed for real."""
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "zhian.cli", "run", "--broker", broker.address,
         "--devices", str(DEVICES), "--store", str(store), "--client-id", "zhian-test",
         "--snapshot-every", "0.3", *extra],
        stdout=log, stderr=log, cwd=store.parent,
    )


def wait_for(predicate: Callable[[], object], timeout_s: float, what: str) -> None:
    """Poll until `predicate()` holds; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stored(store: Path, sql: str) -> int:
    if not store.exists():
        return 0
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
    try:
        return int(db.execute(sql).fetchone()[0] or 0)
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def connected(log_path: Path, times: int) -> bool:
    return log_path.exists() and log_path.read_text(errors="replace").count("connected to") >= times


def subscribed(log_path: Path, times: int = 1, client_id: str = "zhian-test") -> bool:
    """True once the subscribing client (not the engine process's publisher) connected `times` times."""
    return log_path.exists() and log_path.read_text(errors="replace").count(f"as {client_id} (session") >= times


def engine_pids(log_path: Path) -> list[int]:
    """Pids of the engine processes `--processes 2` started, in order."""
    return [int(x) for x in re.findall(r"engine process started \(pid (\d+)\)", log_path.read_text(errors="replace"))]


def gone(pid: int) -> bool:
    """True when no process has this pid any more (a zombie counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize("processes", [1, 2])
@pytest.mark.parametrize("client", ["paho", "native"])
def test_sigkill_midway_every_event_processed_exactly_once(broker: LocalBroker, tmp_path: Path, client: str,
                                                           processes: int) -> None:
    registry = load_registry(DEVICES)
    devices = [d.id for d in registry.devices]
    store = tmp_path / "zhian.db"
    log_path = tmp_path / "zhian.log"
    total = 6000
    t0 = int(time.time() * 1000) - 60_000  # recent: live traffic, ending about now
    payloads = []
    for i in range(total):
        device = devices[i % len(devices)]
        payloads.append((f"zhian/cyl/{device}/events", orjson.dumps(
            {"v": 1, "id": f"{device}-{i}", "ts": t0 + i * 10, "device": device, "type": "device.heartbeat"})))
    sent_per_device = Counter(orjson.loads(p)["device"] for _, p in payloads)

    proc = start_processor(broker, store, log_path, "--mqtt-client", client, "--processes", str(processes))
    wait_for(lambda: subscribed(log_path), 30, "the processor to connect")

    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-publisher", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(200)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    infos = []
    killed_at = None
    for i, (topic, body) in enumerate(payloads):
        infos.append(pub.publish(topic, body, qos=1))
        if i % 10 == 9:
            # a QoS-1 redelivery from the device side: same id again
            infos.append(pub.publish(topic, body, qos=1))
            time.sleep(0.005)  # ~3 s of traffic, so the kill falls between snapshots
        if killed_at is None and i >= total // 3 and stored(store, "SELECT count(*) FROM events") > total // 3:
            proc.send_signal(signal.SIGKILL)  # with two processes: the parent, the ingest process
            proc.wait()
            killed_at = stored(store, "SELECT count(*) FROM events")
            if processes == 2:  # the engine process dies with it: no orphan writes the store on
                wait_for(lambda: all(gone(pid) for pid in engine_pids(log_path)), 5, "the engine process to die")
    for info in infos:
        info.wait_for_publish(30)
    pub.loop_stop()
    pub.disconnect()
    assert killed_at is not None and 0 < killed_at < total, "the processor must die mid-stream"

    proc = start_processor(broker, store, log_path, "--mqtt-client", client, "--processes", str(processes))
    try:
        wait_for(lambda: stored(store, "SELECT count(*) FROM events") >= total, 60, "all events stored")
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log_path.read_text(errors="replace")[-3000:]

    assert stored(store, "SELECT count(*) FROM events") == total
    assert stored(store, "SELECT count(*) FROM dead_letters") == 0
    assert stored(store, "SELECT value FROM counters WHERE name = 'duplicates'") >= total // 10
    db = sqlite3.connect(store)
    snap = orjson.loads(db.execute("SELECT body FROM snapshots WHERE name = 'engine'").fetchone()[0])
    db.close()
    engine = snap["engine"]
    seen = Counter({key: state[0] for name, key, state in engine["state"] if name == "device_activity"})
    # the last 5 s of event time wait in the reorder buffer for the watermark
    seen.update(event["device"] for _, _, event in engine["buffer"])
    assert seen == sent_per_device, "each event applied (or buffered) exactly once by the engine"
    assert engine["counters"]["applied"] + len(engine["buffer"]) == total
    assert engine["counters"]["pushed"] == total
    log_text = log_path.read_text(errors="replace")
    assert "restored the engine snapshot at log seq" in log_text, "the restart resumed from a snapshot"
    assert "session present: True" in log_text, "the broker kept the session across the kill"
