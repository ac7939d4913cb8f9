"""The same traffic through `zhian run` (real Mosquitto) and `zhian replay` gives the same alerts."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest

from ingest.registry import load_registry
from tests.conftest import DEVICES
from tests.live.test_exactly_once import start_processor, stored, wait_for
from zhian.broker import LocalBroker
from zhian.simulate.replayfile import write_replay
from zhian.simulate.week import simulate_week

pytestmark = pytest.mark.mqtt

DAY_MS = 86_400_000
# Live, event time moves on with the clock once traffic stops; replay stops at the last
# event. Alerts due in the last stretch (offline: 3 x 300 s) are compared only by replay.
MARGIN_MS = 20 * 60_000


def key(alert: dict[str, object]) -> tuple[object, ...]:
    return (alert["rule"], alert["state"], alert["device"], alert["subject"], alert["port"], alert["ts"],
            alert["count"], alert["alert"])


def test_live_and_replay_raise_the_same_alerts(broker: LocalBroker, tmp_path: Path) -> None:
    registry = load_registry(DEVICES)
    start_ms = (int(time.time() * 1000) - 2 * DAY_MS) // 1000 * 1000
    traffic, truth = simulate_week(registry, start_ms, seed=5, days=2)
    path = tmp_path / "two-days.jsonl"
    lines = write_replay(traffic, path)
    assert truth["alerts"], "the simulated days must hold incidents"

    replayed = subprocess.run([sys.executable, "-m", "zhian.cli", "replay", str(path), "--devices", str(DEVICES),
                               "--json"], capture_output=True, check=True, timeout=300)
    replay_alerts = [orjson.loads(x) for x in replayed.stdout.splitlines()]
    assert replay_alerts

    store = tmp_path / "zhian.db"
    log_path = tmp_path / "zhian.log"
    # two days of recorded traffic replayed live: event time must not follow the wall
    # clock when the publisher stalls on a loaded machine
    proc = start_processor(broker, store, log_path, "--idle-after", "3600")
    try:
        wait_for(lambda: log_path.exists() and "connected to" in log_path.read_text(errors="replace"),
                 20, "the processor to connect")
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="equivalence-pub", protocol=mqtt.MQTTv5)
        pub.max_inflight_messages_set(500)
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        infos = []
        for raw in path.read_bytes().splitlines():
            obj = orjson.loads(raw)
            payload = obj["payload"]
            body = payload.encode() if isinstance(payload, str) else orjson.dumps(payload)
            infos.append(pub.publish(obj["topic"], body, qos=1))
            if len(infos) >= 20_000:  # MQTT message ids are 16-bit: never let them wrap while pending
                for info in infos:
                    info.wait_for_publish(60)
                infos = []
        for info in infos:
            info.wait_for_publish(60)
        pub.loop_stop()
        pub.disconnect()
        wait_for(lambda: stored(store, "SELECT count(*) FROM events") + stored(
            store, "SELECT count(*) FROM dead_letters") >= lines - 50, 120, "the traffic to be stored")
        time.sleep(3)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)

    db = sqlite3.connect(store)
    rows = db.execute("SELECT topic, body FROM outbox ORDER BY n").fetchall()
    db.close()
    live_alerts = [orjson.loads(body) for topic, body in rows if topic == f"zhian/{registry.community.id}/alerts"]
    last_ms = start_ms + 2 * DAY_MS

    def settled(alerts: list[dict[str, object]]) -> list[tuple[object, ...]]:
        from ingest.event import parse_ts_ms
        return [key(a) for a in alerts if parse_ts_ms(a["ts"]) < last_ms - MARGIN_MS]

    assert settled(live_alerts) == settled(replay_alerts)
    assert len(settled(replay_alerts)) >= len(truth["alerts"]) // 2
