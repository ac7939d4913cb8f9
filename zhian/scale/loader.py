"""Traffic into Kafka: a replay file (tests, benchmarks, backfills) onto the input topic."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from zhian.scale.wire import ALERTS_TOPIC, EVENTS_TOPIC, NO_COMMUNITY, control, key_of_line, partition_of


async def ensure_topics(bootstrap: str, partitions: int) -> None:
    """Create the input and output topics with `partitions` partitions if they are missing
    (a topic auto-created by a first producer would get the broker's default of 1)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for name in (EVENTS_TOPIC, ALERTS_TOPIC):
            try:
                await admin.create_topics([NewTopic(name, partitions, 1)])
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


def producer(bootstrap: str) -> AIOKafkaProducer:
    """A producer that keeps each partition in send order across retries (idempotent)."""
    return AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all",
                            linger_ms=5, max_batch_size=256 * 1024)


async def load_lines(bootstrap: str, lines: Iterable[bytes], partitions: int = 4,
                     flush: bool = True) -> dict[str, int]:
    """Send traffic lines keyed by community, in file order; with `flush`, end each
    community with a flush control (a replay's end of input). Returns lines per key."""
    await ensure_topics(bootstrap, partitions)
    counts: dict[str, int] = {}
    prod = producer(bootstrap)
    await prod.start()
    try:
        for line in lines:
            line = line.rstrip(b"\r\n")
            if not line.strip():
                continue
            key = key_of_line(line)
            counts[key] = counts.get(key, 0) + 1
            await prod.send(EVENTS_TOPIC, line, key=key.encode(), partition=partition_of(key, partitions))
        if flush:
            for key in counts:
                if key != NO_COMMUNITY:
                    await prod.send(EVENTS_TOPIC, control("flush"), key=key.encode(),
                                    partition=partition_of(key, partitions))
        await prod.flush()
    finally:
        await prod.stop()
    return counts


def load_file(bootstrap: str, path: str, partitions: int = 4, flush: bool = True) -> dict[str, int]:
    """`load_lines` over a traffic file."""
    with open(path, "rb") as stream:
        return asyncio.run(load_lines(bootstrap, stream, partitions, flush))
