"""Helpers of the fault tests: QoS-1 traffic, a look into the store, waiting for a condition."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt

from ingest.registry import load_registry
from tests.conftest import DEVICES

FORCED_DOORS = ("gate-north", "gate-south", "lobby-3-1", "lobby-4-2")


def traffic(first: int, count: int, t0: int, pad: int = 1000) -> list[tuple[str, bytes]]:
    """Heartbeats of every device, each padded with a vendor field of `pad` bytes (so that
    they fill pages fast), numbered from `first`, 10 ms of event time apart."""
    devices = [d.id for d in load_registry(DEVICES).devices]
    out = []
    for i in range(first, first + count):
        device = devices[i % len(devices)]
        body = {"v": 1, "id": f"{device}-{i}", "ts": t0 + i * 10, "device": device, "type": "device.heartbeat",
                "data": {"uptime_s": i, "pad": "x" * pad}}
        out.append((f"zhian/cyl/{device}/events", orjson.dumps(body)))
    return out


def forced_doors(ts_ms: int) -> list[tuple[str, bytes]]:
    """One `door.forced` on each door of FORCED_DOORS: one `door_forced` alert each."""
    return [(f"zhian/cyl/{door}/events", orjson.dumps(
        {"v": 1, "id": f"forced-{door}", "ts": ts_ms, "device": door, "type": "door.forced"}))
        for door in FORCED_DOORS]


def publish_all(port: int, messages: list[tuple[str, bytes]], name: str) -> None:
    """Publish QoS 1 and wait for every PUBACK (in chunks, so that message ids never wrap)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(200)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for start in range(0, len(messages), 10_000):
            infos = [client.publish(topic, body, qos=1) for topic, body in messages[start:start + 10_000]]
            for info in infos:
                info.wait_for_publish(60)
    finally:
        client.loop_stop()
        client.disconnect()




def query(store: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on the store (none while it does not exist yet)."""
    if not store.exists():
        return []
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def count(store: Path, sql: str) -> int:
    """A single number from the store (0 when there is none yet)."""
    rows = query(store, sql)
    return int(rows[0][0] or 0) if rows else 0


def check_exactly_once(store: Path, sent: list[tuple[str, bytes]]) -> None:
    """Every sent event is in the log exactly once, none dead-lettered; the store is intact;
    one raised `door_forced` alert per forced door; and the engine applied (or buffers)
    each event once."""
    ids = sorted((orjson.loads(body)["device"], orjson.loads(body)["id"]) for _, body in sent)
    stored = sorted((str(d), str(i)) for d, i in query(store, "SELECT device, id FROM events"))
    assert stored == ids, f"{len(stored)} events stored for {len(ids)} sent"
    assert count(store, "SELECT count(*) FROM dead_letters") == 0
    assert query(store, "PRAGMA integrity_check") == [("ok",)]
    raised = [orjson.loads(body) for (body,) in query(store, "SELECT body FROM outbox WHERE topic LIKE '%/alerts'")]
    forced = sorted(a["device"] for a in raised if a["rule"] == "door_forced" and a["state"] == "raised")
    assert forced == sorted(FORCED_DOORS), forced
    snap = orjson.loads(query(store, "SELECT body FROM snapshots WHERE name = 'engine'")[0][0])
    engine = snap["engine"]
    per_device: dict[str, int] = {}
    for device, _ in ids:
        per_device[device] = per_device.get(device, 0) + 1
    seen = {key: state[0] for name, key, state in engine["state"] if name == "device_activity"}
    for _, _, event in engine["buffer"]:
        seen[event["device"]] = seen.get(event["device"], 0) + 1
    assert seen == per_device, "each event applied (or buffered) exactly once by the engine"
