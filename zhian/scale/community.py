"""One community's pipeline as a checkpointable value: what a Faust agent keeps per key.

It does exactly what `zhian.replay` does with each line — split, decode (unknown devices
feed the rules), drop repeated (device, id), push to the engine — so a community's
records through Kafka give the same outputs, with the same numbers, as its replay file.
No Faust and no I/O here: the agent decides where checkpoints live.
"""

from __future__ import annotations

import zlib
from collections import Counter
from typing import Any

import orjson

from ingest.errors import RejectError
from ingest.registry import Registry
from rules.engine import Emitted, Processor
from zhian.pipeline import Message, Pipeline
from zhian.replay import split_line

CHECKPOINT_VERSION = 1
# Repeated (device, id) are recognised for this long in event time. The live processor's
# SQLite log remembers every id; here the ids are part of every checkpoint (56 bytes per
# event before compression: 30k events of a simulated day made a 1.7 MB checkpoint), so
# ids more than an hour behind the watermark are forgotten at checkpoints. QoS-1
# redeliveries follow their original within seconds to minutes (a reconnect).
DEDUP_HORIZON_MS = 3600 * 1000


class CommunityRuntime:
    """Decode, deduplicate and run the engine for one community; checkpoint and restore."""

    def __init__(self, registry: Registry, processors: list[Processor],
                 dedup_horizon_ms: int = DEDUP_HORIZON_MS) -> None:
        self.community = registry.community.id
        self.pipeline = Pipeline(registry, processors)
        self.dedup_horizon_ms = dedup_horizon_ms
        self.seen: dict[tuple[str, str], int] = {}  # (device, id) -> event time
        self.seq = 0  # records applied
        self.wal_no = 0  # write-ahead entries (batches of records) written
        self.offset = -1  # input offset of the last record applied
        self.counts: Counter[str] = Counter()

    # ---- records -------------------------------------------------------------------------

    def apply(self, value: bytes) -> tuple[list[Emitted], bool]:
        """Apply one input record; returns the outputs and whether it was a flush."""
        self.seq += 1
        engine = self.pipeline.engine
        try:
            obj = orjson.loads(value)
        except orjson.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and "control" in obj and "topic" not in obj:
            return self._control(obj)
        try:
            topic, payload = split_line(value)
        except RejectError as exc:
            self.pipeline.rejects[exc.reason] += 1
            return [], False
        try:
            events = [self.pipeline.decode_one(topic, payload)]
        except RejectError as exc:
            events = self.pipeline.rejected(exc, topic).events  # a vendor list, or an unknown device
        emitted: list[Emitted] = []
        for event in events:
            ident = (event.device, event.id)
            if ident in self.seen:
                self.counts["duplicates"] += 1
                continue
            self.seen[ident] = event.ts_ms
            self.counts["events"] += 1
            if event.ts_ms < engine.watermark_ms:
                self.counts["late"] += 1
            emitted += engine.push(event)
        return emitted, False

    def _control(self, obj: dict[str, Any]) -> tuple[list[Emitted], bool]:
        engine = self.pipeline.engine
        kind = obj.get("control")
        if kind == "flush":
            return engine.flush(), True
        watermark = obj.get("watermark_ms")
        if kind == "advance" and type(watermark) is int:
            return engine.advance(watermark), False
        self.counts["bad_control"] += 1
        return [], False

    def messages(self, emitted: list[Emitted]) -> list[tuple[int, list[Message]]]:
        """The messages of each output that publishes any, as (n, messages), in order."""
        grouped: list[tuple[int, list[Message]]] = []
        for item, message in self.pipeline.messages(emitted):
            if grouped and grouped[-1][0] == item.n:
                grouped[-1][1].append(message)
            else:
                grouped.append((item.n, [message]))
        return grouped

    @property
    def last_n(self) -> int:
        """Number of the last output emitted so far."""
        return self.pipeline.engine.counters.emitted

    # ---- checkpoints -----------------------------------------------------------------------

    def checkpoint(self) -> bytes:
        """Everything needed to continue from here (ids past the dedup horizon dropped)."""
        floor = self.pipeline.engine.watermark_ms - self.dedup_horizon_ms
        self.seen = {k: ts for k, ts in self.seen.items() if ts >= floor}
        return zlib.compress(orjson.dumps({
            "version": CHECKPOINT_VERSION,
            "community": self.community,
            "seq": self.seq,
            "wal_no": self.wal_no,
            "offset": self.offset,
            "engine": self.pipeline.engine.snapshot(),
            "seen": [[d, i, ts] for (d, i), ts in self.seen.items()],
            "counts": dict(self.counts),
            "rejects": dict(self.pipeline.rejects),
        }), 1)  # level 1: a sixth of the size at ~3 ms per MB

    def restore(self, raw: bytes) -> None:
        """Continue from `checkpoint()` output taken with the same registry and rules."""
        snap = orjson.loads(zlib.decompress(raw))
        if snap.get("version") != CHECKPOINT_VERSION or snap.get("community") != self.community:
            raise ValueError(f"not a version-{CHECKPOINT_VERSION} checkpoint of {self.community!r}")
        self.seq = snap["seq"]
        self.wal_no = snap["wal_no"]
        self.offset = snap["offset"]
        self.pipeline.engine.restore(snap["engine"])
        self.seen = {(d, i): ts for d, i, ts in snap["seen"]}
        self.counts = Counter(snap["counts"])
        self.pipeline.rejects = Counter(snap["rejects"])
