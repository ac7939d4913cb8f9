"""Reading the output topic from the start, outside any consumer group (tools, tests)."""

from __future__ import annotations

import time
from collections.abc import Collection

import orjson
from aiokafka import AIOKafkaConsumer

from zhian.scale.wire import ALERTS_TOPIC


async def read_outputs(bootstrap: str, idle_s: float = 5.0, flushed: Collection[str] = (),
                       timeout_s: float = 600.0, topic: str = ALERTS_TOPIC) -> list[bytes]:
    """Every output record so far, in partition order. Stops once each community in
    `flushed` has written its flush marker, or after `idle_s` without a record when
    `flushed` is empty; raises TimeoutError after `timeout_s`. `topic` reads another topic."""
    # no group: the consumer is given every partition of the topic, read from the start
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    records: list[bytes] = []
    waiting = set(flushed)
    try:
        started = time.monotonic()
        last = time.monotonic()
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            now = time.monotonic()
            for messages in batch.values():
                for message in messages:
                    records.append(message.value)
                    if waiting and b'"flushed"' in message.value:
                        waiting.discard(orjson.loads(message.value)["community"])
                last = now
            if flushed and not waiting:
                return records
            if not flushed and now - last >= idle_s:
                return records
            if now - started > timeout_s:
                raise TimeoutError(f"no flush marker from {sorted(waiting)} after {timeout_s:.0f} s")
    finally:
        await consumer.stop()
