"""The broker restarts mid-stream: the processor reconnects by itself and loses nothing."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest

from tests.live.test_exactly_once import start_processor, stored, subscribed, wait_for
from zhian.broker import LocalBroker

pytestmark = [pytest.mark.fault, pytest.mark.mqtt]


def publish(port: int, first: int, count: int, t0: int) -> None:
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"restart-pub-{first}", protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    infos = []
    for i in range(first, first + count):
        body = {"v": 1, "id": f"hb-{i}", "ts": t0 + i * 100, "device": "gate-north", "type": "device.heartbeat"}
        infos.append(pub.publish("zhian/cyl/gate-north/events", orjson.dumps(body), qos=1))
    for info in infos:
        info.wait_for_publish(30)
    pub.loop_stop()
    pub.disconnect()


@pytest.mark.parametrize("processes", [1, 2])
def test_processor_survives_a_broker_restart(broker: LocalBroker, tmp_path: Path, processes: int) -> None:
    store = tmp_path / "zhian.db"
    log_path = tmp_path / "zhian.log"
    t0 = int(time.time() * 1000) - 600_000
    proc = start_processor(broker, store, log_path, "--processes", str(processes))
    try:
        wait_for(lambda: subscribed(log_path), 30, "the processor to connect")
        publish(broker.port, 0, 1000, t0)
        wait_for(lambda: stored(store, "SELECT count(*) FROM events") == 1000, 30, "first half stored")
        broker.stop()
        time.sleep(1.5)  # the processor notices and starts backing off
        broker.start()
        publish(broker.port, 1000, 1000, t0)
        wait_for(lambda: stored(store, "SELECT count(*) FROM events") == 2000, 60, "second half stored")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    text = log_path.read_text(errors="replace")
    assert "lost the broker" in text
    assert subscribed(log_path, 2), "the subscribing client reconnected"
    assert "session present: True" in text, "the broker kept zhian's session across its restart"
    assert stored(store, "SELECT count(*) FROM dead_letters") == 0
