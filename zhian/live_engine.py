"""The live processor over two processes (`LiveConfig.processes = 2`, `zhian run --processes 2`).

Process A (ingest, the one `zhian run` starts) receives, decodes, validates and stores to the
event log, acknowledges after the commit, keeps dead letters and counters, runs the cameras
and the console. Process B (engine, a child A spawns) follows the log by sequence exactly as
a recovery does, runs the rules, writes the outbox and the snapshots, publishes alerts and
commands, reloads rules, advances an idle watermark and drains to InfluxDB. They share one
SQLite store (WAL: A writes the event log, B the outbox, snapshots and cursors; each waits
for the other's short write transactions through SQLite's busy timeout).

The exactly-once facts of zhian/live.py hold unchanged: A acknowledges only what it
committed; B's snapshot names the last sequence it applied and B resumes from it; outputs are
numbered and the outbox drops numbers it has.

A connects to the broker once B has restored its state (as one process recovers before it
connects), so a start takes in messages at the rate the two reach together.

Between the two: a doorbell pipe (A writes a byte after each commit, never blocking; B sleeps
in `poll` on it, so a new row is seen at once) and a few shared numbers (A's connection state,
whether it holds batches on a full disk and when it last took in a message, which gate B's
idle advance as they gate one process's; B's watermark, which
the console stamps desk actions with).

Supervision: A restarts B when it dies (with a growing pause), and B dies with A (Linux
parent-death signal; a closed doorbell too). An exclusive lock beside the store keeps a
second engine from running on the same store.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import multiprocessing
import os
import select
import signal
import sys
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.mqtt import BrokerConfig
from ingest.registry import Registry
from rules.engine import NO_WATERMARK
from zhian import LOG_FORMAT

if TYPE_CHECKING:
    from zhian.live import LiveConfig

log = logging.getLogger(__name__)

# slots of the shared array (doubles: sequences and epoch milliseconds stay exact below 2**53)
CONNECTED, CONNECTED_AT, HELD, LAST_INPUT, STOP, WATERMARK, READY, SLOTS = range(8)

RESTART_FIRST_S = 1.0  # pause before restarting a dead engine process, doubled per quick death
RESTART_MAX_S = 30.0
STABLE_S = 60.0  # an engine that ran this long before dying is restarted after the first pause


def engine_lock_path(store_path: Path) -> Path:
    """The file an engine process holds locked while it runs on a store."""
    return store_path.with_name(store_path.name + ".engine.lock")


class Follow:
    """B's side of the link: the doorbell and A's shared state."""

    def __init__(self, shared: Any, bell: Connection) -> None:
        self.shared = shared
        self.bell = bell
        self._fd = bell.fileno()
        self.orphaned = False  # A closed the doorbell: it is gone
        self._parent = os.getppid()

    def wait(self, timeout_s: float) -> None:
        """Sleep until A rings (a commit) or `timeout_s` passes; swallow the rings."""
        ready, _, _ = select.select([self._fd], [], [], timeout_s)
        if ready:
            try:
                if not os.read(self._fd, 65536):
                    self.orphaned = True
            except BlockingIOError:
                pass

    def stopping(self) -> bool:
        """True once A asked B to stop (or A is gone)."""
        return self.orphaned or self.shared[STOP] != 0 or os.getppid() != self._parent

    def input_state(self) -> tuple[bool, float, bool, float]:
        """(A connected, monotonic time of its last connect, A holds batches on a full disk,
        monotonic time A last took in a message)."""
        shared = self.shared
        return shared[CONNECTED] != 0, shared[CONNECTED_AT], shared[HELD] != 0, shared[LAST_INPUT]

    def ready(self) -> None:
        """Tell A the engine is restored: it may take in messages."""
        self.shared[READY] = 1

    def set_watermark(self, ms: int) -> None:
        """Tell A the engine's watermark (the console stamps desk actions with it)."""
        self.shared[WATERMARK] = ms


class EngineLink:
    """A's side: spawns B, rings it after each commit, shares the input state, restarts it
    when it dies and stops it on the way out."""

    def __init__(self, registry: Registry, broker: BrokerConfig, config: LiveConfig) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self.shared = self._ctx.RawArray("d", SLOTS)
        self.shared[WATERMARK] = NO_WATERMARK
        self._bell_r, self._bell_w = self._ctx.Pipe(duplex=False)
        self._bell_fd = self._bell_w.fileno()
        os.set_blocking(self._bell_fd, False)  # a full pipe already holds a ring: never wait
        self._args = (registry, broker, config, logging.getLogger().getEffectiveLevel())
        self.process: multiprocessing.process.BaseProcess | None = None
        self.restarts = 0
        self._started_at = 0.0
        self._pause_s = RESTART_FIRST_S
        self._restart_at: float | None = None

    def start(self) -> None:
        """Spawn the engine process."""
        self.shared[STOP] = 0
        self.shared[READY] = 0
        process = self._ctx.Process(target=engine_main, args=(*self._args, self.shared, self._bell_r),
                                    name="zhian-engine")
        process.start()
        self.process = process
        self._started_at = time.monotonic()
        log.info("engine process started (pid %s)", process.pid)

    def ready(self) -> bool:
        """True once the engine process restored its state (set again by each restart)."""
        return self.shared[READY] != 0

    def alive(self) -> bool:
        """True while the engine process runs."""
        return self.process is not None and self.process.is_alive()

    def ring(self) -> None:
        """Wake B: new rows are committed."""
        try:
            os.write(self._bell_fd, b"\x01")
        except BlockingIOError:
            pass

    def share(self, connected: bool, connected_at: float, held: bool, last_input: float) -> None:
        """Publish A's input state to B (monotonic times: one clock for all processes)."""
        shared = self.shared
        shared[CONNECTED] = 1.0 if connected else 0.0
        shared[CONNECTED_AT] = connected_at
        shared[HELD] = 1.0 if held else 0.0
        shared[LAST_INPUT] = last_input

    def watermark_ms(self) -> int:
        """The engine's watermark as B last reported it."""
        return int(self.shared[WATERMARK])

    def supervise(self) -> None:
        """Restart a dead engine process, after a pause that grows while it keeps dying."""
        if self.process is None or self.process.is_alive():
            return
        now = time.monotonic()
        if self._restart_at is None:
            ran_s = now - self._started_at
            quick_again = self.restarts > 0 and ran_s < STABLE_S
            self._pause_s = min(RESTART_MAX_S, self._pause_s * 2) if quick_again else RESTART_FIRST_S
            self._restart_at = now + self._pause_s
            log.error("engine process (pid %s) died with exit code %s after %.1f s; restarting it in %.1f s "
                      "(it resumes from its snapshot and the log)", self.process.pid, self.process.exitcode,
                      ran_s, self._pause_s)
        if now >= self._restart_at:
            self._restart_at = None
            self.restarts += 1
            self.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask B to catch up with the log, snapshot, publish and exit; kill it after `timeout_s`."""
        self.shared[STOP] = 1
        self.ring()
        process = self.process
        if process is not None:
            process.join(timeout_s)
            if process.is_alive():
                log.error("engine process did not stop within %.0f s; killed", timeout_s)
                process.kill()
                process.join(10)
        self._bell_w.close()
        self._bell_r.close()


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no orphan engine may keep
    writing the outbox while a restarted `zhian run` starts another)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


@contextlib.contextmanager
def engine_lock(store_path: Path, follow: Follow) -> Iterator[bool]:
    """Hold the store's engine lock; waits while an older engine still holds it. Yields False
    when asked to stop before it was had."""
    path = engine_lock_path(store_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        told = False
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if follow.stopping():
                    yield False
                    return
                if not told:
                    told = True
                    log.warning("another engine process holds %s; waiting for it to exit", path)
                time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def engine_main(registry: Registry, broker: BrokerConfig, config: LiveConfig, log_level: int, shared: Any,
                bell: Connection) -> None:
    """Process B's entry point (spawned by EngineLink)."""
    _die_with_parent()
    # A decides when B stops (SIGINT from a terminal or SIGTERM from systemd reach the whole group)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=log_level, format=LOG_FORMAT, stream=sys.stderr)
    follow = Follow(shared, bell)
    if follow.stopping():
        return
    from zhian.live import LiveProcessor  # here: zhian.live imports this module

    with engine_lock(config.store_path, follow) as locked:
        if locked:
            LiveProcessor(registry, broker, config, role="engine").run_engine(follow)
