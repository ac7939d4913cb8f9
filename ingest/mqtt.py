"""Live MQTT ingest: QoS 1, a persistent session and manual acknowledgement.

The broker keeps our session (clean start off, session expiry set) while zhian is down,
and a message is acknowledged only after the caller has made it durable (`ack`), so a
crash between receipt and storage means redelivery, never loss.

Two clients offer the same interface (`start`, `stop`, `inbox.get_many`, `ack`, `publish`,
`connected`, `connected_at`): paho-mqtt (the default, `MqttClient` below) and a lean
client of our own for QoS 1 only (`ingest/mqtt_native.py`, `zhian run --mqtt-client
native`), which reads the socket in large chunks and acknowledges a batch in one write.

In paho 2.1 every PUBLISH costs a select and three recv calls, an MQTT 5 Properties object
(built from name tables each time) and, with manual acks, one queued PUBACK packet, one
wake-up of its loop and one send each. `MqttClient` therefore runs paho through
`ingest/mqtt_paho.py` (hooks private to the pinned paho 2.1.0; paho still speaks the
protocol): a buffered socket, property tables built once, a batch of PUBACKs in one write,
the messages of one read handed to the inbox at once, and the QoS 0/1 PUBLISH packets of a
read parsed straight from its bytes into paho's own messages. Measured with `bench/live_bench.py
--clients paho --processes 1 --no-latency --rounds 3` on 2 cores shared with other work,
alternating with the code before (ratio to the same run's mosquitto_sub drain, mean of six
rounds each): 0.24x before, 0.49x after (23,300 -> 46,000 events/s); in-process, draining
and acking alone, about 21,000 -> 75,000 messages/s (40 -> 10 CPU µs each). On a quiet
machine (`bench/run_all.py`, BENCHMARKS.md) mosquitto_sub drains faster, and the ratio is
lower: 0.39x (60,216 of 155,371 events/s), where it was 0.17x; the native client 0.81x.
Corking the socket between paho's writes (`on_socket_open`, `on_socket_unregister_write`)
was tried and changed nothing measurable. The fast read path (issue 9) then halved what paho
costs a message (9.4 -> 4.7 CPU µs in-process, reading and handing over alone) and, alternating
with the code before on the shared machine (same command, two runs of three rounds each),
raised the drain from 0.38-0.51x (33,300-42,400 events/s) to 0.52-0.95x (50,400-75,600)
of the same run's mosquitto_sub, 51,000 -> 74,000 events per CPU-second. On the quiet
machine (`bench/run_all.py`): 0.54x (84,108 of 157,069 events/s) in one process and 0.59x in
two in session 18; 0.51x (69,428 of 135,092) and 0.50x in session 19, a slower run throughout.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.mqtt_paho import PahoClient

log = logging.getLogger(__name__)

CLIENTS = ("paho", "native")


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """Where and how zhian connects to the broker."""

    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "zhian"
    username: str | None = None
    password: str | None = None
    keepalive_s: int = 30
    session_expiry_s: int = 7 * 24 * 3600
    # unacknowledged messages the broker may send ahead; above one processing batch so
    # the broker keeps sending while a batch is being stored
    receive_maximum: int = 10_000
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    client: str = "paho"  # or "native" (ingest/mqtt_native.py): see `make_client`

    @classmethod
    def parse(cls, address: str, **kw: Any) -> BrokerConfig:
        """From `host:port` (port defaults to 1883)."""
        host, _, port = address.rpartition(":") if ":" in address else (address, "", "1883")
        if not host:
            raise ValueError(f"broker address {address!r}: expected host:port")
        try:
            port_no = int(port)
        except ValueError:
            raise ValueError(f"broker address {address!r}: port must be a number") from None
        return cls(host=host, port=port_no, **kw)


class Inbound(NamedTuple):
    """One received message, to be acknowledged with `MqttClient.ack` once stored."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    received_ms: int


class Inbox(queue.Queue[Inbound]):
    """The queue of received messages, filled and emptied a batch at a time."""

    def put_many(self, items: list[Inbound]) -> None:
        """Append a batch under one lock."""
        with self.not_empty:
            self.queue.extend(items)
            self.unfinished_tasks += len(items)
            self.not_empty.notify()

    def get_many(self, most: int, timeout_s: float) -> list[Inbound]:
        """Up to `most` messages, waiting at most `timeout_s` for the first."""
        with self.not_empty:
            if not self.queue:
                self.not_empty.wait(timeout_s)
            q = self.queue
            n = min(most, len(q))
            return [q.popleft() for _ in range(n)]


class ClientState:
    """What both MQTT clients keep beside their connection: the inbox, the connected flag and
    when the last connect happened (for the processor's health file and the tests)."""

    def __init__(self, config: BrokerConfig, subscriptions: list[str],
                 on_published: Callable[[int], None] | None = None) -> None:
        self.config = config
        self.subscriptions = subscriptions
        self.inbox = Inbox()
        self.connected = threading.Event()
        self.connects = 0
        self.connected_at = 0.0  # monotonic time of the last successful connect
        self._on_published = on_published

    def _count_connect(self, session_present: bool) -> None:
        self.connects += 1
        self.connected_at = time.monotonic()
        log.info("connected to %s:%s as %s (session present: %s)", self.config.host,
                 self.config.port, self.config.client_id, session_present)


class MqttClient(ClientState):
    """A paho client that queues inbound messages and acknowledges them on request."""

    def __init__(self, config: BrokerConfig, subscriptions: list[str],
                 on_published: Callable[[int], None] | None = None) -> None:
        super().__init__(config, subscriptions, on_published)
        self.client = PahoClient(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if config.username:
            self.client.username_pw_set(config.username, config.password)
        self.client.reconnect_delay_set(config.reconnect_min_s, config.reconnect_max_s)
        self.client.max_queued_messages_set(0)  # our outbox bounds what we queue
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_read_done = self._hand_over
        self._arrived: list[Inbound] = []  # network thread only: what this read brought
        self.client.on_publish = self._on_publish

    def start(self) -> None:
        """Connect in the background; paho reconnects with backoff on its own."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.config.session_expiry_s
        props.ReceiveMaximum = self.config.receive_maximum
        self.client.connect_async(
            self.config.host, self.config.port, keepalive=self.config.keepalive_s,
            clean_start=False, properties=props,
        )
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect and stop the network thread (the broker keeps our session)."""
        self.client.disconnect()
        self.client.loop_stop()

    def ack(self, messages: list[Inbound]) -> None:
        """Acknowledge stored messages, in the order they were received."""
        self.client.ack_qos1([m.mid for m in messages if m.qos == 1])
        for m in messages:
            if m.qos > 1:  # never at our QoS-1 subscriptions; paho's own ack if a broker did
                self.client.ack(m.mid, m.qos)

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> int:
        """Queue a message; returns its mid (`on_published(mid)` follows the broker's ack)."""
        return self.client.publish(topic, payload, qos=qos).mid

    # ---- paho callbacks (network thread) ---------------------------------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.error("broker %s:%s refused the connection: %s", self.config.host, self.config.port, reason)
            return
        self._count_connect(flags.session_present)
        for topic in self.subscriptions:
            client.subscribe(topic, qos=1)
        self.connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.connected.clear()
        if reason != 0 and not (hasattr(reason, "value") and reason.value == 0):
            log.warning("lost the broker (%s); reconnecting with backoff", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self._arrived.append(Inbound(msg.topic, msg.payload, msg.mid, msg.qos, int(time.time() * 1000)))

    def _hand_over(self) -> None:
        # the messages of one read under one lock and one wake-up of the processor, not one each
        if self._arrived:
            arrived, self._arrived = self._arrived, []
            self.inbox.put_many(arrived)

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        if self._on_published is not None:
            self._on_published(mid)


class LiveClient(Protocol):
    """What the live processor needs of an MQTT client."""

    config: BrokerConfig
    inbox: Inbox
    connected: threading.Event
    connected_at: float

    def start(self) -> None:
        """Connect in the background, reconnecting with backoff."""
        ...

    def stop(self) -> None:
        """Disconnect (the broker keeps the session)."""
        ...

    def ack(self, messages: list[Inbound]) -> None:
        """Acknowledge stored messages."""
        ...

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> int:
        """Queue a QoS-1 message; returns its mid."""
        ...


def make_client(config: BrokerConfig, subscriptions: list[str],
                on_published: Callable[[int], None] | None = None) -> LiveClient:
    """The client `config.client` names."""
    if config.client == "native":
        from ingest.mqtt_native import NativeMqttClient
        return NativeMqttClient(config, subscriptions, on_published)
    if config.client != "paho":
        raise ValueError(f"MQTT client {config.client!r}: expected one of {', '.join(CLIENTS)}")
    return MqttClient(config, subscriptions, on_published)
