"""The embedded store (SQLite): event log and index, dead letters, counters, engine
snapshots and the outbox that later sinks drain.

One writer thread owns a Store. WAL with synchronous=NORMAL makes a commit survive
the process being killed; `durability="full"` also survives power loss, at a cost.
(With NORMAL, COMMIT writes the transaction to the WAL file without fsync: once it returns
the kernel holds it, so SIGKILL loses nothing, while a power cut or kernel crash before
the next checkpoint's fsync can lose the last transactions. The live processor acknowledges
a batch to the broker after its COMMIT, so `durability="full"` is what makes the ack
durable against power loss too.)

What the event log costs (bench/live_bench.py --stages): about 5 µs of CPU per event in
large batches, most of it SQLite's work on the table and its four B-trees (the (device, id)
key, time, device and time, subject and time). A commit writes every page the batch touched
to the WAL, and the device-keyed indexes touch one leaf per active device, so a commit costs
as much as a few dozen events: callers store in batches (see zhian/live.py).
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ingest.errors import ZhianError
from ingest.event import Event, event_from_trusted

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    device TEXT NOT NULL,
    id TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    type TEXT NOT NULL,
    subject TEXT,
    received_ms INTEGER NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (device, id)
);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts_ms);
CREATE INDEX IF NOT EXISTS events_device_ts ON events (device, ts_ms);
CREATE INDEX IF NOT EXISTS events_subject_ts ON events (subject, ts_ms) WHERE subject IS NOT NULL;
CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    reason TEXT NOT NULL,
    field TEXT,
    detail TEXT NOT NULL,
    device TEXT
);
CREATE INDEX IF NOT EXISTS dead_letters_reason ON dead_letters (reason, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    name TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, taken_ms INTEGER NOT NULL, body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    n INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, topic TEXT NOT NULL, body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_ts ON outbox (ts_ms);
CREATE TABLE IF NOT EXISTS metric_lines (n INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sink_dead_letters (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    sink TEXT NOT NULL,
    source TEXT NOT NULL,
    position INTEGER NOT NULL,
    line TEXT NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    detail BLOB NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
"""

# PRAGMA user_version of the schema above; `_migrate` upgrades older stores to it.
# 1: events lost its `late` column (always 0: the engine's counters say what was late).
SCHEMA_VERSION = 1

MAX_DEAD_PAYLOAD = 64 * 1024

# I/O errors that a full file system causes (SQLite reports most of those as SQLITE_FULL)
_SPACE_IOERRS = {getattr(sqlite3, name, -1) for name in (
    "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_TRUNCATE", "SQLITE_IOERR_SHMSIZE",
    "SQLITE_IOERR_SHMMAP")}
LOW_SPACE_BYTES = 1 << 20  # an I/O error with less free space than this is taken for a full disk


class StoreError(ZhianError):
    """The store could not do what was asked; the transaction was rolled back."""


class StoreFull(StoreError):
    """The disk (or the database's page limit) is full: nothing of the transaction was written.
    Retry once space is freed; the message says where."""

    def __init__(self, path: str, cause: sqlite3.Error) -> None:
        self.path = path
        self.cause = cause
        folder = Path(path).resolve().parent if path != ":memory:" else Path(".")
        try:
            free = f"{shutil.disk_usage(folder).free:,} bytes free"
        except OSError:
            free = "free space unknown"
        super().__init__(f"disk full: free space on {folder} (store {path}, {free}; "
                         f"SQLite: {cause}); zhian retries by itself")


def is_space_error(exc: sqlite3.Error, path: str) -> bool:
    """True when a SQLite error means the disk or the database's page limit is full."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return False
    if code & 0xFF == sqlite3.SQLITE_FULL or code in _SPACE_IOERRS:
        return True
    if code & 0xFF == sqlite3.SQLITE_IOERR and path != ":memory:":
        try:
            return shutil.disk_usage(Path(path).resolve().parent).free < LOW_SPACE_BYTES
        except OSError:
            return False
    return False


# Python's sqlite3 binds int, float, str and bytearray as they are; any other value goes through
# its adapter lookup, which for a type without a registered adapter also asks the value itself
# (`__adapt__`, `__conform__`: two AttributeErrors raised and cleared per value). None, the
# subject column of most events, measured 0.3 µs per stored row in that lookup; an adapter
# registered for it ends the lookup at once. An empty dict's `get` returns None again (a C
# method: no Python frame), so NULL is stored as before. (Process-wide, as sqlite3's adapters
# are; harmless for every other user: None still becomes NULL.)
_NO_ADAPTATION: dict[None, None] = {}
sqlite3.register_adapter(type(None), _NO_ADAPTATION.get)

EVENT_COLUMNS = ("device", "id", "ts_ms", "type", "subject", "received_ms", "body")
# Rows per INSERT statement of the event log: a statement of many rows costs about a quarter
# less per row than `executemany` of one (measured: the per-row step and reset of the module).
INSERT_ROWS = 64


@functools.lru_cache(maxsize=INSERT_ROWS)
def _insert_sql(rows: int) -> str:
    row = "(" + ", ".join("?" * len(EVENT_COLUMNS)) + ")"
    return f"INSERT OR IGNORE INTO events ({', '.join(EVENT_COLUMNS)}) VALUES " + ", ".join([row] * rows)


def _insert_events(cur: sqlite3.Cursor, values: list[Any]) -> int:
    """INSERT OR IGNORE the rows whose columns (EVENT_COLUMNS) follow each other in `values`,
    in order, INSERT_ROWS to a statement; returns how many rows were stored (not duplicates)."""
    width = len(EVENT_COLUMNS)
    step = INSERT_ROWS * width
    stored = 0
    for start in range(0, len(values), step):
        part = values[start:start + step]
        cur.execute(_insert_sql(len(part) // width), part)
        stored += cur.rowcount
    return stored


@dataclass(slots=True)
class Rejected:
    """A message that did not become an event, as kept in the dead-letter store."""

    received_ms: int
    topic: str
    payload: bytes
    reason: str
    field: str | None
    detail: str
    device: str | None = None


def audit_hash(prev: str, at_ms: int, user: str, action: str, body: bytes) -> str:
    """SHA-256 of an audit entry chained to its predecessor's hash."""
    h = hashlib.sha256()
    for part in (prev.encode(), str(at_ms).encode(), user.encode(), action.encode(), body):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


class Store:
    """The SQLite store; not thread-safe: one writer thread owns it."""

    def __init__(self, path: str | Path, durability: str = "normal") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # room for the event log's INSERT of every row count (INSERT_ROWS) beside the other statements
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, cached_statements=256)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if durability == 'full' else 'NORMAL'}")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Bring a store written by an older zhian to SCHEMA_VERSION (once, in one transaction)."""
        if self.db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return
        with self._transaction() as cur:
            columns = {row[1] for row in cur.execute("PRAGMA table_info(events)")}
            if "late" in columns:
                cur.execute("ALTER TABLE events DROP COLUMN late")
            cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def _translated(self, exc: sqlite3.Error) -> Exception:
        """A full disk becomes StoreFull; anything else stays as it is."""
        return StoreFull(self.path, exc) if is_space_error(exc, self.path) else exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        """BEGIN IMMEDIATE … COMMIT; rolled back on any error, a full disk raised as StoreFull."""
        cur = self.db.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
                cur.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:  # SQLite rolls back by itself after some errors (SQLITE_FULL)
                    self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self._translated(exc) from exc

    # ---- ingest ------------------------------------------------------------------------

    def append(
        self, events: Iterable[tuple[Event, int]], rejects: Iterable[Rejected]
    ) -> tuple[list[tuple[int, Event]], int]:
        """Store a batch in one transaction: (event, received_ms) and rejections.

        Returns the newly stored events with their log sequence and the number of
        duplicates (same device and id as a stored event, or as one earlier in the batch),
        which are not stored again. Raises StoreFull (nothing stored) when the disk is full.
        """
        batch = list(events)
        rejects = list(rejects)
        values: list[Any] = []  # the rows' columns one after the other (see _insert_events)
        add = values.extend
        dumps = orjson.dumps
        for e, received_ms in batch:
            subject = e.subject
            # the body as a bytearray: Python's sqlite3 binds int, float, str and bytearray as they
            # are but sends other values (bytes, None) through its adapter lookup, which raises and
            # clears two AttributeErrors per value (measured: a tenth of the CPU of storing a row);
            # the same BLOB is stored and read back as bytes. (A missing subject has an adapter of
            # its own, above.)
            add((e.device, e.id, e.ts_ms, e.type, subject.id if subject is not None else None, received_ms,
                 bytearray(dumps(e.to_dict()))))
        counts: dict[str, int] = {}
        for r in rejects:
            counts[f"rejected.{r.reason}"] = counts.get(f"rejected.{r.reason}", 0) + 1
        fresh: list[tuple[int, Event]] = []
        with self._transaction() as cur:
            if batch:
                # the sequences follow from the highest one before the batch: inside this write
                # transaction nobody else inserts, and SQLite numbers each new row max(seq) + 1
                # (seq is the rowid, without AUTOINCREMENT)
                before = int(cur.execute("SELECT max(seq) FROM events").fetchone()[0] or 0)
                if _insert_events(cur, values) == len(batch):
                    fresh = [(before + i, event) for i, (event, _) in enumerate(batch, 1)]
                else:
                    fresh = self._stored_after(cur, before, batch)
            if rejects:
                cur.executemany(
                    "INSERT INTO dead_letters (received_ms, topic, payload, reason, field, detail, device)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(r.received_ms, r.topic[:512], r.payload[:MAX_DEAD_PAYLOAD], r.reason, r.field, r.detail,
                      r.device) for r in rejects])
            duplicates = len(batch) - len(fresh)
            if duplicates:
                counts["duplicates"] = duplicates
            if fresh:
                counts["events"] = len(fresh)
            self._bump(cur, counts)
        return fresh, duplicates

    @staticmethod
    def _stored_after(cur: sqlite3.Cursor, before: int, batch: list[tuple[Event, int]]) -> list[tuple[int, Event]]:
        """(seq, event) of the batch's events that this transaction stored (after sequence
        `before`): the first copy of each (device, id) not stored earlier."""
        stored = {(device, id_): seq for seq, device, id_ in cur.execute(
            "SELECT seq, device, id FROM events WHERE seq > ?", (before,))}
        fresh = []
        for event, _ in batch:
            seq = stored.pop((event.device, event.id), None)
            if seq is not None:
                fresh.append((seq, event))
        return fresh

    def _bump(self, cur: sqlite3.Cursor, counts: dict[str, int]) -> None:
        cur.executemany(
            "INSERT INTO counters (name, value) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value", counts.items())

    def events_after(self, seq: int, batch: int = 5000) -> Iterator[tuple[int, Event]]:
        """Stored events with a log sequence above `seq`, in log order."""
        last = seq
        while True:
            rows = self.db.execute(
                "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch)
            ).fetchall()
            for row_seq, body in rows:
                yield row_seq, event_from_trusted(orjson.loads(body))
            if len(rows) < batch:
                return
            last = rows[-1][0]

    def event_rows_after(self, seq: int, limit: int) -> list[tuple[int, int, bytes]]:
        """Raw (seq, received_ms, body) of logged events after `seq`, in log order (for sinks)."""
        return self.db.execute(
            "SELECT seq, received_ms, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall()

    def last_seq(self) -> int:
        """The highest log sequence stored (0 when empty)."""
        row = self.db.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    # ---- snapshots and outbox ------------------------------------------------------------

    def save_snapshot(self, name: str, last_seq: int, taken_ms: int, body: dict[str, Any],
                      outbox: Iterable[tuple[int, int, str, bytes]] = ()) -> None:
        """Write a snapshot (and outputs not yet in the outbox) in one transaction."""
        data = orjson.dumps(body)
        with self._transaction() as cur:
            self._outbox(cur, outbox)
            cur.execute("INSERT OR REPLACE INTO snapshots (name, last_seq, taken_ms, body) VALUES (?, ?, ?, ?)",
                        (name, last_seq, taken_ms, data))

    def load_snapshot(self, name: str) -> tuple[int, dict[str, Any]] | None:
        """(last_seq, body) of the named snapshot, or None."""
        row = self.db.execute("SELECT last_seq, body FROM snapshots WHERE name = ?", (name,)).fetchone()
        return (int(row[0]), orjson.loads(row[1])) if row else None

    def add_outbox(self, items: Iterable[tuple[int, int, str, bytes]]) -> None:
        """Add (n, ts_ms, topic, body) messages; a number already present is ignored, which
        is what makes outputs recomputed after a crash harmless."""
        with self._transaction() as cur:
            self._outbox(cur, items)

    def _outbox(self, cur: sqlite3.Cursor, items: Iterable[tuple[int, int, str, bytes]]) -> None:
        cur.executemany("INSERT OR IGNORE INTO outbox (n, ts_ms, topic, body) VALUES (?, ?, ?, ?)", items)

    def outbox_after(self, position: int, limit: int = 1000) -> list[tuple[int, str, bytes]]:
        """Outbox messages (n, topic, body) after a sink's position, in order."""
        return self.db.execute(
            "SELECT n, topic, body FROM outbox WHERE n > ? ORDER BY n LIMIT ?", (position, limit)
        ).fetchall()

    def cursor(self, name: str) -> int:
        """A sink's position in the outbox (0 at first)."""
        row = self.db.execute("SELECT position FROM cursors WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def set_cursor(self, name: str, position: int) -> None:
        """Record a sink's position after the messages up to it were delivered."""
        try:
            self.db.execute(
                "INSERT INTO cursors (name, position) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET position = excluded.position", (name, position))
        except sqlite3.Error as exc:
            raise self._translated(exc) from exc

    # ---- sink queues: metric lines, cursors, refused lines --------------------------------------

    def add_metric_lines(self, lines: list[str]) -> None:
        """Queue metric lines (line protocol) for the InfluxDB sink."""
        if not lines:
            return
        with self._transaction() as cur:
            cur.executemany("INSERT INTO metric_lines (line) VALUES (?)", ((x,) for x in lines))

    def metric_lines_after(self, n: int, limit: int) -> list[tuple[int, str]]:
        """Queued metric lines after position `n`, in order."""
        return self.db.execute(
            "SELECT n, line FROM metric_lines WHERE n > ? ORDER BY n LIMIT ?", (n, limit)).fetchall()

    def commit_sink(self, sink: str, cursors: dict[str, int],
                    refused: Iterable[tuple[str, int, str, int, str]] = (), prune_metrics: str | None = None) -> None:
        """After a sink's batch was accepted: record the lines it refused (source, position,
        line, status, reason), move its cursors, and drop metric lines it no longer needs, in
        one transaction, so a crash leaves either the batch pending or all of it done."""
        now = int(time.time() * 1000)
        with self._transaction() as cur:
            cur.executemany(
                "INSERT INTO sink_dead_letters (at_ms, sink, source, position, line, status, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", ((now, sink, *r) for r in refused))
            cur.executemany(
                "INSERT INTO cursors (name, position) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET position = excluded.position", cursors.items())
            if prune_metrics is not None and prune_metrics in cursors:
                cur.execute("DELETE FROM metric_lines WHERE n <= ?", (cursors[prune_metrics],))

    def sink_dead_letters(self, sink: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Lines a sink's server refused, most recent first."""
        sql = "SELECT seq, at_ms, sink, source, position, line, status, reason FROM sink_dead_letters"
        args: tuple[Any, ...] = ()
        if sink:
            sql += " WHERE sink = ?"
            args = (sink,)
        cols = ("seq", "at_ms", "sink", "source", "position", "line", "status", "reason")
        return [dict(zip(cols, row, strict=True))
                for row in self.db.execute(sql + " ORDER BY seq DESC LIMIT ?", (*args, limit))]

    def outbox_depth(self, cursor_name: str, topic_suffixes: tuple[str, ...] | None = None) -> int:
        """Outbox rows after a cursor (optionally only topics ending in one of the suffixes)."""
        position = self.cursor(cursor_name)
        if topic_suffixes is None:
            row = self.db.execute("SELECT count(*) FROM outbox WHERE n > ?", (position,)).fetchone()
            return int(row[0])
        rows = self.db.execute("SELECT topic FROM outbox WHERE n > ?", (position,)).fetchall()
        return sum(1 for (topic,) in rows if topic.endswith(topic_suffixes))

    def metric_depth(self, cursor_name: str) -> int:
        """Metric lines queued after a cursor."""
        row = self.db.execute("SELECT count(*) FROM metric_lines WHERE n > ?", (self.cursor(cursor_name),)).fetchone()
        return int(row[0])

    # ---- audit log -----------------------------------------------------------------------------

    def audit(self, user: str, action: str, detail: dict[str, Any], at_ms: int) -> str:
        """Append an entry (who, what) to the audit log; returns its hash. Each entry's hash
        covers the previous one's, so a deleted or edited entry breaks the chain."""
        body = orjson.dumps(detail, option=orjson.OPT_SORT_KEYS)
        with self._transaction() as cur:
            row = cur.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            prev = row[0] if row else ""
            digest = audit_hash(prev, at_ms, user, action, body)
            cur.execute("INSERT INTO audit (at_ms, user, action, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
                        (at_ms, user, action, body, prev, digest))
        return digest

    def audit_log(self) -> list[dict[str, Any]]:
        """Every audit entry, oldest first."""
        cols = ("seq", "at_ms", "user", "action", "detail", "prev_hash", "hash")
        out = []
        for row in self.db.execute(f"SELECT {', '.join(cols)} FROM audit ORDER BY seq"):
            entry = dict(zip(cols, row, strict=True))
            entry["detail"] = orjson.loads(entry["detail"])
            out.append(entry)
        return out

    def audit_chain_ok(self) -> bool:
        """True when every audit entry's hash matches its content and its predecessor."""
        prev = ""
        for at_ms, user, action, body, prev_hash, digest in self.db.execute(
                "SELECT at_ms, user, action, detail, prev_hash, hash FROM audit ORDER BY seq"):
            if prev_hash != prev or digest != audit_hash(prev, at_ms, user, action, body):
                return False
            prev = digest
        return True

    # ---- reading -----------------------------------------------------------------------

    def counters(self) -> dict[str, int]:
        """Every counter by name."""
        return dict(self.db.execute("SELECT name, value FROM counters ORDER BY name").fetchall())

    def event_count(self) -> int:
        """How many events are stored."""
        return int(self.db.execute("SELECT count(*) FROM events").fetchone()[0])
