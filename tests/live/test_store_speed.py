"""The event log's INSERT binds its body as a value that Python's sqlite3 passes to SQLite as
it is (no adapter lookup per row), and the rows it stores are the ones the plain binding stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from ingest.event import Event, Subject
from zhian.store import INSERT_ROWS, Store

T0 = 1_793_575_865_000


def events(count: int) -> list[tuple[Event, int]]:
    """Heartbeats and access events, a third of them with a subject."""
    out = []
    for n in range(count):
        subject = None
        if n % 3 == 1:
            subject = Subject(f"r-{n:05d}", "resident", "card" if n % 2 else None)
        kind = "access.granted" if subject is not None else "device.heartbeat"
        data = {"direction": "in"} if subject is not None else {"uptime_s": n}
        out.append((Event(f"lobby-3-1-{n}", T0 + n, "lobby-3-1", kind, subject, data), T0 + n + 5))
    return out


@pytest.fixture
def adapted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[type]]:
    """Values of type bytes that sqlite3 sent through its adapter protocol, recorded while the
    fixture lives (the event log's body; a missing subject, None, still goes that way)."""
    seen: list[type] = []

    def record(value: object) -> object:
        seen.append(type(value))
        return value

    monkeypatch.setitem(sqlite3.adapters, (bytes, sqlite3.PrepareProtocol), record)
    yield seen


def test_append_binds_the_body_without_the_adapter_lookup(tmp_path: Path, adapted: list[type]) -> None:
    store = Store(tmp_path / "z.db")
    adapted.clear()
    fresh, duplicates = store.append(events(2 * INSERT_ROWS + 5), [])
    assert len(fresh) == 2 * INSERT_ROWS + 5 and duplicates == 0
    assert adapted == [], f"{len(adapted)} bodies adapted one by one"


def test_stored_rows_are_those_of_the_plain_binding(tmp_path: Path) -> None:
    batch = events(3 * INSERT_ROWS)
    store = Store(tmp_path / "z.db")
    store.append(batch, [])
    rows = store.db.execute(
        "SELECT seq, device, id, ts_ms, type, subject, typeof(subject), received_ms, body, typeof(body)"
        " FROM events ORDER BY seq").fetchall()
    expected = []
    for seq, (event, received_ms) in enumerate(batch, 1):
        subject = event.subject.id if event.subject is not None else None
        expected.append((seq, event.device, event.id, event.ts_ms, event.type, subject,
                         "text" if subject is not None else "null", received_ms,
                         orjson.dumps(event.to_dict()), "blob"))
    assert rows == expected
    assert type(rows[0][8]) is bytes, "the body is read back as bytes"
    # the partial subject index still holds exactly the events with a subject
    with_subject = store.db.execute(
        "SELECT count(*) FROM events INDEXED BY events_subject_ts WHERE subject IS NOT NULL").fetchone()[0]
    assert with_subject == sum(1 for e, _ in batch if e.subject is not None)
    assert [e for _, e in store.events_after(0)] == [e for e, _ in batch]
