"""Alert transitions from the store's outbox to the console: one task polls the outbox every
~150 ms, folds new rows into the alert book and fans them out to every live page (SSE)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import orjson

from zhian.console.book import AlertBook, is_alert_topic

log = logging.getLogger(__name__)

QUEUE_MAX = 1000  # a page this far behind is dropped; EventSource reconnects and reloads the list


class OutboxFeed:
    """Reads the outbox after its position with its own read-only connection."""

    def __init__(self, store_path: Path, poll_s: float = 0.15) -> None:
        self.store_path = Path(store_path)
        self.poll_s = poll_s
        self.book = AlertBook()
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._db: sqlite3.Connection | None = None
        self.closing = False
        # the book is folded by the poller and read by request threads
        self.lock = threading.Lock()
        # the connection is used by a worker thread and closed at shutdown: never both at once
        self._db_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            # read-only: the processor is the store's only writer
            self._db = sqlite3.connect(f"file:{self.store_path.resolve()}?mode=ro", uri=True,
                                       timeout=5, check_same_thread=False)
        return self._db

    def read_new(self, limit: int = 2000) -> list[dict[str, Any]]:
        """Fold outbox rows after the position into the book; the changed alerts as SSE messages."""
        with self._db_lock:
            if self.closing:
                return []
            rows = self._connect().execute(
                "SELECT n, topic, body FROM outbox WHERE n > ? ORDER BY n LIMIT ?",
                (self.book.position, limit)).fetchall()
        out: list[dict[str, Any]] = []
        with self.lock:
            self._fold(rows, out)
        return out

    def _fold(self, rows: list[tuple[int, str, bytes]], out: list[dict[str, Any]]) -> None:
        for n, topic, body in rows:
            if not is_alert_topic(topic):
                self.book.position = max(self.book.position, n)
                continue
            try:
                payload = orjson.loads(body)
                view = self.book.apply(n, topic, payload)
            except (orjson.JSONDecodeError, KeyError, ValueError) as exc:
                # a row this console cannot read must not stop the feed for the desk
                log.error("outbox row %d on %s unreadable, skipped: %s", n, topic, exc)
                self.book.position = max(self.book.position, n)
                continue
            if view is not None:
                out.append({"type": "alert", "n": n, "state": payload.get("state"), "alert": view.summary()})

    def catch_up(self) -> None:
        """Read the whole outbox (at start), in batches."""
        while not self.closing:
            before = self.book.position
            self.read_new(5000)
            if self.book.position == before:
                return

    def close(self) -> None:
        """Close the connection."""
        with self._db_lock:
            self.closing = True
            if self._db is not None:
                self._db.close()
                self._db = None

    # ---- fan-out ------------------------------------------------------------------------

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue receiving every message from now on (call on the event loop)."""
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_MAX)
        self._subscribers.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop delivering to a queue."""
        self._subscribers.discard(q)

    def subscribed(self, q: asyncio.Queue[dict[str, Any]]) -> bool:
        """False once a queue was dropped (its stream should end)."""
        return q in self._subscribers

    def publish(self, message: dict[str, Any]) -> None:
        """Deliver a message to every subscriber (on the event loop); a full queue is dropped."""
        for q in list(self._subscribers):
            try:
                q.put_nowait(message)
            except asyncio.QueueFull:
                self._subscribers.discard(q)  # its stream ends; the page reconnects and reloads
                log.warning("an SSE client fell %d messages behind and was dropped", QUEUE_MAX)

    def post(self, message: dict[str, Any]) -> None:
        """`publish` from any thread (request handlers run in a pool)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.publish, message)

    async def run(self) -> None:
        """Poll until cancelled; never dies on a database error (logged, retried)."""
        self._loop = asyncio.get_running_loop()
        failing = False
        while not self.closing:
            try:
                messages = await asyncio.to_thread(self.read_new)
                failing = False
            except sqlite3.Error as exc:
                if not failing:
                    log.error("reading the outbox failed (retrying): %s", exc)
                failing = True
                messages = []
            for m in messages:
                self.publish(m)
            await asyncio.sleep(self.poll_s)
