"""Events zhian makes itself (a throwing detection) go through the durable log like device events."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from ingest.event import Event
from ingest.mqtt import BrokerConfig, Inbound
from ingest.registry import load_registry
from tests.conftest import DEVICES
from zhian.live import LiveConfig, LiveProcessor

T0 = 1_793_575_865_000


def test_submitted_detection_is_logged_and_raises_object_thrown(tmp_path: Path) -> None:
    live = LiveProcessor(load_registry(DEVICES), BrokerConfig(port=1), LiveConfig(store_path=tmp_path / "z.db"))
    live.mqtt.ack = lambda batch: None  # type: ignore[method-assign,assignment]
    live.submit(Event("cam-b3-north-throw-1", T0, "cam-b3-north", "throwing.detected", None,
                      {"floor": 12, "column": 3, "confidence": 0.93, "frame": 1201, "start_frame": 1180}))
    assert live._process_internal()
    beat = {"v": 1, "id": "hb-1", "ts": T0 + 6000, "device": "gate-north", "type": "device.heartbeat"}
    live.process([Inbound("zhian/cyl/gate-north/events", orjson.dumps(beat), 1, 1, T0 + 6000)])
    db = sqlite3.connect(tmp_path / "z.db")
    logged = db.execute("SELECT device, type FROM events ORDER BY seq").fetchall()
    rows = db.execute("SELECT topic, body FROM outbox ORDER BY n").fetchall()
    alerts = [orjson.loads(body) for topic, body in rows if topic.endswith("/alerts")]
    db.close()
    assert logged == [("cam-b3-north", "throwing.detected"), ("gate-north", "device.heartbeat")]
    assert [(a["rule"], a["state"], a["device"], a["severity"]) for a in alerts] == [
        ("object_thrown", "raised", "cam-b3-north", "critical")]
    assert "12" in alerts[0]["summary_zh"]
