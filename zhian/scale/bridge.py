"""MQTT -> Kafka: device events onto the input topic, keyed by community.

Each MQTT message becomes the traffic line a replay file would hold, so the workers run
the same decode path. A message is acknowledged to the MQTT broker only after Kafka has
acknowledged its record (QoS 1 with a persistent session): a crash of the bridge means
redelivery, which the workers drop as a repeated (device, id). When a community has been
quiet for `idle_after_s`, the bridge writes an `advance` control (then one per
`idle_after_s` while it stays quiet) that moves its watermark to the wall clock minus
lateness and idle time, as the live processor does, so absence timers fire on a quiet
night; being in the log, it replays identically. That is one small record per quiet
community and second: raise `idle_after_s` for thousands of communities.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time

import orjson
from aiokafka import AIOKafkaProducer

from ingest.mqtt import BrokerConfig, Inbound, make_client
from rules.engine import ALLOWED_LATENESS_MS
from zhian.scale.loader import ensure_topics, producer
from zhian.scale.wire import EVENTS_TOPIC, NO_COMMUNITY, community_of, control, partition_of

log = logging.getLogger(__name__)


def traffic_line(topic: str, payload: bytes) -> bytes:
    """The replay-file line of one MQTT message (a payload that is not UTF-8 is sent as
    null and rejected by the worker as invalid)."""
    try:
        text: str | None = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return orjson.dumps({"topic": topic, "payload": text})


async def run_bridge(mqtt_config: BrokerConfig, bootstrap: str, stop: threading.Event,
                     partitions: int = 4, idle_after_s: float = 1.0, batch: int = 500,
                     ready: threading.Event | None = None) -> None:
    """Forward until `stop` is set; `ready` is set once connected to both brokers."""
    await ensure_topics(bootstrap, partitions)
    prod = producer(bootstrap)
    await prod.start()
    client = make_client(mqtt_config, ["zhian/+/+/events"])
    client.start()
    if ready is not None:
        await asyncio.to_thread(client.connected.wait, 30.0)
        ready.set()
    last_input: dict[str, float] = {}
    advanced: dict[str, float] = {}
    try:
        while not stop.is_set():
            messages = await asyncio.to_thread(_drain, client.inbox, batch, 0.2)
            futures = []
            for m in messages:
                community = community_of(m.topic)
                last_input[community] = time.monotonic()
                line = traffic_line(m.topic, m.payload)
                futures.append(await prod.send(EVENTS_TOPIC, line, key=community.encode(),
                                               partition=partition_of(community, partitions)))
            if futures:
                await asyncio.gather(*futures)  # Kafka has them: now the MQTT broker may forget them
                client.ack(messages)
            # right after a (re)connect the MQTT broker may still be delivering the backlog
            # it kept for our session; moving event time to the clock now would make it late
            if client.connected.is_set() and time.monotonic() - client.connected_at >= 2 * idle_after_s + 1:
                await _idle_advance(prod, partitions, last_input, advanced, idle_after_s)
    finally:
        client.stop()
        await prod.stop()


def _drain(inbox: queue.Queue[Inbound], most: int, wait_s: float) -> list[Inbound]:
    try:
        out = [inbox.get(timeout=wait_s)]
    except queue.Empty:
        return []
    while len(out) < most:
        try:
            out.append(inbox.get_nowait())
        except queue.Empty:
            break
    return out


async def _idle_advance(prod: AIOKafkaProducer, partitions: int, last_input: dict[str, float],
                        advanced: dict[str, float], idle_after_s: float) -> None:
    now = time.monotonic()
    for community, seen in last_input.items():
        if community == NO_COMMUNITY or now - seen < idle_after_s or now - advanced.get(community, 0) < idle_after_s:
            continue
        advanced[community] = now
        watermark = int(time.time() * 1000) - ALLOWED_LATENESS_MS - int(idle_after_s * 1000)
        await prod.send(EVENTS_TOPIC, control("advance", watermark_ms=watermark), key=community.encode(),
                        partition=partition_of(community, partitions))
