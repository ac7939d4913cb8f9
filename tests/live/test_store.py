"""The store's batch append (log sequences, duplicates) and its full-disk error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ingest.errors import ZhianError
from ingest.event import Event
from zhian.store import INSERT_ROWS, Rejected, Store, StoreError, StoreFull, is_space_error

T0 = 1_793_575_865_000


def beat(device: str, n: int, pad: int = 0) -> tuple[Event, int]:
    """A heartbeat as `append` takes it."""
    return Event(f"{device}-{n}", T0 + n, device, "device.heartbeat", None, {"pad": "x" * pad}), T0 + n


def test_append_returns_each_new_event_with_its_log_sequence(tmp_path: Path) -> None:
    store = Store(tmp_path / "z.db")
    fresh, dups = store.append([beat("gate-north", 1)], [])  # a batch of one
    assert [(seq, e.id) for seq, e in fresh] == [(1, "gate-north-1")] and dups == 0
    batch = [beat("gate-north", 2), beat("gate-south", 1), beat("gate-north", 1), beat("gate-north", 2),
             beat("gate-north", 3)]
    fresh, dups = store.append(batch, [Rejected(T0, "zhian/cyl/x/events", b"{", "not_json", None, "bad")])
    # the repeat within the batch and the one of the first batch are duplicates, stored once
    assert [(seq, e.device, e.id) for seq, e in fresh] == [
        (2, "gate-north", "gate-north-2"), (3, "gate-south", "gate-south-1"), (4, "gate-north", "gate-north-3")]
    assert dups == 2
    assert fresh[0][1] is batch[0][0], "the first copy of a repeated event is the one returned"
    assert store.counters() == {"duplicates": 2, "events": 4, "rejected.not_json": 1}
    assert [seq for seq, _ in store.events_after(0)] == [1, 2, 3, 4]
    fresh, dups = store.append([], [])
    assert (fresh, dups) == ([], 0)


def test_full_database_raises_store_full_and_keeps_nothing_of_the_batch(tmp_path: Path) -> None:
    store = Store(tmp_path / "z.db")
    store.append([beat("gate-north", 1)], [])
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreFull) as caught:
        store.append([beat("gate-north", n, pad=2000) for n in range(2, 200)], [])
    assert isinstance(caught.value, StoreError) and isinstance(caught.value, ZhianError)
    message = str(caught.value)
    assert message.startswith(f"disk full: free space on {tmp_path.resolve()}")
    assert str(tmp_path / "z.db") in message
    assert caught.value.cause.sqlite_errorcode == sqlite3.SQLITE_FULL
    assert store.event_count() == 1 and store.counters() == {"events": 1}, "the transaction was rolled back"
    with pytest.raises(StoreFull):
        store.save_snapshot("engine", 1, T0, {"blob": "x" * 100_000}, [(1, T0, "zhian/cyl/alerts", b"x" * 50_000)])
    assert store.load_snapshot("engine") is None and store.outbox_after(0) == []
    store.db.execute("PRAGMA max_page_count = 1073741823")
    fresh, _ = store.append([beat("gate-north", n, pad=2000) for n in range(2, 200)], [])
    assert [seq for seq, _ in fresh] == list(range(2, 200))
    assert store.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_only_space_errors_count_as_full(tmp_path: Path) -> None:
    db = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.Error) as caught:
        db.execute("SELECT * FROM missing")
    assert not is_space_error(caught.value, str(tmp_path / "z.db"))


def test_duplicates_anywhere_in_a_batch_keep_every_other_event_with_its_own_sequence(tmp_path: Path) -> None:
    store = Store(tmp_path / "z.db")
    store.append([beat("gate-north", n) for n in (3, 7)], [])
    batch = [beat("gate-north", 7), beat("gate-south", 1), beat("gate-north", 1), beat("gate-south", 1),
             beat("gate-north", 3), beat("gate-north", 2)]
    fresh, dups = store.append(batch, [])
    assert dups == 3
    assert [(seq, e.device, e.id) for seq, e in fresh] == [
        (3, "gate-south", "gate-south-1"), (4, "gate-north", "gate-north-1"), (5, "gate-north", "gate-north-2")]
    stored = store.db.execute("SELECT seq, device, id FROM events ORDER BY seq").fetchall()
    assert [(seq, e.device, e.id) for seq, e in fresh] == stored[2:], "returned sequences are the stored ones"


def test_a_batch_of_many_insert_statements_keeps_log_order_sequences_and_bodies(tmp_path: Path) -> None:
    store = Store(tmp_path / "z.db")
    store.append([beat("gate-north", n) for n in (5, 70, 140)], [])
    # several statements' worth of rows (INSERT_ROWS each), duplicates in the first, a middle
    # and the last statement, and a last statement that is not full
    numbers = [1000 + i for i in range(3 * INSERT_ROWS + 5)]
    numbers[0] = 5  # stored before
    numbers[INSERT_ROWS + 3] = 70  # stored before
    numbers[2 * INSERT_ROWS] = 1001  # a repeat of an earlier row of this batch
    numbers[-1] = 140  # stored before
    batch = [beat("gate-north", n) for n in numbers]
    fresh, dups = store.append(batch, [])
    expected = [n for i, n in enumerate(numbers) if n not in (5, 70, 140) and n not in numbers[:i]]
    assert dups == len(numbers) - len(expected) == 4
    assert [e.id for _, e in fresh] == [f"gate-north-{n}" for n in expected]
    assert [seq for seq, _ in fresh] == list(range(4, 4 + len(expected)))
    stored = [(seq, e.to_dict()) for seq, e in store.events_after(3)]
    assert stored == [(seq, e.to_dict()) for seq, e in fresh], "bodies read back in log order"
    assert store.counters()["events"] == 3 + len(expected)


OLD_EVENTS = """CREATE TABLE events (
    seq INTEGER PRIMARY KEY, device TEXT NOT NULL, id TEXT NOT NULL, ts_ms INTEGER NOT NULL,
    type TEXT NOT NULL, subject TEXT, received_ms INTEGER NOT NULL, late INTEGER NOT NULL DEFAULT 0,
    body BLOB NOT NULL, UNIQUE (device, id));
CREATE INDEX events_ts ON events (ts_ms);
CREATE INDEX events_device_ts ON events (device, ts_ms);
CREATE INDEX events_subject_ts ON events (subject, ts_ms) WHERE subject IS NOT NULL;
"""


def test_a_store_of_the_old_schema_is_upgraded_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(OLD_EVENTS)
    body = b'{"v":1,"id":"gate-north-1","ts":1793575865001,"device":"gate-north","type":"device.heartbeat"}'
    db.execute("INSERT INTO events (device, id, ts_ms, type, subject, received_ms, late, body)"
               " VALUES ('gate-north', 'gate-north-1', ?, 'device.heartbeat', NULL, ?, 0, ?)", (T0 + 1, T0 + 1, body))
    db.commit()
    db.close()
    store = Store(path)
    columns = [row[1] for row in store.db.execute("PRAGMA table_info(events)")]
    assert "late" not in columns and "body" in columns
    assert store.db.execute("PRAGMA user_version").fetchone()[0] >= 1
    assert [(seq, e.id) for seq, e in store.events_after(0)] == [(1, "gate-north-1")]
    fresh, dups = store.append([beat("gate-north", 1), beat("gate-north", 2)], [])
    assert [(seq, e.id) for seq, e in fresh] == [(2, "gate-north-2")] and dups == 1, "dedup survives the upgrade"
    indexes = {row[1] for row in store.db.execute("PRAGMA index_list(events)")}
    assert {"events_ts", "events_device_ts", "events_subject_ts"} <= indexes
    store.close()
    assert "late" not in [row[1] for row in Store(path).db.execute("PRAGMA table_info(events)")], "reopened as is"
