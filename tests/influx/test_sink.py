"""The InfluxDB sink against a real influxd 1.x: exactly once, re-sends overwrite, refusals
dead-lettered, an outage loses nothing."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from alerts.sinks.drain import ALERTS_CURSOR, EVENTS_CURSOR, METRICS_CURSOR
from alerts.sinks.influx import InfluxHttp, InfluxTarget, InfluxWriter
from alerts.sinks.lineproto import NS_PER_MS
from ingest.registry import Registry, load_registry
from tests.conftest import DEVICES, recent_noon
from tests.influx.support import drain_all, fill_store, influx_rows, make_drain
from zhian.influxd import LocalInfluxd
from zhian.simulate.week import simulate_week
from zhian.store import Store, StoreFull

pytestmark = pytest.mark.influx

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(DEVICES)


@pytest.fixture(scope="module")
def day_store(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding a simulated day of the example compound with its alerts."""
    path = tmp_path_factory.mktemp("day") / "zhian.db"
    start = recent_noon(2)
    traffic, _ = simulate_week(registry, start, seed=11, days=1)
    fill_store(registry, path, ((topic, payload) for _, topic, payload in traffic))
    return path


def copy_store(src: Path, dest: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dest) as b:
        a.backup(b)
    return dest


def stored_events(store: Path) -> dict[tuple[str, str], int]:
    db = sqlite3.connect(store)
    try:
        return {(d, i): ts for d, i, ts in db.execute("SELECT device, id, ts_ms FROM events")}
    finally:
        db.close()


def stored_alerts(store: Path) -> dict[int, dict[str, object]]:
    db = sqlite3.connect(store)
    try:
        return {n: orjson.loads(body) for n, topic, body in db.execute("SELECT n, topic, body FROM outbox")
                if topic.endswith(("/alerts", "/alerts/silenced"))}
    finally:
        db.close()


def influx_events(target: InfluxTarget) -> list[tuple[tuple[str, str], int]]:
    rows = influx_rows(target, 'SELECT "id", "claimed_device", "device" FROM events')
    return [((r["claimed_device"] or r["device"], r["id"]), r["time"]) for r in rows]


def assert_exactly_once(store: Path, target: InfluxTarget) -> None:
    """Every stored event and alert transition is in InfluxDB once, at its event time."""
    events = stored_events(store)
    written = influx_events(target)
    dupes = [k for k, n in Counter(k for k, _ in written).items() if n > 1]
    assert not dupes, f"{len(dupes)} events written twice, e.g. {dupes[:3]}"
    assert dict(written) == events
    alerts = stored_alerts(store)
    rows = influx_rows(target, 'SELECT "alert", "state", "count", "n" FROM alerts')
    assert Counter(r["n"] for r in rows) == Counter(alerts.keys())
    for r in rows:
        a = alerts[r["n"]]
        assert (r["alert"], r["state"], r["count"]) == (a["alert"], a["state"], a["count"])


def test_store_is_written_exactly_once(day_store: Path, registry: Registry, influxd: LocalInfluxd,
                                       tmp_path: Path) -> None:
    store = copy_store(day_store, tmp_path / "zhian.db")
    target = InfluxTarget(influxd.url, "zhian")
    drain = drain_all(registry, store, target)
    assert drain.stats.batches >= len(stored_events(store)) // 5000, "batches of up to 5,000 lines"
    assert_exactly_once(store, target)
    assert stored_alerts(store), "the simulated day raises alerts"
    db = Store(store)
    assert db.cursor(ALERTS_CURSOR) >= max(stored_alerts(store))
    assert db.sink_dead_letters() == []
    db.close()


def test_two_events_in_one_millisecond_are_two_points(registry: Registry, influxd: LocalInfluxd,
                                                      tmp_path: Path) -> None:
    store = tmp_path / "zhian.db"
    ts = int(time.time() * 1000) - 3_600_000
    same_ms = [("zhian/cyl/gate-north/events", {"v": 1, "id": f"gate-north-{i}", "ts": ts, "device": "gate-north",
                                                 "type": "access.granted", "subject": {"id": f"r-{i}"}})
               for i in range(20)]
    fill_store(registry, store, same_ms)
    target = InfluxTarget(influxd.url, "zhian")
    drain_all(registry, store, target)
    rows = influx_rows(target, "SELECT \"id\" FROM events")
    assert sorted(r["id"] for r in rows) == sorted(f"gate-north-{i}" for i in range(20))
    assert {r["time"] for r in rows} == {ts}, "points keep the event's millisecond"


def test_a_resent_batch_overwrites_instead_of_duplicating(day_store: Path, registry: Registry,
                                                          influxd: LocalInfluxd, tmp_path: Path) -> None:
    store = copy_store(day_store, tmp_path / "zhian.db")
    target = InfluxTarget(influxd.url, "zhian")
    drain_all(registry, store, target)
    # a crash after InfluxDB accepted the batches but before the cursors were committed
    db = Store(store)
    db.commit_sink("influx", {EVENTS_CURSOR: 0, ALERTS_CURSOR: 0, METRICS_CURSOR: 0})
    db.close()
    drain_all(registry, store, target)
    assert_exactly_once(store, target)


def test_a_dropped_database_is_created_again(day_store: Path, registry: Registry, influxd: LocalInfluxd,
                                             tmp_path: Path) -> None:
    store = copy_store(day_store, tmp_path / "zhian.db")
    target = InfluxTarget(influxd.url, "zhian")
    http = InfluxHttp(target)
    http.query('CREATE DATABASE "zhian"')
    http.query('DROP DATABASE "zhian"')  # an operator's mistake: writes answer 404 until it exists
    http.close()
    drain = make_drain(registry, store, target)
    drain._prepare = None  # start straight away with writes, as after the drop
    drain.start()
    db = Store(store)
    deadline = time.monotonic() + 60
    while db.cursor(EVENTS_CURSOR) < db.last_seq():
        assert time.monotonic() < deadline and drain.is_alive()
        time.sleep(0.05)
    drain.finish(10)
    db.close()
    assert_exactly_once(store, target)


def test_refused_lines_go_to_dead_letters_with_the_reason(day_store: Path, registry: Registry,
                                                          influxd: LocalInfluxd, tmp_path: Path) -> None:
    store = copy_store(day_store, tmp_path / "zhian.db")
    target = InfluxTarget(influxd.url, "zhian")
    http = InfluxHttp(target)
    http.query('CREATE DATABASE "zhian"')
    # someone else's points make `count` a string in every shard the alerts fall in (a shard
    # covers a week from Monday 00:00 UTC, and the simulated day may cross one): every alert
    # line conflicts
    from ingest.event import parse_ts_ms
    foreign = [f'alerts,rule=manual count="many" {parse_ts_ms(str(a["ts"])) * NS_PER_MS}'
               for a in stored_alerts(store).values()]
    assert http.write("\n".join(foreign).encode()).status == 204
    http.close()
    drain_all(registry, store, target)
    db = Store(store)
    refused = db.sink_dead_letters(limit=100_000)
    n_alerts = len(stored_alerts(store))
    assert len(refused) == n_alerts
    assert all(r["status"] == 400 and "field type conflict" in r["reason"] and r["source"] == ALERTS_CURSOR
               for r in refused)
    assert db.cursor(EVENTS_CURSOR) == db.last_seq()
    assert db.cursor(ALERTS_CURSOR) >= max(stored_alerts(store)), "the cursor moves past refused lines"
    db.close()
    assert dict(influx_events(target)) == stored_events(store), "events still arrive, every one"


@pytest.mark.fault
def test_influxdb_down_then_up_loses_nothing(day_store: Path, registry: Registry, influxd: LocalInfluxd,
                                             tmp_path: Path) -> None:
    store = copy_store(day_store, tmp_path / "zhian.db")
    target = InfluxTarget(influxd.url, "zhian")
    influxd.stop()
    drain = make_drain(registry, store, target)
    drain.start()
    time.sleep(2.0)  # several failed attempts against a closed port
    db = Store(store)
    assert db.cursor(EVENTS_CURSOR) == 0, "nothing counts as written while InfluxDB is away"
    assert drain.behind()
    influxd.start()
    deadline = time.monotonic() + 60
    while db.cursor(EVENTS_CURSOR) < db.last_seq():
        assert time.monotonic() < deadline and drain.is_alive()
        time.sleep(0.05)
    drain.finish(10)
    db.close()
    assert_exactly_once(store, target)


def test_writer_splits_a_batch_to_isolate_bad_lines(influxd: LocalInfluxd) -> None:
    target = InfluxTarget(influxd.url, "w")
    http = InfluxHttp(target)
    http.query('CREATE DATABASE "w"')
    http.close()
    writer = InfluxWriter(target)
    good = [f"m,k=a v={i}i {1_700_000_000_000_000_000 + i}" for i in range(100)]
    for text in good[:50] + ["not line protocol"] + good[50:]:
        writer.add(text)
    refused = writer.flush()
    assert [r.line for r in refused] == ["not line protocol"]
    assert "unable to parse" in refused[0].reason
    assert len(influx_rows(target, "SELECT v FROM m")) == 100


class FullOnFirstCommits(Store):
    """The store as on a full disk: its first commits of the sink's progress fail."""

    failures = 2

    def commit_sink(self, *args: object, **kw: object) -> None:  # type: ignore[override]
        if FullOnFirstCommits.failures > 0:
            FullOnFirstCommits.failures -= 1
            raise StoreFull(str(self.path), sqlite3.OperationalError("database or disk is full"))
        super().commit_sink(*args, **kw)  # type: ignore[arg-type]


@pytest.mark.fault
def test_a_full_disk_under_the_sink_cursor_is_retried(day_store: Path, registry: Registry, influxd: LocalInfluxd,
                                                      tmp_path: Path) -> None:
    store = copy_store(day_store, tmp_path / "zhian.db")
    target = InfluxTarget(influxd.url, "zhian_full")
    drain = drain_all(registry, store, target, open_source=lambda: FullOnFirstCommits(store))
    assert FullOnFirstCommits.failures == 0 and drain.failed is None
    assert_exactly_once(store, target)
