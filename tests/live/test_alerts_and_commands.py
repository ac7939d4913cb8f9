"""Live end to end on a real Mosquitto: an e-bike carried into an elevator raises an alert on
the alerts topic and holds that elevator's doors with one command per incident."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest

from tests.live.test_exactly_once import start_processor, subscribed, wait_for
from zhian.broker import LocalBroker

pytestmark = pytest.mark.mqtt


@pytest.mark.parametrize("processes", [1, 2])
def test_ebike_in_elevator_alert_and_hold_doors(broker: LocalBroker, tmp_path: Path, processes: int) -> None:
    received: list[tuple[str, dict[str, object]]] = []
    lock = threading.Lock()

    def on_message(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with lock:
            received.append((msg.topic, orjson.loads(msg.payload)))

    watcher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="watch", protocol=mqtt.MQTTv5)
    watcher.on_message = on_message
    watcher.connect("127.0.0.1", broker.port)
    watcher.subscribe([("zhian/cyl/alerts", 1), ("zhian/cyl/+/command", 1)])
    watcher.loop_start()
    log_path = tmp_path / "zhian.log"
    proc = start_processor(broker, tmp_path / "zhian.db", log_path, "--processes", str(processes))
    try:
        wait_for(lambda: subscribed(log_path), 30, "the processor to connect")
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="camera", protocol=mqtt.MQTTv5)
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        now = int(time.time() * 1000)
        infos = []
        for i in range(4):  # the same bike seen for 3 s: one incident
            body = {"v": 1, "id": f"det-{i}", "ts": now + i * 1000, "device": "elevcam-3-1", "type": "object.detected",
                    "data": {"label": "ebike", "confidence": 0.91, "track": 7}}
            infos.append(pub.publish("zhian/cyl/elevcam-3-1/events", orjson.dumps(body), qos=1))
        for info in infos:
            info.wait_for_publish(10)
        pub.loop_stop()
        pub.disconnect()

        def raised() -> bool:
            with lock:
                return any(t == "zhian/cyl/alerts" and m.get("state") == "raised" for t, m in received)
        wait_for(raised, 30, "the alert (event time + 5 s lateness + idle advance)")
        time.sleep(2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        watcher.loop_stop()
        watcher.disconnect()
    with lock:
        alerts = [m for t, m in received if t == "zhian/cyl/alerts"]
        commands = [(t, m) for t, m in received if t.endswith("/command")]
    first = alerts[0]
    assert (first["rule"], first["state"], first["device"], first["severity"]) == (
        "ebike_in_elevator", "raised", "elevcam-3-1", "major")
    assert first["summary_zh"] and first["summary_en"] and first["evidence"] == ["det-0"]
    assert [t for t, _ in commands] == ["zhian/cyl/elev-3-1/command"], "one command, to the camera's elevator"
    command = commands[0][1]
    assert (command["action"], command["reason"], command["alert"]) == ("hold_doors", "ebike", first["alert"])
