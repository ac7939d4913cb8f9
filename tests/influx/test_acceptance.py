"""Acceptance: traffic through `zhian run` (real Mosquitto) into a real InfluxDB 1.x, with
InfluxDB stopped mid-stream and the processor SIGKILLed while the outbox holds data;
afterwards every event and alert transition is in InfluxDB exactly once.

The outage lasts 20 s in the default run and 60 s in the test marked slow. The shorter one
exercises the same states: with `--influx-retry-max 1` the backoff reaches its cap within
the first seconds, after which each further second of outage only repeats a capped retry
while rows pile up in the store; 20 s still spans many failed attempts, a backlog of
several 5,000-line batches and the SIGKILL and restart of the processor.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest

from alerts.sinks.drain import ALERTS_CURSOR, EVENTS_CURSOR
from alerts.sinks.influx import InfluxTarget
from ingest.registry import load_registry
from tests.conftest import DEVICES, recent_noon
from tests.influx.support import influx_rows
from tests.influx.test_sink import assert_exactly_once, stored_alerts
from tests.live.test_exactly_once import stored, subscribed, wait_for
from zhian.broker import LocalBroker
from zhian.influxd import LocalInfluxd
from zhian.simulate.week import simulate_week
from zhian.timeline.influx import InfluxTimeline
from zhian.timeline.model import TimelineQuery, run_query
from zhian.timeline.output import as_dict
from zhian.timeline.sqlite import SqliteTimeline

pytestmark = [pytest.mark.fault, pytest.mark.mqtt, pytest.mark.influx]

DAY_MS = 86_400_000


def start_processor(broker: LocalBroker, influxd: LocalInfluxd, store: Path, log_path: Path,
                    processes: int) -> subprocess.Popen[bytes]:
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "zhian.cli", "run", "--broker", broker.address, "--devices", str(DEVICES),
         "--store", str(store), "--client-id", "zhian-influx-test", "--snapshot-every", "0.3",
         "--influx", influxd.url, "--influx-db", "zhian", "--influx-retry-max", "1", "--metrics-every", "1",
         "--processes", str(processes)],
        stdout=log, stderr=log, cwd=store.parent)


def cursor(store: Path, name: str) -> int:
    return stored(store, f"SELECT max(position) FROM cursors WHERE name = '{name}'")  # max(): a row even when none


class Publisher:
    """QoS-1 publisher paced over a duration, like devices during the outage."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="influx-acceptance-pub",
                                  protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(500)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.infos: list[mqtt.MQTTMessageInfo] = []

    def send(self, messages: list[tuple[str, bytes]], over_s: float = 0.0) -> None:
        chunks = max(1, int(over_s * 4))
        size = max(1, len(messages) // chunks + 1)
        started = time.monotonic()
        for i in range(0, len(messages), size):
            for topic, body in messages[i:i + size]:
                self.infos.append(self.client.publish(topic, body, qos=1))
            if over_s:
                time.sleep(max(0.0, started + over_s * (i + size) / len(messages) - time.monotonic()))

    def close(self) -> None:
        for info in self.infos:
            info.wait_for_publish(60)
        self.client.loop_stop()
        self.client.disconnect()


def run_outage(broker: LocalBroker, influxd: LocalInfluxd, tmp_path: Path, outage_s: float,
               processes: int = 1) -> None:
    registry = load_registry(DEVICES)
    start_ms = recent_noon(2)
    traffic, _ = simulate_week(registry, start_ms, seed=7, days=1)
    messages = [(topic, orjson.dumps(payload)) for _, topic, payload in traffic]
    expected = len({(orjson.loads(b)["device"], orjson.loads(b)["id"]) for _, b in messages})
    a, b = len(messages) * 3 // 10, len(messages) * 6 // 10
    store, log_path = tmp_path / "zhian.db", tmp_path / "zhian.log"
    target = InfluxTarget(influxd.url, "zhian")

    proc = start_processor(broker, influxd, store, log_path, processes)
    pub = None
    try:
        wait_for(lambda: subscribed(log_path, 1, "zhian-influx-test"), 20, "the processor to connect")
        pub = Publisher(broker.port)
        pub.send(messages[:a])
        wait_for(lambda: cursor(store, EVENTS_CURSOR) > 0, 30, "the first events in InfluxDB")

        influxd.stop()
        down_at = time.monotonic()
        pub.send(messages[a:b], over_s=outage_s / 3)
        wait_for(lambda: stored(store, "SELECT count(*) FROM events") >= b * 9 // 10, 30, "events stored")
        held = stored(store, "SELECT max(seq) FROM events") - cursor(store, EVENTS_CURSOR)
        assert held > 5000, f"the outbox must hold data when the processor dies (holds {held})"
        proc.send_signal(signal.SIGKILL)
        proc.wait()

        proc = start_processor(broker, influxd, store, log_path, processes)
        wait_for(lambda: subscribed(log_path, 2, "zhian-influx-test"), 20, "the restarted processor to connect")
        pub.send(messages[b:], over_s=max(0.0, outage_s - (time.monotonic() - down_at) - 1))
        time.sleep(max(0.0, outage_s - (time.monotonic() - down_at)))
        assert cursor(store, EVENTS_CURSOR) < stored(store, "SELECT max(seq) FROM events")
        influxd.start()

        wait_for(lambda: stored(store, "SELECT count(*) FROM events") >= expected, 60, "every event stored")
        wait_for(lambda: cursor(store, EVENTS_CURSOR) == stored(store, "SELECT max(seq) FROM events"),
                 90, "the sink to catch up after the outage")
        time.sleep(1.5)  # alert transitions released by the watermark as the traffic ended
        wait_for(lambda: cursor(store, ALERTS_CURSOR) >= max(stored_alerts(store), default=0), 30,
                 "alert transitions written")
    finally:
        if pub is not None:
            pub.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log_path.read_text(errors="replace")[-3000:]

    assert stored(store, "SELECT count(*) FROM events") == expected
    assert stored_alerts(store), "the day raises alerts"
    assert_exactly_once(store, target)
    assert stored(store, "SELECT count(*) FROM sink_dead_letters") == 0
    log_text = log_path.read_text(errors="replace")
    assert "InfluxDB write failed" in log_text or "InfluxDB not ready" in log_text, "the outage was noticed"
    depth = influx_rows(target, "SELECT max(\"depth\") FROM zhian_outbox WHERE \"sink\" = 'influx.events'")
    assert depth and depth[0]["max"] > 5000, "metrics recorded the backlog during the outage"
    assert influx_rows(target, "SELECT count(\"lag_s\") FROM zhian_engine")[0]["count"] > 0
    assert influx_rows(target, "SELECT count(\"online\") FROM zhian_devices")[0]["count"] > 0

    # the police timeline gives the same rows from the store and from InfluxDB
    q = TimelineQuery(start_ms - DAY_MS, start_ms + 2 * DAY_MS)
    tz = registry.community.tz
    from_sqlite = run_query(SqliteTimeline(store, registry), q)
    from_influx = run_query(InfluxTimeline(target), q)
    assert len(from_sqlite.events) == expected
    assert [as_dict(e, tz) for e in from_sqlite.events] == [as_dict(e, tz) for e in from_influx.events]
    assert [as_dict(a, tz) for a in from_sqlite.alerts] == [as_dict(a, tz) for a in from_influx.alerts]


@pytest.mark.parametrize("processes", [1, 2])
def test_influxdb_stopped_20s_and_sigkill_lose_nothing(broker: LocalBroker, influxd: LocalInfluxd,
                                                        tmp_path: Path, processes: int) -> None:
    # with two processes the engine process writes to InfluxDB, and dies with the ingest process
    run_outage(broker, influxd, tmp_path, outage_s=20, processes=processes)


@pytest.mark.slow
def test_influxdb_stopped_60s_and_sigkill_lose_nothing(broker: LocalBroker, influxd: LocalInfluxd,
                                                        tmp_path: Path) -> None:
    run_outage(broker, influxd, tmp_path, outage_s=60)
