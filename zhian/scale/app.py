"""The Faust app: the rule engine as an agent over community-keyed input, state in Tables.

Keying. Input records are keyed by community, so one community's events, its engine
(reorder buffer, watermark, timers, every rule's keyed state) and its dedup set live in one
partition and one worker. That is what makes the Faust pipeline equal to `zhian replay`:
rules that join across devices (`credential_shared` by subject across gates,
`ebike_indoor_charging` by location, `unknown_device`, the community-wide watermark that
fires absence timers) see everything they need. The limit: one community's throughput is
bounded by one worker core (measured in docs/scale-out.md); a city scales by communities.

State. Per community the worker keeps a `CommunityRuntime` in memory, backed by two
changelogged Tables: `zhian-checkpoints` (community -> checkpoint, every
`checkpoint_every` records) and `zhian-wal` (the records applied since, one entry per
batch, keyed `community/number`; entries go once a later durable checkpoint covers
them). Writing a whole engine snapshot per record would cost far more than the rules
themselves; one write-ahead entry per batch does not.

Exactly once. At-least-once Kafka plus idempotence, in three parts:
1. Each runtime remembers the input offset it applied last; a redelivered record (the
   consumer offset was committed behind the changelog) is skipped.
2. A worker that takes over a community restores the checkpoint and re-applies the WAL
   entries after it, re-sending their outputs: they may or may not have reached the
   output topic before the crash. Before a checkpoint is written the producer is flushed,
   so outputs of records a checkpoint covers are always durable.
3. Outputs carry the engine's replay-stable number n; sinks keep the first record of
   each (community, n) and drop repeats (`zhian.scale.sink.Deduper`).
Faust flushes the producer (changelog and outputs) before it commits consumer offsets,
so a committed offset never runs ahead of the state it implies.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faust
import mode
import orjson

from ingest.registry import Registry
from rules.engine import Processor
from zhian.pipeline import Message
from zhian.scale.community import CommunityRuntime
from zhian.scale.sink import Deduper
from zhian.scale.wire import ALERTS_TOPIC, EVENTS_TOPIC, flushed_record, output_record, partition_of

log = logging.getLogger(__name__)

MAX_RECORD_BYTES = 16 * 1024 * 1024
SinkHook = Callable[[str, int, list[Message]], None]


@dataclass
class ScaleConfig:
    """How a worker connects and what it runs."""

    bootstrap: str
    registries: list[Registry]
    processors: dict[str, list[Processor]]  # community id -> compiled rules
    app_id: str = "zhian"
    partitions: int = 4
    checkpoint_every: int = 2000
    batch: int = 1000  # most records per batch
    batch_wait_s: float = 0.05  # longest wait for a batch to fill
    status_file: Path | None = None
    sink: SinkHook | None = None  # called once per new output by the sink agent
    session_timeout_s: float = 6.0
    data_dir: Path = field(default_factory=lambda: Path("var/faust"))


@dataclass
class WorkerStats:
    """What this worker did, written to the status file for tests and the benchmark."""

    records: Counter[str] = field(default_factory=Counter)  # per community
    skipped: int = 0  # redelivered records already applied
    rebuilt: int = 0  # runtimes restored from the Tables
    replayed: int = 0  # WAL entries re-applied on rebuilds
    outputs: int = 0
    first_s: float = 0.0
    last_s: float = 0.0
    engine_s: float = 0.0  # inside the pure pipeline (decode, dedup, rules)
    wal_s: float = 0.0  # Table writes
    send_s: float = 0.0  # output records handed to the producer
    checkpoint_s: float = 0.0  # producer flushes and checkpoint writes
    assigned: list[int] = field(default_factory=list)  # input partitions this worker owns


def build_app(cfg: ScaleConfig) -> faust.App:
    """A Faust app running the pipeline of every configured community."""
    app = faust.App(
        cfg.app_id,
        broker=f"kafka://{cfg.bootstrap}",
        store="memory://",
        datadir=str(cfg.data_dir),
        topic_partitions=cfg.partitions,
        topic_replication_factor=1,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_session_timeout=cfg.session_timeout_s,
        broker_heartbeat_interval=max(0.5, cfg.session_timeout_s / 6),
        # tests and small deployments: start processing as soon as the group has formed
        stream_recovery_delay=0.5,
        table_standby_replicas=0,
        topic_allow_declare=True,
        producer_linger=0.005,  # batch changelog and output records per request
        # checkpoints (and WAL entries of a batch) can exceed Kafka's default of 1 MB
        producer_max_request_size=MAX_RECORD_BYTES,
        consumer_max_fetch_size=MAX_RECORD_BYTES,
    )
    events = app.topic(EVENTS_TOPIC, key_type=str, value_type=bytes, key_serializer="raw",
                       value_serializer="raw", partitions=cfg.partitions)
    alerts = app.topic(ALERTS_TOPIC, key_type=str, value_type=bytes, key_serializer="raw",
                       value_serializer="raw", partitions=cfg.partitions)
    checkpoints = app.Table("zhian-checkpoints", key_type=str, value_type=bytes, partitions=cfg.partitions,
                            extra_topic_configs={"max.message.bytes": MAX_RECORD_BYTES})
    wal = app.Table("zhian-wal", key_type=str, value_type=bytes, partitions=cfg.partitions,
                    extra_topic_configs={"max.message.bytes": MAX_RECORD_BYTES})
    registries = {r.community.id: r for r in cfg.registries}
    runtimes: dict[str, CommunityRuntime] = {}
    locks: dict[str, asyncio.Lock] = {}
    generations = [0]  # bumped by every rebalance: a rebuild that spans one is discarded
    # per community: (record count, WAL number) at its last checkpoint, lowest WAL number kept
    checkpointed: dict[str, tuple[int, int]] = {}
    wal_low: dict[str, int] = {}
    stats = WorkerStats()
    unknown: Counter[str] = Counter()

    async def send(community: str, rt: CommunityRuntime, emitted: list[Any], flushed: bool) -> None:
        for n, messages in rt.messages(emitted):
            stats.outputs += 1
            await alerts.send(key=community, value=output_record(community, n, messages),
                              partition=partition_of(community, cfg.partitions))
        if flushed:
            await alerts.send(key=community, value=flushed_record(community, rt.last_n),
                              partition=partition_of(community, cfg.partitions))

    async def apply(community: str, rt: CommunityRuntime, records: list[tuple[int, bytes]]) -> None:
        for offset, value in records:
            emitted, flushed = rt.apply(value)
            rt.offset = offset
            if emitted or flushed:
                await send(community, rt, emitted, flushed)

    async def runtime(community: str) -> CommunityRuntime | None:
        """The community's runtime; after a (re)assignment, rebuilt from the Tables (None
        when a rebalance happened meanwhile: the partition may no longer be ours)."""
        rt = runtimes.get(community)
        if rt is not None:
            return rt
        async with locks.setdefault(community, asyncio.Lock()):  # the agent and the idle timer
            rt = runtimes.get(community)
            if rt is not None:
                return rt
            generation = generations[0]
            rt = CommunityRuntime(registries[community], cfg.processors[community])
            raw = checkpoints.get(community)
            if raw is not None:
                rt.restore(raw)
            restored = (rt.seq, rt.wal_no)
            prefix = f"{community}/"
            kept = [int(k[len(prefix):]) for k in wal.data.keys() if k.startswith(prefix)]
            while True:
                entry = wal.get(f"{community}/{rt.wal_no + 1}")
                if entry is None:
                    break  # the producer loses a suffix in a crash, never a middle entry
                wal_no, first_seq, records = _wal_entry(entry)
                if first_seq != rt.seq + 1:
                    raise RuntimeError(f"{community}: WAL entry {wal_no} starts at record {first_seq}, "
                                       f"expected {rt.seq + 1}")
                rt.wal_no = wal_no
                await apply(community, rt, records)  # re-sends outputs: sinks drop the repeats
                stats.replayed += len(records)
            stats.rebuilt += 1
            log.info("community %s: rebuilt at record %d (offset %d)", community, rt.seq, rt.offset)
            if generation != generations[0]:
                return None
            runtimes[community] = rt
            checkpointed[community] = restored
            wal_low[community] = min(kept, default=rt.wal_no + 1)
            return rt

    @app.timer(1.0)
    async def rebuild_quiet() -> None:
        """Rebuilds the communities of owned partitions that receive no records, so that
        outputs a crashed worker computed but did not deliver are re-sent without waiting
        for the next record (in live use the bridge's `advance` controls come every second)."""
        if app.rebalancing or app.in_recovery or not app.tables.recovery.completed.is_set():  # type: ignore[attr-defined]
            return
        for community in registries:
            if community not in runtimes and partition_of(community, cfg.partitions) in stats.assigned:
                await runtime(community)

    # A raise here is a bug (bad input becomes a reject): crash the worker so that its
    # partitions move on from the Tables, rather than restart the agent past the record.
    @app.agent(events, supervisor_strategy=mode.CrashingSupervisor)
    async def process(stream: Any) -> None:
        """Runs input records through their community's pipeline, a batch at a time."""
        perf = time.perf_counter
        # Batches: one write-ahead entry per community and batch instead of one per record
        # (a Table write per record was 40 % of the time). Faust acks a batch after it.
        async for batch in stream.take_events(cfg.batch, within=cfg.batch_wait_s):
            groups: dict[str, list[Any]] = {}
            for event in batch:
                groups.setdefault(event.key, []).append(event)
            for community, group in groups.items():
                if community not in registries:
                    unknown[str(community)] += len(group)  # a community this deployment does not serve
                    continue
                generation = generations[0]
                rt = await runtime(community)
                if rt is None:
                    continue  # revoked while rebuilding: the new owner processes these records
                records = [(e.message.offset, e.value) for e in group if e.message.offset > rt.offset]
                stats.skipped += len(group) - len(records)  # redelivered, already applied
                if not records:
                    continue
                partition = group[0].message.partition
                t0 = perf()
                if not stats.first_s:
                    stats.first_s = time.time()
                rt.wal_no += 1
                _put(wal, partition, f"{community}/{rt.wal_no}", _wal_value(rt.wal_no, rt.seq + 1, records))
                t1 = perf()
                outputs = []
                for offset, value in records:
                    emitted, flushed = rt.apply(value)
                    rt.offset = offset
                    if emitted or flushed:
                        outputs.append((emitted, flushed))
                t2 = perf()
                for emitted, flushed in outputs:
                    await send(community, rt, emitted, flushed)
                t3 = perf()
                stats.wal_s += t1 - t0
                stats.engine_s += t2 - t1
                stats.send_s += t3 - t2
                stats.records[community] += len(records)
                stats.last_s = time.time()
                if generation != generations[0]:
                    continue  # revoked during the sends: no checkpoint for a partition that moved
                last_seq, last_wal = checkpointed[community]
                if rt.seq - last_seq >= cfg.checkpoint_every:
                    # Outputs of the records this checkpoint covers must be durable first.
                    # The flush also makes the previous checkpoint durable, so the WAL
                    # entries it covers can go (not those of this one: it may yet be lost).
                    await app.producer.flush()
                    _put(checkpoints, partition, community, rt.checkpoint())
                    for wal_no in range(wal_low[community], last_wal + 1):
                        _put(wal, partition, f"{community}/{wal_no}", None)
                    wal_low[community] = max(wal_low[community], last_wal + 1)
                    checkpointed[community] = (rt.seq, rt.wal_no)
                    stats.checkpoint_s += perf() - t3

    if cfg.sink is not None:
        hook = cfg.sink
        delivered = app.Table("zhian-delivered", key_type=str, value_type=int, partitions=cfg.partitions)
        deduper = Deduper(delivered)

        @app.agent(alerts, supervisor_strategy=mode.CrashingSupervisor)
        async def deliver(stream: AsyncIterable[Any]) -> None:
            """Hands each output to the sink hook once (repeats after a failover dropped)."""
            async for value in stream:
                record = orjson.loads(value)
                if "messages" in record and deduper.first(record["community"], record["n"]):
                    hook(record["community"], record["n"], record["messages"])

    # Every rebalance drops the in-memory runtimes, kept partitions included: a partition
    # may have been owned and advanced by another worker in between (a worker that missed
    # its session timeout and rejoined). Rebuilding costs at most one checkpoint interval.
    @app.on_partitions_revoked.connect
    async def on_revoked(sender: Any, /, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        generations[0] += 1
        runtimes.clear()

    @app.on_partitions_assigned.connect
    async def on_assigned(sender: Any, /, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        generations[0] += 1
        runtimes.clear()
        assigned = args[0] if args else kwargs.get("assigned", ())
        stats.assigned = sorted(tp.partition for tp in assigned if tp.topic == EVENTS_TOPIC)

    if cfg.status_file is not None:
        status_file = cfg.status_file

        @app.timer(0.2)
        async def write_status() -> None:
            """Progress for tests and the benchmark (atomic rename)."""
            _write_status(status_file, stats, runtimes, unknown)

    return app


def _put(table: Any, partition: int, key: str, value: bytes | None) -> None:
    # `table[key] = value` writes the changelog partition of Faust's current event; in a
    # batch of several partitions that may be another community's, so name it. None
    # deletes (a tombstone in the changelog).
    if value is None:
        if table.data.pop(key, None) is None:
            return
    else:
        table.data[key] = value
    table.send_changelog(partition, key, value)


def _wal_value(wal_no: int, first_seq: int, records: list[tuple[int, bytes]]) -> bytes:
    """A write-ahead entry: a header line, then each record as `offset length` + bytes."""
    parts = [b"%d %d %d\n" % (wal_no, first_seq, len(records))]
    for offset, value in records:
        parts.append(b"%d %d\n" % (offset, len(value)))
        parts.append(value)
    return b"".join(parts)


def _wal_entry(entry: bytes) -> tuple[int, int, list[tuple[int, bytes]]]:
    end = entry.index(b"\n")
    wal_no, first_seq, count = (int(x) for x in entry[:end].split())
    records = []
    pos = end + 1
    for _ in range(count):
        end = entry.index(b"\n", pos)
        offset, length = (int(x) for x in entry[pos:end].split())
        records.append((offset, entry[end + 1:end + 1 + length]))
        pos = end + 1 + length
    return wal_no, first_seq, records


def _write_status(path: Path, stats: WorkerStats, runtimes: dict[str, CommunityRuntime],
                  unknown: Counter[str]) -> None:
    status = {
        "pid": os.getpid(),
        "assigned": stats.assigned,
        "records": dict(stats.records),
        "skipped": stats.skipped,
        "rebuilt": stats.rebuilt,
        "replayed": stats.replayed,
        "outputs": stats.outputs,
        "first_s": stats.first_s,
        "last_s": stats.last_s,
        "seconds": {"engine": stats.engine_s, "wal": stats.wal_s, "send": stats.send_s,
                    "checkpoint": stats.checkpoint_s},
        "communities": {c: {"seq": rt.seq, "offset": rt.offset, "n": rt.last_n} for c, rt in runtimes.items()},
        "unknown_communities": dict(unknown),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(status))
    tmp.replace(path)
