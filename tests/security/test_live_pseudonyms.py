"""The live processor on a real Mosquitto with a subject salt: after native and vendor traffic
full of subject ids (accepted, rejected, from an unknown device, clock ahead), no table of the
store, no file under its directory and no InfluxDB line built from it holds a clear id; the
watched resident's alert still fires; a timeline query by clear id finds the rows. Without a
salt the same scan finds every id, so the test can fail."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest

from alerts.sinks.lineproto import Location, alert_line, event_line
from ingest.mqtt import BrokerConfig
from ingest.registry import Registry, load_registry
from tests.live.test_exactly_once import stored, wait_for
from tests.security.scenario import (
    ACCEPTED_EVENTS,
    CLEAR,
    DEVICES_YAML,
    HOUR_MS,
    LIVE_ONLY,
    NEVER,
    REJECTED,
    SALT,
    SHARED,
    WATCHED,
    as_bytes,
    found_in,
    pseudonym,
    scan_files,
    scan_store,
    traffic,
    union,
)
from zhian.broker import LocalBroker
from zhian.live import LiveConfig, LiveProcessor

pytestmark = pytest.mark.mqtt

ROOT = Path(__file__).resolve().parents[2]
SALT_VARS = ("ZHIAN_SUBJECT_SALT", "ZHIAN_SUBJECT_SALT_FILE")


class Watcher:
    """Alert transitions as the desk receives them on the alerts topic."""

    def __init__(self, broker: LocalBroker) -> None:
        self.alerts: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="desk", protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe("zhian/cyl/alerts", 1)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.alerts.append(orjson.loads(msg.payload))

    def raised(self, rule: str) -> list[dict[str, Any]]:
        with self.lock:
            return [a for a in self.alerts if a["rule"] == rule and a["state"] == "raised"]

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def publish(broker: LocalBroker, messages: list[tuple[str, Any]]) -> None:
    """QoS 1 from one client, in order."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="devices", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        infos = [client.publish(topic, as_bytes(payload), qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


def run_live(broker: LocalBroker, registry: Registry, store: Path, watcher: Watcher) -> None:
    """Run the processor until the scenario is stored and its alerts published, then stop it."""
    live = LiveProcessor(registry, BrokerConfig.parse(broker.address, client_id="zhian-security"),
                         LiveConfig(store_path=store, cameras=False, snapshot_every_s=0.3))
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=live.run, args=(stop, ready), daemon=True)
    thread.start()
    try:
        assert ready.wait(20), "the processor did not start"
        now = int(time.time() * 1000)
        messages = traffic(now - 41 * HOUR_MS, received_ms=now)
        # the subscription is live once the first message (a heartbeat) is stored; its
        # repeats are redeliveries of one id, so they count once
        deadline = time.monotonic() + 20
        while stored(store, "SELECT count(*) FROM events") < 1:
            assert time.monotonic() < deadline, "the processor never received the first message"
            publish(broker, messages[:1])
            time.sleep(0.3)
        publish(broker, messages[1:])
        wait_for(lambda: stored(store, "SELECT count(*) FROM dead_letters") >= REJECTED
                 and stored(store, "SELECT count(*) FROM events") >= ACCEPTED_EVENTS, 30, "the scenario to be stored")
        wait_for(lambda: bool(watcher.raised("care_no_activity") and watcher.raised("credential_shared")), 30,
                 "the subject alerts on the alerts topic")
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()


def timeline(store: Path, devices: Path, env: dict[str, str], subject: str) -> tuple[list[dict[str, Any]], bytes]:
    """`zhian timeline --subject` as the police liaison runs it."""
    now = int(time.time() * 1000)
    done = subprocess.run(
        [sys.executable, "-m", "zhian.cli", "timeline", "--store", str(store), "--devices", str(devices),
         "--subject", subject, "--from", str(now - 48 * HOUR_MS), "--to", str(now + HOUR_MS),
         "--format", "json", "--user", "officer-7"],
        capture_output=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return [orjson.loads(x) for x in done.stdout.splitlines()], done.stdout


def influx_lines(store: Path, registry: Registry) -> bytes:
    """The InfluxDB line protocol the sink would write for the stored events and alerts."""
    places = {d.id: Location(d.building, d.unit, d.floor, d.zone) for d in registry.devices}
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        lines = [event_line("cyl", orjson.loads(body), received, places.get)
                 for body, received in db.execute("SELECT body, received_ms FROM events")]
        for n, topic, body in db.execute("SELECT n, topic, body FROM outbox"):
            if topic.endswith(("/alerts", "/alerts/silenced")):
                payload = orjson.loads(body)
                lines.append(alert_line(payload, 0, n, topic.endswith("/silenced"), lambda d: d in places))
    finally:
        db.close()
    assert lines
    return "\n".join(lines).encode()


@pytest.mark.parametrize("salted", [True, False], ids=["salt", "no-salt"])
def test_live_store_holds_no_clear_subject_ids(broker: LocalBroker, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, salted: bool) -> None:
    for var in SALT_VARS:
        monkeypatch.delenv(var, raising=False)
    env = {k: v for k, v in os.environ.items() if k not in SALT_VARS}
    if salted:
        secret = tmp_path / "salt"  # the Docker-secret form
        secret.write_bytes(SALT + b"\n")
        monkeypatch.setenv("ZHIAN_SUBJECT_SALT_FILE", str(secret))
        env["ZHIAN_SUBJECT_SALT_FILE"] = str(secret)
    name = pseudonym if salted else (lambda s: s)
    devices = tmp_path / "devices.yaml"
    devices.write_text(DEVICES_YAML, encoding="utf-8")
    registry = load_registry(devices)
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    store = store_dir / "zhian.db"
    watcher = Watcher(broker)
    try:
        run_live(broker, registry, store, watcher)
    finally:
        watcher.stop()

    # (c) the watched resident's alert fires, and the desk gets it under the pseudonym
    assert [a["subject"] for a in watcher.raised("care_no_activity")] == [name(WATCHED)]
    assert [a["subject"] for a in watcher.raised("credential_shared")] == [name(SHARED)]
    assert f"{name(WATCHED)} for 36 h" in watcher.raised("care_no_activity")[0]["summary_en"]

    # (d) the police query by the clear id, as typed, finds the (pseudonymised) rows
    rows, out = timeline(store, devices, env, SHARED)
    assert (SHARED.encode() in out) is not salted
    events = [r for r in rows if r["kind"] == "event"]
    assert sorted(r["id"] for r in events) == ["gn-2", "gs-1"]
    assert {r["subject"]["id"] for r in events} == {name(SHARED)}
    assert [r["rule"] for r in rows if r["kind"] == "alert"] == ["credential_shared"]

    tokens = [*CLEAR, *LIVE_ONLY, *NEVER]
    tables = scan_store(store, tokens)
    assert {"events", "dead_letters", "outbox", "snapshots", "audit"} <= tables.keys()
    files = scan_files(store_dir, tokens)
    lines = influx_lines(store, registry)
    audit = sqlite3.connect(store).execute("SELECT detail FROM audit").fetchall()
    assert len(audit) == 1 and name(SHARED).encode() in audit[0][0]
    if salted:
        assert {t: f for t, f in tables.items() if f} == {}
        assert {p: f for p, f in files.items() if f} == {}
        assert found_in(lines, tokens) == set()
        assert pseudonym(WATCHED).encode() in lines and pseudonym(SHARED).encode() in lines
    else:
        # the scan is able to see every id, in the tables and in the files
        visible = set(CLEAR) | set(LIVE_ONLY)
        assert union(tables) == visible
        assert union(files) == visible
        assert {WATCHED, SHARED} <= found_in(lines, tokens)
