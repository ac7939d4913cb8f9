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

from ingest.event import parse_ts_ms
from ingest.registry import load_registry
from tests.conftest import DEVICES, recent_noon
from tests.live.test_exactly_once import start_processor, stored, subscribed, wait_for
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


@pytest.mark.parametrize("processes", [1, 2])
def test_live_and_replay_raise_the_same_alerts(broker: LocalBroker, tmp_path: Path, processes: int) -> None:
    registry = load_registry(DEVICES)
    start_ms = recent_noon(3)  # two days that ended yesterday: none in the wall clock's future
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
    proc = start_processor(broker, store, log_path, "--idle-after", "3600", "--processes", str(processes))
    try:
        wait_for(lambda: subscribed(log_path), 30, "the processor to connect")
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
        return [key(a) for a in alerts if parse_ts_ms(a["ts"]) < last_ms - MARGIN_MS]

    live, replayed_ = by_incident(settled(live_alerts)), by_incident(settled(replay_alerts))
    assert len(live) == len(replayed_)
    adopted = 0
    for (live_raise, live_rest), (replay_raise, replay_rest) in zip(live, replayed_, strict=True):
        assert live_rest == replay_rest  # every later transition: same state, count, time
        if live_raise != replay_raise:
            # raised early on arrival, then an earlier event of the same key arrived and joined
            # it (rules/engine.py, "Early raises"): same alert, later time, its own id
            ahead_ms = parse_ts_ms(live_raise[5]) - parse_ts_ms(replay_raise[5])  # type: ignore[arg-type]
            same = live_raise[:5] == replay_raise[:5] and live_raise[6] == replay_raise[6]
            assert same and 0 < ahead_ms <= 5000, (live_raise, replay_raise)
            adopted += 1
    print(f"{len(live)} alerts, {adopted} raised early and joined by an earlier event")
    assert adopted <= len(live) // 4, "early raises should rarely be joined by earlier events"
    assert len(replayed_) >= len(truth["alerts"]) // 2


def by_incident(rows: list[tuple[object, ...]]) -> list[tuple[tuple[object, ...], list[tuple[object, ...]]]]:
    """Each alert's raise and its later transitions (without the id), in the order of raises."""
    alerts: dict[object, list[tuple[object, ...]]] = {}
    for row in rows:
        alerts.setdefault(row[7], []).append(row)
    out = []
    for transitions in alerts.values():
        raise_, *rest = transitions
        out.append((raise_, [r[:7] for r in rest]))
    # live emits an early raise before transitions of other alerts that replay emits first;
    # an adopted raise's time differs, so order by the alert's first later transition
    def order(a: tuple[tuple[object, ...], list[tuple[object, ...]]]) -> tuple[str, ...]:
        when = a[1][0][5] if a[1] else a[0][5]
        return (str(a[0][0]), str(a[0][2]), str(a[0][3]), str(a[0][4]), f"{parse_ts_ms(when):020d}")  # type: ignore[arg-type]
    return sorted(out, key=order)
