"""The MQTT -> Kafka bridge against a real Mosquitto and a real Kafka: every device
message becomes its replay-file line on the community's partition, in order, and a quiet
community gets watermark `advance` controls."""

from __future__ import annotations

import asyncio
import threading
import time

import orjson
import paho.mqtt.client as mqtt
import pytest
from aiokafka import AIOKafkaConsumer

from ingest.mqtt import BrokerConfig
from zhian.broker import LocalBroker
from zhian.kafka_local import KafkaBroker
from zhian.scale.bridge import run_bridge
from zhian.scale.wire import EVENTS_TOPIC, partition_of

pytestmark = [pytest.mark.kafka, pytest.mark.mqtt]


async def read_events(bootstrap: str, want: int, timeout_s: float = 60.0) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, value) of the input topic until `want` records have arrived."""
    consumer = AIOKafkaConsumer(EVENTS_TOPIC, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    out: list[tuple[int, bytes, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(out) < want and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                out += [(m.partition, m.key, m.value) for m in messages]
    finally:
        await consumer.stop()
    return sorted(out, key=lambda r: r[0])


def test_bridge_forwards_in_order_and_advances_idle_communities(kafka: KafkaBroker, broker: LocalBroker) -> None:
    stop, ready = threading.Event(), threading.Event()
    config = BrokerConfig.parse(broker.address, client_id="zhian-bridge-test")
    thread = threading.Thread(target=lambda: asyncio.run(run_bridge(config, kafka.bootstrap, stop, partitions=2,
                                                                    idle_after_s=0.5, ready=ready)))
    thread.start()
    try:
        assert ready.wait(60), "the bridge did not connect"
        time.sleep(0.5)  # its subscription is acknowledged
        publisher = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="pub")
        host, port = broker.address.rsplit(":", 1)
        publisher.connect(host, int(port))
        publisher.loop_start()
        sent = []
        for i in range(40):
            community = "cyl" if i % 4 else "hy-garden"
            topic = f"zhian/{community}/gate-{i % 3}/events"
            payload = orjson.dumps({"v": 1, "id": f"e{i}", "ts": 1_793_548_800_000 + i, "device": f"gate-{i % 3}",
                                    "type": "device.heartbeat"})
            publisher.publish(topic, payload, qos=1).wait_for_publish(10)
            sent.append((community, topic, payload))
        publisher.publish("zhian/cyl/gate-0/events", b"\xff\xfe not utf-8", qos=1).wait_for_publish(10)
        publisher.loop_stop()
        publisher.disconnect()
        records = asyncio.run(read_events(kafka.bootstrap, want=45))
    finally:
        stop.set()
        thread.join(30)
    events = [r for r in records if b'"control"' not in r[2]]
    controls = [r for r in records if b'"control"' in r[2]]
    for community in ("cyl", "hy-garden"):
        mine = [orjson.loads(v) for p, k, v in events if k == community.encode()]
        assert all(p == partition_of(community, 2) for p, k, _ in events if k == community.encode())
        expected = [{"topic": t, "payload": pl.decode()} for c, t, pl in sent if c == community]
        if community == "cyl":
            expected.append({"topic": "zhian/cyl/gate-0/events", "payload": None})  # not UTF-8: rejected downstream
        assert mine == expected
    advanced = {k for _, k, v in controls if orjson.loads(v)["control"] == "advance"}
    assert advanced == {b"cyl", b"hy-garden"}
