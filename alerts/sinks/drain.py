"""The InfluxDB sink worker: reads the durable store after its cursors and writes it to InfluxDB.

The store is the durable outbox: the event log (by `seq`), the alert transitions among the
outbox messages (by `n`) and the queued metric lines (by `n`), with one cursor per source.
The worker reads after its cursors, builds a batch of up to 5,000 lines, hands it to the
`InfluxWriter` (which retries until the server has answered for every line) and only then
moves the cursors, in one SQLite transaction together with the refused lines. A crash
before that commit re-sends the batch on restart; every point's timestamp and series key
are derived from the data, so a re-sent point overwrites itself instead of duplicating.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from alerts.sinks.influx import Backoff, InfluxError, InfluxWriter, Refused, Stopped
from alerts.sinks.lineproto import Locate, alert_line, event_line
from ingest.errors import ZhianError
from ingest.event import parse_ts_ms

log = logging.getLogger(__name__)

SINK = "influx"
EVENTS_CURSOR = "influx.events"
ALERTS_CURSOR = "influx.alerts"
METRICS_CURSOR = "influx.metrics"
# stores written before silenced transitions joined the alerts topic have them on /alerts/silenced
ALERT_TOPIC_SUFFIXES = ("/alerts", "/alerts/silenced")


def is_silenced(topic: str, payload: dict[str, Any]) -> bool:
    """Whether a stored alert transition was covered by a silence (payload key, or the old topic)."""
    return "silenced" in payload or topic.endswith("/silenced")


class OutboxSource(Protocol):
    """What the worker needs from the store (zhian's Store implements it)."""

    def cursor(self, name: str) -> int:
        """A cursor's position (0 at first)."""
        ...

    def event_rows_after(self, seq: int, limit: int) -> list[tuple[int, int, bytes]]:
        """(seq, received_ms, event JSON) after `seq`."""
        ...

    def outbox_after(self, position: int, limit: int = 1000) -> list[tuple[int, str, bytes]]:
        """(n, topic, payload JSON) after `position`."""
        ...

    def metric_lines_after(self, n: int, limit: int) -> list[tuple[int, str]]:
        """(n, line) after `n`."""
        ...

    def commit_sink(self, sink: str, cursors: dict[str, int],
                    refused: list[tuple[str, int, str, int, str]], prune_metrics: str | None = None) -> None:
        """Move cursors and record refused lines in one transaction."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


@dataclass(slots=True)
class DrainStats:
    """What the worker has done since it started."""

    lines: int = 0
    batches: int = 0
    refused: int = 0
    events: int = 0
    alerts: int = 0
    metrics: int = 0


@dataclass(slots=True)
class _Batch:
    """Lines on their way to InfluxDB and the cursor positions to commit once they are written."""

    lines: list[str]
    origins: dict[str, tuple[str, int]]  # line -> (source, position), to dead-letter refusals
    positions: dict[str, int]
    unencodable: list[tuple[str, int, str, int, str]]
    future: Future[list[Refused]] | None = None


class InfluxDrain(threading.Thread):
    """A thread that drains the store into InfluxDB; `pressure` is set while it falls behind."""

    def __init__(self, open_source: Callable[[], OutboxSource], make_writer: Callable[[threading.Event], InfluxWriter],
                 community: str, locate: Locate, *, prepare: Callable[[], None] | None = None,
                 backoff: Backoff | None = None, poll_s: float = 0.2, linger_s: float = 0.5) -> None:
        super().__init__(name="influx-drain", daemon=True)
        self._open_source = open_source
        self._make_writer = make_writer
        self.community = community
        self.locate = locate
        self._prepare = prepare
        self.backoff = backoff or Backoff()
        self.poll_s = poll_s
        self.linger_s = linger_s
        self.stop_now = threading.Event()  # abandon retries: the data stays in the store
        self._finishing = threading.Event()  # write what is there, then end
        self._wake = threading.Event()
        self.pressure = threading.Event()
        self.stats = DrainStats()
        self.writer: InfluxWriter | None = None
        self.failed: BaseException | None = None
        self._unencodable: list[tuple[str, int, str, int, str]] = []

    def behind(self) -> bool:
        """The backpressure signal: a backlog larger than a batch, or InfluxDB not accepting."""
        writer = self.writer
        return self.pressure.is_set() or (writer is not None and writer.stats.waiting_since is not None)

    def wake(self) -> None:
        """New data is in the store: look now rather than at the next poll."""
        self._wake.set()

    def finish(self, timeout_s: float) -> None:
        """Write what is pending for up to `timeout_s`, then stop (the rest waits in the store)."""
        self._finishing.set()
        self._wake.set()
        self.join(timeout_s)
        if self.is_alive():
            self.stop_now.set()
            self.join(30)

    def run(self) -> None:
        """Drain until stopped."""
        try:
            self._run()
        except Stopped:
            pass
        except BaseException as exc:  # a thread that dies silently would stop the sink unseen
            self.failed = exc
            log.exception("InfluxDB sink stopped on an unexpected error; data stays in the store")

    def _prepare_server(self) -> None:
        """Detect the server and create the database, retrying while it cannot be reached."""
        attempt = 0
        while self._prepare is not None:
            try:
                self._prepare()
                return
            except (ConnectionError, InfluxError) as exc:
                attempt += 1
                wait = self.backoff.delay(attempt)
                if attempt == 1 or attempt % 10 == 0:
                    log.warning("InfluxDB not ready (%s); retry %d in %.1f s", exc, attempt, wait)
                self.pressure.set()
                if self.stop_now.wait(wait) or self._finishing.is_set():
                    raise Stopped from None

    def _run(self) -> None:
        self._prepare_server()
        source = self._open_source()
        writer = self.writer = self._make_writer(self.stop_now)
        # One POST in flight while the next batch is read and encoded (the POST waits on the
        # network and the server, the encoding on the CPU). Batches are committed in order,
        # each only after the server answered for every one of its lines.
        posting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="influx-post")
        in_flight: _Batch | None = None
        try:
            read = {name: source.cursor(name) for name in (EVENTS_CURSOR, ALERTS_CURSOR, METRICS_CURSOR)}
            while not self.stop_now.is_set():
                batch = self._gather(source, writer, read, in_flight is not None)
                if in_flight is not None:
                    self._commit(source, in_flight, read if batch is None else None)
                    in_flight = None
                if batch is not None:
                    batch.future = posting.submit(writer.write, batch.lines)
                    in_flight = batch
                elif self._finishing.is_set():
                    return
        finally:
            posting.shutdown(wait=True)
            writer.close()
            source.close()

    def _gather(self, source: OutboxSource, writer: InfluxWriter, read: dict[str, int],
                busy: bool) -> _Batch | None:
        """The next batch: full, or what arrived within the linger time; None when there is
        nothing new (at once while a POST is in flight, so that it can be committed)."""
        origins: dict[str, tuple[str, int]] = {}
        started = time.monotonic()
        while True:
            self._fill(source, writer, read, origins)
            if writer.full or self.stop_now.is_set():
                break
            left = self.linger_s - (time.monotonic() - started)
            if len(writer):
                if left <= 0 or self._finishing.is_set():
                    break
            elif busy or self._finishing.is_set():
                break
            self._wake.wait(max(0.005, min(self.poll_s, left) if len(writer) else self.poll_s))
            self._wake.clear()
        if not len(writer):
            return None
        if writer.full:
            self.pressure.set()  # a full batch means more is waiting
        unencodable, self._unencodable = self._unencodable, []
        return _Batch(writer.take(), origins, dict(read), unencodable)

    def _commit(self, source: OutboxSource, batch: _Batch, read_now: dict[str, int] | None) -> None:
        """Wait for a batch's POST, then move the cursors over it (and record refused lines)."""
        assert batch.future is not None
        refused = batch.future.result()  # Stopped when stopping: nothing is committed
        rows = list(batch.unencodable)
        for r in refused:
            src, pos = batch.origins.get(r.line, ("?", 0))
            rows.append((src, pos, r.line, r.status, r.reason))
        attempt = 0
        while True:
            try:
                source.commit_sink(SINK, batch.positions, rows, prune_metrics=METRICS_CURSOR)
                break
            except ZhianError as exc:  # the store cannot write (a full disk): InfluxDB has the
                attempt += 1           # lines already, so committing again later is harmless
                wait = self.backoff.delay(attempt)
                if attempt == 1 or attempt % 10 == 0:
                    log.error("InfluxDB sink cannot record its progress (%s); retry %d in %.1f s", exc, attempt, wait)
                if self.stop_now.wait(wait):
                    raise Stopped from None
        self.stats.batches += 1
        self.stats.lines += len(batch.lines)
        self.stats.refused += len(rows)
        if read_now is not None and self._caught_up(source, read_now):
            self.pressure.clear()

    def _caught_up(self, source: OutboxSource, read: dict[str, int]) -> bool:
        return not source.event_rows_after(read[EVENTS_CURSOR], 1)

    def _fill(self, source: OutboxSource, writer: InfluxWriter, read: dict[str, int],
              origins: dict[str, tuple[str, int]]) -> None:
        """Top the writer's batch up from the three sources, moving the read positions."""
        room = writer.batch_lines - len(writer)
        # alert transitions first: rare, and the ones a person is waiting for
        while room > 0:
            rows = source.outbox_after(read[ALERTS_CURSOR], min(room, 1000))
            if not rows:
                break
            for n, topic, body in rows:
                read[ALERTS_CURSOR] = n
                if not topic.endswith(ALERT_TOPIC_SUFFIXES):
                    continue  # device commands are not written to InfluxDB
                self._add(writer, origins, ALERTS_CURSOR, n, self._alert, n, topic, body)
                self.stats.alerts += 1
                room -= 1
        if room > 0:
            for n, text in source.metric_lines_after(read[METRICS_CURSOR], room):
                read[METRICS_CURSOR] = n
                self._add(writer, origins, METRICS_CURSOR, n, str, text)
                self.stats.metrics += 1
                room -= 1
        if room > 0:
            for seq, received_ms, body in source.event_rows_after(read[EVENTS_CURSOR], room):
                read[EVENTS_CURSOR] = seq
                self._add(writer, origins, EVENTS_CURSOR, seq, self._event, body, received_ms)
                self.stats.events += 1

    def _event(self, body: bytes, received_ms: int) -> str:
        return event_line(self.community, orjson.loads(body), received_ms, self.locate)

    def _alert(self, n: int, topic: str, body: bytes) -> str:
        payload = orjson.loads(body)
        return alert_line(payload, parse_ts_ms(payload["ts"]), n, is_silenced(topic, payload),
                          lambda device: self.locate(device) is not None)

    def _add(self, writer: InfluxWriter, origins: dict[str, tuple[str, int]], source: str, position: int,
             build: Callable[..., str], *args: object) -> None:
        try:
            text = build(*args)
        except (ValueError, KeyError, TypeError) as exc:
            # data the store holds but that cannot be encoded: keep it visible, never stall
            log.error("cannot encode %s %d for InfluxDB: %s", source, position, exc)
            self._unencodable.append((source, position, "", 0, f"cannot encode: {exc}"))
            text = ""
        if not text:
            return
        origins[text] = (source, position)
        writer.add(text)
