"""A full disk under the store: a clear error, no acknowledgement of what could not be
committed, no corruption, and recovery by itself when space returns, every event once.

Two ways to fill it: SQLite's own page limit (`PRAGMA max_page_count`, no privileges
needed, in-process so that every acknowledgement can be checked), and a real small file
system (a tmpfs, which needs the right to mount) under a `zhian run` process, which is
also killed once while the disk is full to show the broker still holds what was not
acknowledged.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest

from ingest.mqtt import BrokerConfig, Inbound
from ingest.registry import load_registry
from tests.conftest import DEVICES
from tests.faults.support import (
    FORCED_DOORS,
    check_exactly_once,
    count,
    forced_doors,
    publish_all,
    query,
    traffic,
)
from tests.live.test_exactly_once import start_processor, subscribed, wait_for
from zhian.broker import LocalBroker
from zhian.live import LiveConfig, LiveProcessor

pytestmark = [pytest.mark.fault, pytest.mark.mqtt]

EVENTS = "SELECT count(*) FROM events"


class Alerts:
    """Alert transitions received on the alerts topic."""

    def __init__(self, port: int) -> None:
        self.received: list[dict[str, object]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="fault-alerts", protocol=mqtt.MQTTv5)
        self.client.on_message = lambda _c, _u, msg: self.received.append(orjson.loads(msg.payload))
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("zhian/cyl/alerts", qos=1)
        self.client.loop_start()

    def raised(self, rule: str) -> list[str]:
        """Devices of the `raised` transitions of `rule`, sorted."""
        return sorted(str(a["device"]) for a in self.received if a["rule"] == rule and a["state"] == "raised")

    def close(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture(params=[1, 2], ids=["1proc", "2proc"])
def live(broker: LocalBroker, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveProcessor]:
    """`LiveProcessor.run` in a thread, retrying a full store quickly (with one process, and with
    the engine in a process of its own: the full store is the ingest process's)."""
    config = LiveConfig(store_path=tmp_path / "zhian.db", cameras=False, snapshot_every_s=0.3,
                        store_retry_first_s=0.1, store_retry_max_s=0.5, processes=request.param)
    processor = LiveProcessor(load_registry(DEVICES), BrokerConfig(port=broker.port, client_id="zhian-fault"),
                              config)
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=processor.run, args=(stop, ready), daemon=True)
    thread.start()
    try:
        assert ready.wait(30) and processor.mqtt.connected.wait(30), "the processor did not connect"
        yield processor
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive(), "the processor did not stop"


def test_page_limit_full_store_holds_acks_and_recovers_by_itself(
        live: LiveProcessor, broker: LocalBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="zhian.live")
    store = tmp_path / "zhian.db"
    alerts = Alerts(broker.port)
    t0 = int(time.time() * 1000) - 120_000
    first = traffic(0, 200, t0)
    publish_all(broker.port, first, "fault-pub-1")
    wait_for(lambda: count(store, EVENTS) == 200, 30, "the first events stored")

    # from now on, every acknowledgement must be for an event already committed
    not_committed: list[tuple[str, str]] = []
    acked: list[tuple[str, str]] = []
    real_ack = live.mqtt.ack

    def checked_ack(batch: list[Inbound]) -> None:
        keys = [(orjson.loads(m.payload)["device"], orjson.loads(m.payload)["id"]) for m in batch]
        committed = set(query(store, "SELECT device, id FROM events"))
        not_committed.extend(k for k in keys if k not in committed)
        acked.extend(keys)
        real_ack(batch)

    live.mqtt.ack = checked_ack  # type: ignore[method-assign,assignment]
    pages = live.store.db.execute("PRAGMA page_count").fetchone()[0]
    live.store.db.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow: SQLITE_FULL

    held = traffic(200, 1500, t0) + forced_doors(t0 + 15_000)
    publish_all(broker.port, held, "fault-pub-2")
    wait_for(lambda: "disk full: free space on" in caplog.text, 30, "the disk-full error in the log")
    wait_for(lambda: live.disk_full.attempts >= 3, 30, "a few retries with backoff")
    stuck = count(store, EVENTS)
    assert stuck < 200 + len(held), "the store must have refused some events"
    assert len(acked) < len(held), "messages that were not stored must not be acknowledged"
    error = next(r for r in caplog.records if "disk full" in r.getMessage())
    assert error.levelno == logging.ERROR
    assert str(store) in error.getMessage() and "unacknowledged" in error.getMessage()

    live.store.db.execute("PRAGMA max_page_count = 1073741823")  # space returns
    wait_for(lambda: count(store, EVENTS) == 200 + len(held), 60, "every event stored after space returned")
    wait_for(lambda: "store writable again" in caplog.text, 30, "the recovery in the log")
    wait_for(lambda: alerts.raised("door_forced") == sorted(FORCED_DOORS), 30, "one door_forced alert per door")
    time.sleep(1.0)  # a snapshot after the last event, and no second publication of an alert
    alerts.close()

    assert not_committed == [], "acknowledged before being committed"
    assert sorted(acked) == sorted((orjson.loads(b)["device"], orjson.loads(b)["id"]) for _, b in held)
    assert alerts.raised("door_forced") == sorted(FORCED_DOORS), "each alert published once"
    check_exactly_once(store, first + held)


def mount_tmpfs(where: Path, size: str) -> None:
    """Mount a small tmpfs, or skip when this machine does not allow it."""
    where.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                              capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        pytest.skip("no `mount` command here; the page-limit variant covers a full store without privileges")
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({done.stderr.strip() or done.returncode}); "
                    "the page-limit variant covers a full store without privileges")


def fill(folder: Path) -> Path:
    """Write a file until the file system is full; returns it (delete it to free the space)."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as f:  # unbuffered: nothing left to fail at close
        for chunk in (1 << 20, 1 << 12):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:
                pass
    return filler


@pytest.mark.parametrize("processes", [1, 2])
def test_full_tmpfs_under_zhian_run(broker: LocalBroker, tmp_path: Path, processes: int) -> None:
    small = tmp_path / "small"
    mount_tmpfs(small, "64m")
    log_path = tmp_path / "zhian.log"
    store = small / "zhian.db"
    proc: subprocess.Popen[bytes] | None = None
    try:
        proc = start_processor(broker, store, log_path, "--no-cameras", "--processes", str(processes))
        wait_for(lambda: subscribed(log_path), 30, "the processor to connect")
        t0 = int(time.time() * 1000) - 120_000
        first = traffic(0, 200, t0)
        publish_all(broker.port, first, "fault-tmpfs-1")
        wait_for(lambda: count(store, EVENTS) == 200, 30, "the first events stored")

        # 1. full while running: a clear error, then recovery by itself once space returns
        filler = fill(small)
        held = traffic(200, 2000, t0)
        publish_all(broker.port, held, "fault-tmpfs-2")
        expected = f"disk full: free space on {small.resolve()}"
        wait_for(lambda: expected in log_path.read_text(errors="replace"), 60, "the disk-full error in the log")
        assert count(store, EVENTS) < 200 + len(held)
        assert proc.poll() is None, "the processor must keep running"
        filler.unlink()
        wait_for(lambda: count(store, EVENTS) == 200 + len(held), 60, "every event stored after space returned")
        wait_for(lambda: "store writable again" in log_path.read_text(errors="replace"), 30, "the recovery log")

        # 2. full again, killed while full, restarted while still full (it must run, not crash
        # in a loop), then space returns: what it held unacknowledged comes back from the broker
        filler = fill(small)
        more = traffic(2200, 2000, t0) + forced_doors(t0 + 30_000)
        publish_all(broker.port, more, "fault-tmpfs-3")
        wait_for(lambda: log_path.read_text(errors="replace").count(expected) >= 2, 60, "the second disk-full error")
        assert count(store, EVENTS) < 2200 + len(more)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc = start_processor(broker, store, log_path, "--no-cameras", "--processes", str(processes))
        wait_for(lambda: log_path.read_text(errors="replace").count(expected) >= 3, 60,
                 "the disk-full error of the restarted processor")
        time.sleep(1.0)
        assert proc.poll() is None, "restarted on a full disk, the processor must keep running"
        assert count(store, EVENTS) < 2200 + len(more)
        filler.unlink()
        wait_for(lambda: count(store, EVENTS) == 2200 + len(more), 60, "every event stored after the restart")
        wait_for(lambda: len(query(store, "SELECT n FROM outbox WHERE topic LIKE '%/alerts'")) >= len(FORCED_DOORS),
                 30, "the door_forced alerts")
        time.sleep(1.5)  # idle advance, then its snapshot
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log_path.read_text(errors="replace")[-3000:]
        proc = None
        check_exactly_once(store, first + held + more)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(30)
        subprocess.run(["umount", "-l", str(small)], capture_output=True, timeout=30)
