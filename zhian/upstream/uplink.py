"""The uplink loop: register, keep alive, push new alert transitions from zhian's outbox.

It runs beside `zhian run` and reads the processor's store read-only (the outbox keeps every
published alert transition in order); its position is a small file of its own, advanced
only after the platform accepted a batch, so a restart or an outage resends, never skips.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from zhian.upstream.notify import notification
from zhian.upstream.viid import ViidClient, ViidError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UplinkConfig:
    """How often to talk to the platform and what to send."""

    subscribe_id: str                  # the subscription the platform set up for zhian
    keepalive_s: float = 60.0
    batch_max: int = 100
    retry_max_s: float = 60.0
    states: frozenset[str] = frozenset({"raised", "updated", "acknowledged", "cleared", "escalated"})


class OutboxReader:
    """Alert transitions from a store's outbox after a position (read-only)."""

    def __init__(self, store: Path, community: str) -> None:
        self.store = store
        self.topic = f"zhian/{community}/alerts"

    def after(self, position: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """(outbox number, alert) pairs after `position`, oldest first."""
        db = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True, timeout=5)
        try:
            rows = db.execute("SELECT n, body FROM outbox WHERE n > ? AND topic = ? ORDER BY n LIMIT ?",
                              (position, self.topic, limit)).fetchall()
        finally:
            db.close()
        return [(int(n), orjson.loads(body)) for n, body in rows]


class Position:
    """The last outbox number the platform accepted, kept in a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self) -> int:
        """The saved position (0 at first)."""
        try:
            return int(self.path.read_text().strip() or 0)
        except FileNotFoundError:
            return 0

    def set(self, value: int) -> None:
        """Save a new position atomically."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(f"{value}\n")
        tmp.replace(self.path)


class Uplink:
    """One step at a time, so that tests drive it with their own clock."""

    def __init__(self, client: ViidClient, source: OutboxReader, position: Position, config: UplinkConfig,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.source = source
        self.position = position
        self.config = config
        self.clock = clock
        self.registered = False
        self.next_keepalive = 0.0
        self.retry_at = 0.0
        self.backoff_s = 1.0
        self.sent = 0

    def step(self) -> bool:
        """Do the next due thing; True when work was done (call again at once)."""
        now = self.clock()
        if now < self.retry_at:
            return False
        try:
            if not self.registered:
                self.client.register()
                self.registered = True
                self.next_keepalive = now + self.config.keepalive_s
                log.info("registered with the 视图库 as %s", self.client.config.device_id)
                return True
            if now >= self.next_keepalive:
                self.client.keepalive()
                self.next_keepalive = now + self.config.keepalive_s
                return True
            return self._push()
        except ViidError as exc:
            # an expired registration shows as refused keepalives or pushes: register again
            self.registered = False
            self.retry_at = now + self.backoff_s
            log.warning("视图库: %s; retrying in %.0f s", exc, self.backoff_s)
            self.backoff_s = min(self.backoff_s * 2, self.config.retry_max_s)
            return False

    def _push(self) -> bool:
        start = self.position.get()
        rows = self.source.after(start, self.config.batch_max)
        if not rows:
            return False
        wanted = [notification(alert, n, self.client.config.device_id, self.config.subscribe_id)
                  for n, alert in rows if alert.get("state") in self.config.states]
        if wanted:
            self.client.notify(wanted)
            self.sent += len(wanted)
        self.position.set(rows[-1][0])
        self.backoff_s = 1.0
        return True

    def run(self, stop: threading.Event, idle_s: float = 1.0) -> None:
        """Step until `stop` is set, then unregister (best effort)."""
        while not stop.is_set():
            if not self.step():
                stop.wait(idle_s)
        if self.registered:
            try:
                self.client.unregister()
            except ViidError as exc:
                log.warning("视图库 unregister: %s", exc)
