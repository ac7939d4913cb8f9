"""Replay a traffic file through the same pipeline as live traffic, on event time.

A traffic file has one `{"topic": …, "payload": …}` per line; `payload` is an object or
the raw payload as a string. An optional `"received"` (epoch ms, when the message reached
the broker) lets replay apply the live processor's clock check (`clock_ahead`).

Output is deterministic: the same file gives the same lines, because events are ordered
by (event time, line) and ids are derived from input.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from ingest.errors import RejectError
from ingest.event import Event, parse_event
from rules.engine import Emitted
from zhian.pipeline import Message, Pipeline

CLOCK_AHEAD_MAX_MS = 600_000  # the live processor's limit, see zhian.live


@dataclass(slots=True)
class ReplayStats:
    """What a replay saw."""

    lines: int = 0
    events: int = 0
    duplicates: int = 0
    late: int = 0
    too_late: int = 0
    messages: int = 0
    rejects: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for stderr."""
        rate = self.lines / self.seconds if self.seconds > 0 else 0.0
        rejected = sum(self.rejects.values())
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(self.rejects.items())) or "none"
        return (
            f"replay: {self.lines} lines, {self.events} events, {self.duplicates} duplicates, "
            f"{self.late} late, {self.too_late} too late to apply, {rejected} rejected ({reasons}), "
            f"{self.messages} alert/command messages in {self.seconds:.2f} s ({rate:,.0f} lines/s)"
        )


RejectSink = Callable[[int, str, bytes, RejectError], None]


def split_line(line: bytes) -> tuple[str, Any]:
    """(topic, payload) of one traffic line; RejectError('bad_line') when malformed."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise RejectError("bad_line", None, "line is not JSON") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("topic"), str) or "payload" not in obj:
        raise RejectError("bad_line", None, 'expected {"topic": "...", "payload": ...}')
    return obj["topic"], obj["payload"]


def replay(
    lines: Iterable[bytes],
    pipeline: Pipeline,
    out: Callable[[Emitted, Message], None],
    on_reject: RejectSink | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReplayStats:
    """Run every line through `pipeline`; `out` gets each message to publish, in order."""
    stats = ReplayStats()
    # The loop makes no reference cycles, and the cyclic GC scanning the growing heap of
    # the dedup set cost 15 % of replay time (112k vs 96k lines/s measured), so it is
    # paused while replaying; reference counting still frees everything.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _replay(lines, pipeline, out, on_reject, progress, stats)
    finally:
        if enabled:
            gc.enable()


def _replay(
    lines: Iterable[bytes],
    pipeline: Pipeline,
    out: Callable[[Emitted, Message], None],
    on_reject: RejectSink | None,
    progress: Callable[[int], None] | None,
    stats: ReplayStats,
) -> ReplayStats:
    seen: dict[str, set[str]] = {}  # device -> event ids: no tuple per event, and smaller sets
    started = time.perf_counter()
    engine = pipeline.engine
    render = pipeline.messages
    rejects = pipeline.rejects
    decode = pipeline.decode_one  # pseudonymises subject ids when a salt is set
    natives = pipeline.native_topics  # where `decode` would only run parse_event (none with a salt)
    loads = orjson.loads
    events = duplicates = 0
    ahead_ms = CLOCK_AHEAD_MAX_MS

    # New events of the common case wait here and go to the engine in batches (push_many keeps
    # its attributes in locals); anything else first runs what waits, so the engine's time and
    # the order of the callbacks are those of event-by-event pushes.
    pending: list[Event] = []
    push_many = engine.push_many

    def emit(emitted: list[Emitted]) -> None:
        for item, message in render(emitted):
            stats.messages += 1
            out(item, message)

    def run_pending() -> None:
        if pending:
            emitted = push_many(pending)
            pending.clear()
            if emitted:
                emit(emitted)

    number = 0
    for number, line in enumerate(lines, 1):  # noqa: B007 (number is the line count after)
        if not number & 255:
            run_pending()
            if progress is not None and number % 65536 == 0:
                progress(number)
        try:
            # the common case inline; split_line gives the reasons when it is not
            obj = loads(line)
            topic, payload = obj["topic"], obj["payload"]
            if type(topic) is not str:
                raise TypeError
            received = obj.get("received")
        except (orjson.JSONDecodeError, TypeError, KeyError):
            if len(line) < 3 and not line.strip():
                continue  # a blank line (none parses)
            received = None
            try:
                topic, payload = split_line(line)
            except RejectError as exc:
                run_pending()
                rejects[exc.reason] += 1
                if on_reject:
                    on_reject(number, "", line, exc)
                continue
        try:
            native = natives.get(topic) if type(payload) is dict else None
            if native is not None:  # Decoder.decode's common case, inline
                event = parse_event(payload)
                if event.device != native:
                    event = decode(topic, payload)  # raises device_mismatch, in its words
            else:
                event = decode(topic, payload)
        except RejectError as exc:
            run_pending()
            outcome = pipeline.rejected(exc, topic)  # counts it; unknown devices feed rules
            if outcome.reject is not None and on_reject:
                on_reject(number, topic, line, exc)
            batch: Sequence[Event] = outcome.events  # a vendor list, or an unknown device's internal event
        else:
            if type(received) is not int:  # the common case in short (the loop below does it all)
                ids = seen.get(event.device)
                if ids is None:
                    ids = seen[event.device] = set()
                elif event.id in ids:
                    duplicates += 1
                    continue
                ids.add(event.id)
                events += 1
                pending.append(event)
                continue
            batch = (event,)
        run_pending()
        for event in batch:
            if type(received) is int and event.ts_ms > received + ahead_ms:
                ahead = RejectError("clock_ahead", "ts", f"event time is {(event.ts_ms - received) / 1000:.0f} s "
                                    "ahead of the time it was received; fix the device's clock (NTP)")
                rejects[ahead.reason] += 1
                if on_reject:
                    on_reject(number, topic, line, ahead)
                continue
            ids = seen.get(event.device)
            if ids is None:
                ids = seen[event.device] = set()
            elif event.id in ids:
                duplicates += 1
                continue
            ids.add(event.id)
            events += 1
            emitted = engine.push(event)
            if emitted:
                emit(emitted)
    run_pending()
    stats.events, stats.duplicates = events, duplicates
    stats.late, stats.too_late = engine.counters.late, engine.counters.too_late
    emit(engine.flush())
    stats.lines = number
    stats.rejects = dict(rejects)
    stats.seconds = time.perf_counter() - started
    return stats


def redact_line(line: bytes, redact: Callable[[bytes], bytes]) -> bytes:
    """A traffic line as a dead letter may keep it: its payload passed through `redact`
    (Pipeline.redact) once, whether the line carries it as an object or as a string."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return redact(line)  # the redactor's note: nothing of it is kept
    if not isinstance(obj, dict) or "payload" not in obj:
        return redact(line)
    payload = obj["payload"]
    try:
        raw = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else orjson.dumps(payload)
    except TypeError:  # nested past orjson's limit: the redactor keeps only a note of the line
        return redact(line)
    redacted = redact(raw)
    if redacted is raw:  # no salt: keep the line exactly as it came
        return line
    return orjson.dumps({**obj, "payload": orjson.loads(redacted)})


def read_lines(stream: IO[bytes], size: int | None, report: Callable[[str], None]) -> Iterator[bytes]:
    """Lines of a traffic file, reporting progress by bytes read every few seconds."""
    done = 0
    last = time.monotonic()
    for count, line in enumerate(stream):
        done += len(line)
        yield line
        if count & 4095:
            continue
        now = time.monotonic()
        if now - last >= 2.0:
            last = now
            share = f" ({100 * done / size:.0f} %)" if size else ""
            report(f"replay: {done / 1e6:,.1f} MB read{share}")


def stderr(message: str) -> None:
    """Progress and summaries go to stderr; stdout is for alerts only."""
    print(message, file=sys.stderr, flush=True)
