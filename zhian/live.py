"""The live processor: MQTT in, durable log, engine, outbox, MQTT out.

Exactly-once processing across crashes rests on three facts:
1. a message is acknowledged to the broker only after its event is committed to the
   log (SQLite), and the log is unique on (device, id), so redeliveries are dropped;
2. the engine is deterministic over the log order, and a snapshot records the last log
   sequence it applied; after a restart it continues from the snapshot with the events
   logged after it;
3. each output carries a number the replay reproduces, and the outbox ignores numbers
   it already has. Watermark moves driven by the wall clock (idle sources) are not in
   the log, so each is followed at once by a snapshot written with its outputs.

A full disk (SQLITE_FULL, raised by the store as StoreFull with the transaction rolled
back): the batch that could not be stored is kept, decoded, and not acknowledged; nothing
new is taken in; the store is tried again with backoff (`DiskFull`), with an error naming
the store's folder every 30 s, until space returns. Outbox rows whose events were already
applied stay in memory and are written with the next snapshot, in one transaction. A crash
meanwhile loses nothing: the broker still holds what was not acknowledged.

InfluxDB (optional, `LiveConfig.influx`): a worker thread (alerts/sinks/drain.py) reads the
same store after its own cursors — the event log, the alert transitions of the outbox and
queued metric lines — and moves them only once InfluxDB accepted a batch, so it needs no
queue of its own and loses nothing when InfluxDB or the processor stops.

Two processes (`LiveConfig.processes = 2`, zhian/live_engine.py): this process stores and
acknowledges (1 holds as it is), and an engine process follows the log by sequence exactly as
a recovery does (2 and 3 hold as they are); the outbox, snapshots and publishing are its.

Latency: an event is released to order-sensitive rules once the watermark passes it,
i.e. about 5 s (the allowed lateness) after its event time while traffic flows, and
about 6 s after it when the compound is quiet (idle advance after 1 s without input).
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from alerts.sinks.drain import ALERT_TOPIC_SUFFIXES, ALERTS_CURSOR, EVENTS_CURSOR, METRICS_CURSOR, InfluxDrain
from alerts.sinks.influx import Backoff, InfluxTarget, InfluxWriter, prepare
from alerts.sinks.lineproto import Location
from alerts.sinks.metrics import MetricsWindow, Readings
from ingest.event import Event
from ingest.mqtt import BrokerConfig, Inbound, make_client
from ingest.registry import Registry
from rules.engine import Emitted
from rules.outputs import AlertTransition
from rules.reload import directory_stamp, incompatible, signatures, swap_engine
from zhian.camera_metrics import CameraWatch, camera_lines
from zhian.cameras import CameraWorker, start_cameras
from zhian.live_engine import EngineLink, Follow
from zhian.pipeline import Pipeline, load_processors, plan_rules_reload
from zhian.store import Rejected, Store, StoreFull

log = logging.getLogger(__name__)

SNAPSHOT = "engine"
OUTBOX_SINK = "mqtt"
MESSAGES_PER_OUTPUT = 16  # outbox number = output number * 16 + index of the message


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """Tuning of the live processor."""

    store_path: Path = Path("var/zhian.db")
    rules_dir: Path | None = None
    durability: str = "normal"
    # messages stored (and acknowledged) per transaction at most: half the receive maximum we ask
    # of the broker (ingest.mqtt.BrokerConfig), so that it keeps sending while a full batch is
    # stored. A commit writes every page the batch touched to the WAL, and the device-keyed index
    # leaves are written again by every commit: batches of 5000 of the example compound's traffic
    # write 447 bytes of WAL per event, of 2000 605 (the events take 331 bytes once checkpointed);
    # storing costs about 0.4 µs of CPU less per event (4.9 -> 4.5, alternated runs)
    batch_max: int = 5000
    # while messages stream in, a batch that is not full waits until this long after the
    # previous one began: a commit costs about as much as storing 30 events, so a stream is
    # stored in a few large transactions instead of one per message (at most this much
    # latency; a message after a quiet spell goes through at once)
    batch_linger_s: float = 0.01
    snapshot_every_s: float = 5.0
    idle_after_s: float = 1.0  # no input this long: event time follows the wall clock
    clock_ahead_max_s: float = 600.0
    stats_every_s: float = 10.0
    health_file: Path | None = None  # touched every few seconds while the loop runs
    health_every_s: float = 5.0
    reload_every_s: float = 2.0  # how often the rules directory is checked for changes
    devices_file: Path | None = None  # relative camera streams are found beside it
    cameras: bool = True  # read the streams of cameras with `detectors: [throwing]`
    influx: InfluxTarget | None = None  # write events, alert transitions and metrics there
    influx_backoff_cap_s: float = 30.0  # longest wait between retries while InfluxDB is away
    metrics_every_s: float = 10.0
    camera_check_every_s: float = 2.0  # how often camera health is looked at (a stall is logged)
    store_retry_first_s: float = 0.5  # first wait before writing again to a full disk
    store_retry_max_s: float = 10.0  # longest wait between retries while the disk is full
    # Tune the process's garbage collector for the loop (`tune_gc`): for the process that
    # runs one processor for its life (`zhian run`), not for a library user or a test that
    # builds many in one process (a freeze keeps what they built out of the collections).
    tune_gc: bool = False
    # 1: everything in one process; 2: ingest (receive, decode, store, ack) in this process and
    # the engine (rules, outbox, publishing, snapshots, InfluxDB) in a child that follows the
    # event log (zhian/live_engine.py, docs/deploying.md "Process layout")
    processes: int = 1


Role = Literal["whole", "ingest", "engine"]
Held = tuple[list[Inbound], list[tuple[Event, int]], list[Rejected]]  # messages, events, rejects


def tune_gc() -> None:
    """Make the cyclic garbage collector cheap for the processing loop, which allocates a
    dozen short-lived containers per event: with the default thresholds the collector ran
    every 700 of them and now and then walked the whole heap (about a tenth of the front
    half's CPU, measured with gc.callbacks). What exists once the engine is restored lives
    as long as the process: it is frozen out of the collections."""
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


class DiskFull:
    """Backoff and reporting while the store's disk is full: the first failure and then one
    error every `report_every_s`, and a line when writing works again."""

    def __init__(self, first_s: float, cap_s: float, report_every_s: float = 30.0) -> None:
        self.first_s, self.cap_s, self.report_every_s = first_s, cap_s, report_every_s
        self.since: float | None = None  # monotonic time of the first failure of this episode
        self.attempts = 0
        self.retry_at = 0.0
        self._reported = -1e9

    def failed(self, exc: StoreFull, what: str, waiting: int) -> None:
        """A write was refused: wait longer before the next one, and say so now and then."""
        now = time.monotonic()
        if self.since is None:
            self.since = now
        self.attempts += 1
        delay = min(self.cap_s, self.first_s * 2 ** min(self.attempts - 1, 30))
        self.retry_at = now + delay
        if now - self._reported >= self.report_every_s:
            self._reported = now
            log.error("%s; could not %s; %d messages wait unacknowledged (the broker keeps them), "
                      "next try in %.1f s", exc, what, waiting, delay)

    def due(self) -> bool:
        """True when the store may be tried again."""
        return time.monotonic() >= self.retry_at

    def recovered(self) -> None:
        """A write went through: report the end of an episode."""
        if self.since is not None:
            log.warning("store writable again after %.1f s of full disk (%d retries)",
                        time.monotonic() - self.since, self.attempts)
        self.since, self.attempts, self.retry_at, self._reported = None, 0, 0.0, -1e9


class LiveProcessor:
    """Runs until `stop` is set; see the module docstring for its guarantees.

    `role`: "whole" does everything; with `config.processes == 2` this process is the
    "ingest" half and spawns the "engine" half (zhian/live_engine.py)."""

    def __init__(self, registry: Registry, broker: BrokerConfig, config: LiveConfig,
                 role: Role | None = None) -> None:
        if config.processes not in (1, 2):
            raise ValueError(f"LiveConfig.processes is 1 or 2, not {config.processes}")
        self.registry = registry
        self.config = config
        self.role: Role = role or ("ingest" if config.processes == 2 else "whole")
        self.store = Store(config.store_path, config.durability)
        self.processors = load_processors(registry, config.rules_dir)
        # one-event rules page on arrival (rules/engine.py)
        self.pipeline = Pipeline(registry, self.processors, early_raises=True)
        self._rules_stamp = directory_stamp(config.rules_dir) if config.rules_dir else None
        self._next_reload_check = 0.0
        community = registry.community.id
        if self.role == "engine":  # publishes only, under its own client id (a session of its own)
            self.mqtt = make_client(dataclasses.replace(broker, client_id=f"{broker.client_id}-engine"), [],
                                    self._published)
        else:
            self.mqtt = make_client(broker, [f"zhian/{community}/+/events"], self._published)
        self.link: EngineLink | None = EngineLink(registry, broker, config) if self.role == "ingest" else None
        self._follow: Follow | None = None  # the engine's link to the ingest process
        self.last_seq = 0
        self._dirty = False
        self._acked_out: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._in_flight: dict[int, int] = {}  # publish mid -> outbox number
        self._delivered: set[int] = set()
        self._outbox_unread = True  # the outbox may hold rows after what was last read of it
        self._out_position = 0
        self._last_input = time.monotonic()
        self._batch_started = 0.0  # monotonic time the last batch was taken from the inbox
        self._internal: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.cameras: list[CameraWorker] = []
        self._last_snapshot = time.monotonic()
        self._last_advance = 0.0
        self.processed = 0
        # counted only when there is somewhere to write them (InfluxDB)
        self.metrics: MetricsWindow | None = (
            MetricsWindow(community) if config.influx is not None and self.role != "ingest" else None)
        self._recovering = False
        self._behind_logged = -1e9
        # while the disk is full: decoded batches not stored (so not acknowledged) and outbox
        # rows not written yet, both retried in order (see `_commit_held`, `_save_outbox`)
        self._held: list[Held] = []
        self._unsaved_outbox: list[tuple[int, int, str, bytes]] = []
        self._saved_position = 0
        self.disk_full = DiskFull(config.store_retry_first_s, config.store_retry_max_s)
        self._camera_watch = CameraWatch()
        self.drain: InfluxDrain | None = None
        if config.influx is not None and self.role != "ingest":
            self.drain = self._make_drain(config.influx)

    # ---- lifecycle ---------------------------------------------------------------------

    def run(self, stop: threading.Event, ready: threading.Event | None = None) -> None:
        """Recover, connect, then process until stopped; snapshot on the way out."""
        if self.link is not None:
            self._run_ingest(stop, ready)
            return
        self.recover()
        if self.config.tune_gc:
            tune_gc()
        if self.drain is not None:
            self.drain.start()
        self.mqtt.start()
        self._start_cameras(stop)
        if ready is not None:
            ready.set()
        self._start_chores()
        try:
            while not stop.is_set():
                if self._held or self._unsaved_outbox:
                    # the disk was full: nothing new is taken in until what waits is stored
                    if self.disk_full.due():
                        self._retry_store()
                    else:
                        stop.wait(0.05)
                elif not self._take_in() and not self._held:
                    self._idle_advance()
                now = self._engine_chores()
                self._watch(now)
        finally:
            self._engine_close()

    def _run_ingest(self, stop: threading.Event, ready: threading.Event | None) -> None:
        """Process A of two: receive, decode, store, acknowledge; the engine process follows
        the log (zhian/live_engine.py). Restarts the engine process when it dies."""
        link = self.link
        assert link is not None
        if self.config.tune_gc:
            tune_gc()
        link.start()
        self._start_cameras(stop)
        if ready is not None:
            ready.set()
        now = time.monotonic()
        self._start_chores()
        next_stats, next_metrics, next_supervise = self._next_stats, self._next_metrics, now + 0.2
        mqtt = self.mqtt
        connecting = False
        try:
            while not stop.is_set():
                if not connecting and link.ready():
                    connecting = True  # once: the client reconnects by itself
                    mqtt.start()
                link.share(mqtt.connected.is_set(), mqtt.connected_at, bool(self._held), self._last_input)
                if self._held:
                    if self.disk_full.due():
                        self._retry_store()
                    else:
                        stop.wait(0.05)
                else:
                    self._take_in()
                now = time.monotonic()
                if now >= next_supervise:
                    next_supervise = now + 0.2
                    link.supervise()
                self._watch(now)
                if now >= next_stats:
                    next_stats = now + self.config.stats_every_s
                    log.info("stored %d events; rejects %s", self.processed, dict(self.pipeline.rejects) or "none")
                if self.config.influx is not None and self.cameras and now >= next_metrics:
                    next_metrics = now + self.config.metrics_every_s
                    self._guarded(self.store.add_metric_lines, camera_lines(
                        self.registry.community.id, [c.health() for c in self.cameras], int(time.time() * 1000)))
        finally:
            if connecting:
                self.mqtt.stop()
            link.stop()
            self.store.close()

    def run_engine(self, follow: Follow) -> None:
        """Process B of two: follow the event log as a recovery does, run the engine, write the
        outbox and snapshots, publish; until the ingest process asks to stop (B then applies
        what is logged, snapshots and publishes first) or dies."""
        self._follow = follow
        self.recover()
        follow.set_watermark(self.pipeline.engine.watermark_ms)
        if self.config.tune_gc:
            tune_gc()
        if self.drain is not None:
            self.drain.start()
        self.mqtt.start()
        follow.ready()
        self._start_chores()
        look = True  # the log may hold rows after the last applied sequence
        try:
            while True:
                stopping = follow.stopping()
                if stopping and self._unsaved_outbox and not self.disk_full.due():
                    break  # still full: the snapshot below tries once more; a restart recomputes the rest
                if self._unsaved_outbox:
                    # the disk was full: nothing new is applied until the outbox is written
                    if self.disk_full.due():
                        self._retry_store()
                    else:
                        follow.wait(0.05)
                elif (applied := self._follow_log() if look or stopping else 0):
                    self._last_input = time.monotonic()
                    follow.set_watermark(self.pipeline.engine.watermark_ms)
                    look = applied >= self.config.batch_max  # a full chunk: more may wait
                elif stopping:
                    break  # everything logged before the stop is applied
                else:
                    if not follow.input_state()[2]:  # not while A holds batches on a full disk
                        self._idle_advance()
                        follow.set_watermark(self.pipeline.engine.watermark_ms)
                    follow.wait(0.05)
                    look = True  # after a ring (A committed) or the pause: read the log again
                self._engine_chores()
        finally:
            self._engine_close()

    def _start_cameras(self, stop: threading.Event) -> None:
        if self.config.cameras and self.config.devices_file is not None:
            evidence = self.config.store_path.parent / "evidence"
            self.cameras = start_cameras(self.registry, self.config.devices_file, self.submit, stop, evidence)

    def _take_in(self) -> bool:
        """Store a batch of messages (waiting up to 50 ms for one) and the events submitted
        inside the process (cameras); whether any of the latter were there."""
        batch = self._drain(0.05)
        if batch:
            self._guarded(self.process, batch)
            self._last_input = time.monotonic()
        if self._guarded(self._process_internal):
            self._last_input = time.monotonic()
            return True
        return False

    def _start_chores(self) -> None:
        now = time.monotonic()
        self._next_stats, self._next_metrics, self._last_metrics = (
            now + self.config.stats_every_s, now + self.config.metrics_every_s, now)
        self._next_health, self._next_cameras = 0.0, now + self.config.camera_check_every_s

    def _watch(self, now: float) -> None:
        """When due: touch the health file, look at the cameras."""
        if self.config.health_file is not None and now >= self._next_health:
            self._next_health = now + self.config.health_every_s
            self._touch_health()
        if self.cameras and now >= self._next_cameras:
            self._next_cameras = now + self.config.camera_check_every_s
            self.check_cameras()

    def _engine_chores(self) -> float:
        """What the engine's loop does besides applying events, when due: publish the outbox,
        snapshot, reload changed rules, log stats, write metrics. Returns the monotonic time."""
        self._publish_outbox()
        now = time.monotonic()
        if self._dirty and now - self._last_snapshot >= self.config.snapshot_every_s:
            self.snapshot()
        if self._rules_stamp is not None and now >= self._next_reload_check:
            self._next_reload_check = now + self.config.reload_every_s
            self.reload_rules()
        if now >= self._next_stats:
            self._next_stats = now + self.config.stats_every_s
            self._log_stats()
        if self.drain is not None and now >= self._next_metrics:
            self._next_metrics = now + self.config.metrics_every_s
            self.write_metrics(now - self._last_metrics)
            self._last_metrics = now
        return now

    def _engine_close(self) -> None:
        """The engine's way out: snapshot, publish what waits, disconnect, close the store."""
        if self._dirty:
            self.snapshot()
        self._publish_outbox(wait_s=2.0)
        self.mqtt.stop()
        if self.drain is not None:
            self.drain.finish(2.0)  # what is not written by then waits in the store
        self.store.close()

    def _follow_log(self) -> int:
        """Apply the next events of the log after the last applied sequence (at most a batch);
        returns how many."""
        fresh = self.store.events_after(self.last_seq, self.config.batch_max)
        chunk = list(itertools.islice(fresh, self.config.batch_max))
        if chunk:
            self._apply(chunk, False)
        return len(chunk)

    def watermark_ms(self) -> int:
        """The engine's event time (in the ingest process: as the engine process last said)."""
        if self.link is not None:
            return self.link.watermark_ms()
        return self.pipeline.engine.watermark_ms

    def recover(self) -> None:
        """Restore the last snapshot and apply the events logged after it."""
        self._recovering = True
        try:
            self._recover()
        finally:
            self._recovering = False

    def _recover(self) -> None:
        saved = self.store.load_snapshot(SNAPSHOT)
        if saved is not None:
            self.last_seq, body = saved
            snap = body["engine"]
            # rule files may have changed while we were down: state of another shape goes
            reset = set(incompatible(body.get("signatures", {}), self.processors))
            if reset:
                log.warning("rules changed since the snapshot, their state starts afresh: %s", sorted(reset))
                snap["state"] = [x for x in snap["state"] if x[0] not in reset]
                snap["timers"] = [t for t in snap["timers"] if t[2] not in reset]
            log.info("restored the engine snapshot at log seq %d", self.last_seq)
            self.pipeline.engine.restore(snap)
        self._out_position = self._saved_position = self.store.cursor(OUTBOX_SINK)
        behind = self.store.last_seq() - self.last_seq
        if behind:
            log.info("recovering: applying %d logged events after snapshot seq %d", behind, self.last_seq)
        emitted: list[Emitted] = []
        logged = self.store.events_after(self.last_seq)
        while chunk := list(itertools.islice(logged, 5000)):
            emitted += self.pipeline.engine.push_many([event for _, event in chunk])
            self.last_seq = chunk[-1][0]
            self._dirty = True
        self._to_outbox(emitted)
        log.info("ready: log seq %d, watermark %s", self.last_seq, self.pipeline.engine.watermark_ms)

    # ---- processing --------------------------------------------------------------------

    def _drain(self, timeout_s: float) -> list[Inbound]:
        """The next batch of messages (see `LiveConfig.batch_linger_s`)."""
        inbox, most = self.mqtt.inbox, self.config.batch_max
        batch = inbox.get_many(most, timeout_s)
        if not batch:
            return batch
        if len(batch) < most:
            linger = self._batch_started + self.config.batch_linger_s - time.monotonic()
            if linger > 0:
                time.sleep(linger)
                batch += inbox.get_many(most - len(batch), 0)
        self._batch_started = time.monotonic()
        return batch

    def process(self, batch: list[Inbound]) -> None:
        """Store a batch durably, acknowledge it, then run the new events. On a full disk
        raises StoreFull with nothing stored or acknowledged; the batch is kept (decoded)
        and `_retry_store` commits it later."""
        accepted: list[tuple[Event, int]] = []
        rejects: list[Rejected] = []
        ahead_ms = int(self.config.clock_ahead_max_s * 1000)
        common = self.pipeline.decode_common
        for m in batch:
            event = common(m.topic, m.payload)
            if event is not None and event.ts_ms <= m.received_ms + ahead_ms:
                accepted.append((event, m.received_ms))
            else:  # anything unusual: a rejection with its reason, a vendor format, a clock ahead
                self._decode_unusual(m, accepted, rejects, ahead_ms)
        self._held.append((batch, accepted, rejects))
        self._commit_held()

    def _decode_unusual(self, m: Inbound, accepted: list[tuple[Event, int]], rejects: list[Rejected],
                        ahead_ms: int) -> None:
        outcome = self.pipeline.decode(m.topic, m.payload)
        if outcome.reject is not None:
            r = outcome.reject
            device = getattr(r, "device", None)
            # with a subject salt, dead letters keep no clear subject ids either
            rejects.append(Rejected(m.received_ms, m.topic, self.pipeline.redact(bytes(m.payload)), r.reason,
                                    r.field, self.pipeline.redact_detail(r.detail, bytes(m.payload)), device))
        for event in outcome.events:  # vendor lists (GA/T 1400) make several
            if event.ts_ms > m.received_ms + ahead_ms:
                rejects.append(Rejected(
                    m.received_ms, m.topic, self.pipeline.redact(bytes(m.payload)), "clock_ahead", "ts",
                    f"event time is {(event.ts_ms - m.received_ms) / 1000:.0f} s ahead of zhian's clock; "
                    "fix the device's clock (NTP)", event.device))
                continue
            accepted.append((event, m.received_ms))

    def submit(self, event: Event) -> None:
        """Feed an event zhian made itself (a throwing detection, a desk acknowledgement);
        thread-safe. It goes through the same durable log as device events, so replays
        and recovery after a crash reproduce it."""
        self._internal.put(event)

    def _process_internal(self) -> bool:
        events: list[tuple[Event, int]] = []
        now_ms = int(time.time() * 1000)
        while True:
            try:
                events.append((self._internal.get_nowait(), now_ms))
            except queue.Empty:
                break
        if events:
            self._held.append(([], events, []))
            self._commit_held()
        return bool(events)

    def _commit_held(self) -> None:
        """Store what is held, oldest first; acknowledge each batch once it is committed (the
        broker may forget it then), and run its new events. StoreFull leaves the rest held."""
        while self._held:
            batch, accepted, rejects = self._held[0]
            fresh, _ = self.store.append(accepted, rejects)
            self._held.pop(0)
            self.mqtt.ack(batch)
            self._apply(fresh, bool(rejects))

    def _guarded(self, step: Callable[..., Any], *args: Any) -> Any:
        """Run a step that writes to the store; a full disk is reported and retried later."""
        try:
            return step(*args)
        except StoreFull as exc:
            self.disk_full.failed(exc, "store incoming messages", self._held_messages())
            return False

    def _held_messages(self) -> int:
        return sum(len(batch) for batch, _, _ in self._held)

    def _retry_store(self) -> None:
        """Write what waits since the disk was full: held batches, then outbox rows."""
        self._guarded(self._commit_held)
        if not self._held and self._unsaved_outbox:
            # with the engine state they came from, in one transaction (an idle advance's
            # outputs must not be stored without the advance: see the module docstring)
            self.snapshot()
        if not self._held and not self._unsaved_outbox:
            self.disk_full.recovered()
            self._last_input = time.monotonic()

    def _apply(self, fresh: list[tuple[int, Event]], rejected: bool) -> None:
        """Run newly stored events and queue their outputs (in the ingest process: wake the
        engine process, which reads them from the log)."""
        if self.link is not None:
            self.processed += len(fresh)
            if fresh:
                self.link.ring()
            return
        emitted = self.pipeline.engine.push_many([event for _, event in fresh])
        if fresh:
            self.last_seq = fresh[-1][0]
        if self.metrics is not None:
            for _, event in fresh:
                self.metrics.event(event.type)
        self.processed += len(fresh)
        if fresh:
            self._dirty = True
        self._to_outbox(emitted)
        if self.drain is not None and (fresh or rejected):
            self.drain.wake()

    def _idle_advance(self) -> None:
        """No input for a moment: let event time follow the wall clock (minus the allowed
        lateness and the idle pause), so a lone event at night is not held until the next
        one arrives, and absence timers (offline devices, open doors) still fire when the
        whole network goes quiet. At most once per idle period, each followed by a snapshot
        (see the module docstring)."""
        idle_s = self.config.idle_after_s
        now = time.monotonic()
        last_input = self._last_input
        if self._follow is not None:  # the engine process: what the ingest process took in counts
            connected, connected_at, _, taken_at = self._follow.input_state()
            last_input = max(last_input, taken_at)
        else:
            connected, connected_at = self.mqtt.connected.is_set(), self.mqtt.connected_at
        if now - last_input < idle_s or now - self._last_advance < idle_s:
            return
        # right after a (re)connect the broker may still be delivering the backlog it kept
        # for our session; moving event time to the clock now would make all of it late
        if not connected or now - connected_at < 2 * idle_s + 1:
            return
        self._last_advance = now
        engine = self.pipeline.engine
        target = int(time.time() * 1000) - engine.lateness_ms - int(idle_s * 1000)
        if target <= engine.watermark_ms or engine.max_ts_ms <= 0:
            return
        emitted = engine.advance(target)
        self.snapshot(self._messages(emitted))

    def _messages(self, emitted: list[Emitted]) -> list[tuple[int, int, str, bytes]]:
        rows = []
        # outputs recomputed while recovering were counted before the crash
        if self.metrics is not None and not self._recovering:
            now_ms = int(time.time() * 1000)
            for item in emitted:
                if isinstance(item.output, AlertTransition):
                    self.metrics.alert(item.output.rule, item.output.state, now_ms - item.ts_ms)
        for index_base, item in ((e.n * MESSAGES_PER_OUTPUT, e) for e in emitted):
            for i, (topic, payload) in enumerate(self.pipeline.render(item)):
                rows.append((index_base + i, item.ts_ms, topic, orjson.dumps(payload)))
        return rows

    def _to_outbox(self, emitted: list[Emitted]) -> None:
        if emitted:
            self._unsaved_outbox += self._messages(emitted)
            self._save_outbox()

    def _save_outbox(self) -> None:
        """Write waiting outbox rows. On a full disk they stay in memory (and go into the next
        snapshot's transaction): the events behind them are already applied, so these rows
        are the only copy until a snapshot or a restart's recovery recomputes them."""
        if not self._unsaved_outbox:
            return
        try:
            self.store.add_outbox(self._unsaved_outbox)
            self._outbox_unread = True
        except StoreFull as exc:
            self.disk_full.failed(exc, "write alerts and commands to the outbox", self._held_messages())
            return
        self._unsaved_outbox = []

    def snapshot(self, outbox: list[tuple[int, int, str, bytes]] | None = None) -> None:
        """Persist the engine at the current log sequence (with pending outbox rows). On a full
        disk the rows wait in memory and the snapshot is tried again later."""
        self._unsaved_outbox += outbox or []
        body = {"engine": self.pipeline.engine.snapshot(), "signatures": signatures(self.processors)}
        self._last_snapshot = time.monotonic()
        try:
            self.store.save_snapshot(SNAPSHOT, self.last_seq, int(time.time() * 1000), body, self._unsaved_outbox)
            self._outbox_unread = self._outbox_unread or bool(self._unsaved_outbox)
        except StoreFull as exc:
            self._dirty = True
            self.disk_full.failed(exc, "save the engine snapshot", self._held_messages())
            return
        self._unsaved_outbox = []
        self._dirty = False
        self.disk_full.recovered()

    def reload_rules(self) -> bool:
        """Swap in a changed rules directory once it validates, compiles and passes its
        tests; otherwise keep the running set and its state. True when swapped."""
        rules_dir = self.config.rules_dir
        assert rules_dir is not None
        stamp = directory_stamp(rules_dir)
        if stamp == self._rules_stamp:
            return False
        self._rules_stamp = stamp
        new_rules, report = plan_rules_reload(self.registry, rules_dir, self.processors)
        if new_rules is None:
            log.error("rule change in %s rejected, the running rules stay: %s", rules_dir, report.summary())
            return False
        builtins = [p for p in self.processors if p.name == "device_activity"]
        self.processors = [*builtins, *new_rules]
        self.pipeline.engine = swap_engine(self.pipeline.engine, self.processors, report.reset)
        self.snapshot()
        log.info("rules reloaded from %s: %s", rules_dir, report.summary())
        return True

    # ---- outbox → MQTT ---------------------------------------------------------------------

    def _published(self, mid: int) -> None:
        self._acked_out.put(mid)

    def _publish_outbox(self, wait_s: float = 0.0) -> None:
        """Publish outbox rows after the sink's position; advance it over acknowledged ones."""
        while True:
            try:
                mid = self._acked_out.get_nowait()
            except queue.Empty:
                break
            n = self._in_flight.pop(mid, None)
            if n is not None:
                self._delivered.add(n)
        if self._in_flight:
            oldest_pending = min(self._in_flight.values())
            done = [n for n in self._delivered if n < oldest_pending]
        else:
            done = list(self._delivered)
        if done:
            self._out_position = max(self._out_position, *done)
            self._delivered.difference_update(done)
        if self._out_position > self._saved_position:
            try:
                self.store.set_cursor(OUTBOX_SINK, self._out_position)
                self._saved_position = self._out_position
            except StoreFull:
                pass  # kept in memory and written later; a restart before would publish some again
        # the outbox is read again only after a write to it, or when the last read was cut short
        if self._outbox_unread and len(self._in_flight) < 500 and self.mqtt.connected.is_set():
            start = max([self._out_position, *self._in_flight.values(), *self._delivered])
            room = 500 - len(self._in_flight)
            rows = self.store.outbox_after(start, room)
            self._outbox_unread = len(rows) >= room
            for n, topic, body in rows:
                self._in_flight[self.mqtt.publish(topic, body)] = n
        if wait_s and self._in_flight:
            deadline = time.monotonic() + wait_s
            while self._in_flight and time.monotonic() < deadline:
                time.sleep(0.05)
                self._publish_outbox()

    # ---- InfluxDB ------------------------------------------------------------------------------

    def _make_drain(self, target: InfluxTarget) -> InfluxDrain:
        registry, config = self.registry, self.config
        backoff = Backoff(first_s=min(0.5, config.influx_backoff_cap_s), cap_s=config.influx_backoff_cap_s)
        locations = {d.id: Location(d.building, d.unit, d.floor, d.zone) for d in registry.devices}

        def open_source() -> Store:
            # the worker thread gets its own connection; WAL lets it read while we write
            return Store(config.store_path, config.durability)

        def make_writer(stop: threading.Event) -> InfluxWriter:
            return InfluxWriter(target, stop, backoff, on_not_found=lambda: prepare(target))

        return InfluxDrain(open_source, make_writer, registry.community.id, locations.get,
                           prepare=lambda: log.info("InfluxDB at %s: %s", target.url, prepare(target)),
                           backoff=backoff)

    def check_cameras(self) -> None:
        """Log a warning when a camera stops delivering frames (and when it is back)."""
        for warning, message in self._camera_watch.changes([c.health() for c in self.cameras]):
            (log.warning if warning else log.info)("%s", message)

    def write_metrics(self, interval_s: float) -> None:
        """Queue one tick of metrics (events/s by type, rejects, alerts by rule, engine lag,
        alert latency, outbox depths, devices online, one `zhian_camera` point per camera)
        for the InfluxDB sink."""
        engine = self.pipeline.engine
        now_ms = int(time.time() * 1000)
        counters = self.store.counters()
        rejects = {k.removeprefix("rejected."): v for k, v in counters.items() if k.startswith("rejected.")}
        online = 0
        for device in self.registry.devices:
            seen = engine.state.get(("device_activity", device.id))
            if seen and now_ms - seen[2] <= 3 * self.registry.heartbeat_s(device) * 1000:
                online += 1
        depths = {
            OUTBOX_SINK: self.store.outbox_depth(OUTBOX_SINK),
            EVENTS_CURSOR: self.store.last_seq() - self.store.cursor(EVENTS_CURSOR),
            ALERTS_CURSOR: self.store.outbox_depth(ALERTS_CURSOR, ALERT_TOPIC_SUFFIXES),
            METRICS_CURSOR: self.store.metric_depth(METRICS_CURSOR),
        }
        sink: dict[str, object] = {}
        if self.drain is not None:
            writer = self.drain.writer
            sink = {"lines": self.drain.stats.lines, "refused": self.drain.stats.refused,
                    "retries": writer.stats.retries if writer else 0, "behind": self.drain.behind()}
        buffered = engine.counters.pushed - engine.counters.applied  # late events count in both
        readings = Readings(engine.watermark_ms, engine.counters.late, buffered,
                            rejects, depths, online, len(self.registry.devices), sink)
        if self.metrics is not None:
            try:
                lines = self.metrics.lines(now_ms, interval_s, readings)
                lines += camera_lines(self.registry.community.id, [c.health() for c in self.cameras], now_ms)
                self.store.add_metric_lines(lines)
            except StoreFull as exc:
                self.disk_full.failed(exc, "queue metric lines (this tick's are dropped)", self._held_messages())
        if self.drain is not None and self.drain.behind() and time.monotonic() - self._behind_logged >= 60:
            self._behind_logged = time.monotonic()
            log.warning("InfluxDB sink behind: %d events, %d alert transitions waiting in the store (%s)",
                        depths[EVENTS_CURSOR], depths[ALERTS_CURSOR],
                        (self.drain.writer.stats.last_error if self.drain.writer else "") or "catching up")

    def _touch_health(self) -> None:
        path = self.config.health_file
        assert path is not None
        state = "connected" if self.mqtt.connected.is_set() else "disconnected"
        if self.link is not None and not self.link.alive():
            state = "engine-down"
        # written aside and renamed over: a reader (the image's HEALTHCHECK, a test) never sees the file
        # truncated half-way through a rewrite
        aside = path.with_name(path.name + ".new")
        try:
            aside.write_text(f"{int(time.time())} {state}\n")
            os.replace(aside, path)
        except OSError as exc:  # a full disk must not stop the processor; the stale file tells
            log.warning("cannot write the health file %s: %s", path, exc)

    def _log_stats(self) -> None:
        engine = self.pipeline.engine
        rejects = dict(self.pipeline.rejects)
        lag_s = (time.time() * 1000 - engine.watermark_ms) / 1000 if engine.watermark_ms > 0 else None
        log.info("processed %d events; rejects %s; late %d; watermark lag %s s; outbox at %d",
                 self.processed, rejects or "none", engine.counters.late,
                 f"{lag_s:.1f}" if lag_s is not None else "-", self._out_position)
