"""The fast read path of `PahoClient` (`_packet_read`, `parse_publish`): the same bytes give
the same messages, acks and errors as paho's own path, every packet it is not sure of is left
to paho, and a real backlog drains through it exactly once."""

from __future__ import annotations

import logging
import select
import socket
import time
from collections.abc import Callable

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.mqtt import BrokerConfig, MqttClient
from ingest.mqtt_native import packet, utf8
from ingest.mqtt_paho import BufferedSocket, PahoClient, parse_publish
from tests.live.test_paho_buffered import assert_nothing_redelivered, drain
from zhian.broker import LocalBroker

V5, V311 = mqtt.MQTTv5, mqtt.MQTTv311
PINGRESP = bytes((PacketTypes.PINGRESP << 4, 0))


def publish(
    topic: str,
    payload: bytes,
    qos: int = 1,
    mid: int = 1,
    props: bytes | None = b"\x00",
    dup: bool = False,
    retain: bool = False,
) -> bytes:
    """A PUBLISH as a broker sends it; `props` is the MQTT 5 properties field (None before v5)."""
    first = PacketTypes.PUBLISH << 4 | dup << 3 | qos << 1 | retain
    return packet(first, utf8(topic) + (mid.to_bytes(2, "big") if qos else b"") + (props or b"") + payload)


def properties(user: tuple[tuple[str, str], ...] = (), **values: object) -> bytes:
    """PUBLISH properties packed by paho, with `user` as user properties."""
    props = Properties(PacketTypes.PUBLISH)
    for name, value in values.items():
        setattr(props, name, value)
    for pair in user:
        props.UserProperty = pair  # each one set adds one
    return props.pack()


def pubrel(mid: int) -> bytes:
    """The broker's PUBREL of a QoS-2 message (MQTT 5 short form: reason success)."""
    return packet(PacketTypes.PUBREL << 4 | 0x02, mid.to_bytes(2, "big"))


Fields = tuple[object, ...]


def fields(msg: mqtt.MQTTMessage) -> Fields:
    """Everything of a delivered message but its timestamp (the time it was handled)."""
    props = msg.properties
    return (
        msg.dup,
        msg.qos,
        msg.retain,
        msg._topic,
        msg.mid,
        msg.payload,
        msg.state,
        msg.info.mid,
        type(props),
        None if props is None else props.json(),
    )


class Run:
    """What a client made of a byte stream: messages, errors returned by loop_read or raised
    from it, bytes written back, and the PUBLISH packets paho's own `_handle_publish` handled."""

    def __init__(self) -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        self.errors: list[object] = []
        self.written = b""
        self.paho_publishes = 0


def unread(client: mqtt.Client, ours: socket.socket) -> bool:
    """Whether bytes wait in the socket or in the client's buffer (False once paho closed it)."""
    sock = client._sock
    if sock is None:
        return False
    if isinstance(sock, BufferedSocket) and sock.pending():
        return True
    return bool(select.select([ours], [], [], 0)[0])


def run(chunks: list[bytes], fast: bool, protocol: int = V5, manual_ack: bool = True) -> Run:
    """Send `chunks` one after the other to a client, reading each to its end: `fast`, a
    `PahoClient` on a `BufferedSocket`; else paho's own `Client` on the bare socket."""
    out = Run()
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)  # each chunk sent whole
    theirs.settimeout(0.05)
    handle_publish = mqtt.Client._handle_publish

    def counted(client: mqtt.Client) -> mqtt.MQTTErrorCode:
        out.paho_publishes += 1
        return handle_publish(client)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mqtt.Client, "_handle_publish", counted)
        cls = PahoClient if fast else mqtt.Client
        client = cls(mqtt.CallbackAPIVersion.VERSION2, protocol=protocol, manual_ack=manual_ack)
        client.on_message = lambda _c, _u, msg: out.messages.append(msg)
        client._sock = BufferedSocket(ours) if fast else ours
        try:
            for chunk in chunks:
                theirs.sendall(chunk)
                while not out.errors and unread(client, ours):
                    try:
                        rc = client.loop_read()
                    except Exception as err:
                        out.errors.append(type(err))
                    else:
                        if rc != mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS:
                            out.errors.append(rc)
                while True:
                    try:
                        data = theirs.recv(65536)
                    except (TimeoutError, ConnectionResetError):  # all written; or closed with bytes unread
                        break
                    if not data:
                        break
                    out.written += data
        finally:
            ours.close()
            theirs.close()
    return out


def same_as_paho(chunks: list[bytes], protocol: int = V5, manual_ack: bool = True) -> tuple[Run, Run]:
    """Both paths on the same stream; asserts they delivered, wrote and failed alike."""
    fast, paho = run(chunks, True, protocol, manual_ack), run(chunks, False, protocol, manual_ack)
    assert [fields(m) for m in fast.messages] == [fields(m) for m in paho.messages]
    assert all(m.timestamp > 0 for m in fast.messages)
    assert fast.written == paho.written
    assert fast.errors == paho.errors
    return fast, paho


MIXED = [
    publish("zhian/cyl/gate-north/events", b'{"id": 1}', qos=1, mid=1),
    publish("zhian/cyl/gate-north/events", b'{"id": 2}', qos=0),
    publish("zhian/小区/东门/事件", "门被强行打开".encode(), qos=1, mid=2),  # multibyte UTF-8
    publish(
        "zhian/cyl/lift-3/events",
        b"{}",
        qos=1,
        mid=3,
        props=properties(user=(("site", "cyl"), ("k", "v")), MessageExpiryInterval=60),
    ),
    publish("zhian/cyl/lift-3/events", b"", qos=0, props=properties(ContentType="application/json")),
    publish("zhian/cyl/lift-3/events", b"again", qos=1, mid=4, dup=True, retain=True),
]


def test_several_publish_packets_in_one_read_are_the_messages_paho_makes() -> None:
    fast, paho = same_as_paho([b"".join(MIXED)])
    assert len(fast.messages) == len(MIXED)
    assert fast.paho_publishes == 0 and paho.paho_publishes == len(MIXED)
    assert fast.messages[2].topic == "zhian/小区/东门/事件"
    assert fast.messages[3].properties.UserProperty == [("site", "cyl"), ("k", "v")]
    assert fast.messages[3].properties.MessageExpiryInterval == 60
    assert fast.messages[0].properties.isEmpty()
    assert fast.messages[5].dup and fast.messages[5].retain


def test_before_mqtt_5_there_are_no_properties() -> None:
    stream = [publish("a/b", b"x", qos=1, mid=9, props=None), publish("a/é", b"y", qos=0, props=None)]
    fast, _ = same_as_paho([b"".join(stream)], protocol=V311)
    assert fast.paho_publishes == 0 and [m.properties for m in fast.messages] == [None, None]


def test_without_manual_acks_each_qos1_message_is_acked_as_paho_does() -> None:
    fast, _ = same_as_paho([b"".join(MIXED)], manual_ack=False)
    assert fast.paho_publishes == 0
    assert fast.written == b"".join(packet(0x40, mid.to_bytes(2, "big")) for mid in (1, 2, 3, 4))


def test_a_packet_split_across_two_reads_is_finished_by_paho() -> None:
    whole = b"".join(MIXED)
    cut = len(MIXED[0]) + len(MIXED[1]) + 5  # inside the third packet
    fast, _ = same_as_paho([whole[:cut], whole[cut:]])
    # the two before the cut from the buffer, the cut one by paho, the rest from the next read
    assert fast.paho_publishes == 1


@pytest.mark.parametrize("size", [200, 20_000, 100_000])  # 2 and 3 remaining-length bytes
def test_a_multi_byte_remaining_length(size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"!" * (size % 256)
    stream = [publish("t/big", body, mid=1), publish("t/small", b"s", mid=2)]
    fast, _ = same_as_paho([b"".join(stream)])
    assert [m.payload for m in fast.messages] == [body, b"s"]
    # a packet longer than one large read goes on beyond the buffer: paho reads that one
    assert fast.paho_publishes == (1 if size > 65_000 else 0)


def test_a_packet_of_another_kind_among_them_goes_to_paho() -> None:
    stream = MIXED[:2] + [PINGRESP] + MIXED[2:]
    fast, _ = same_as_paho([b"".join(stream)])
    assert fast.paho_publishes == 0 and len(fast.messages) == len(MIXED)


@pytest.mark.parametrize("manual_ack", [True, False])
def test_qos2_goes_to_paho(manual_ack: bool) -> None:
    stream = [MIXED[0], publish("t/q2", b"two", qos=2, mid=7), MIXED[2], pubrel(7)]
    fast, _ = same_as_paho([b"".join(stream)], manual_ack=manual_ack)
    assert fast.paho_publishes == 1
    assert [m.mid for m in fast.messages] == [1, 2, 7]  # the QoS-2 one on its PUBREL
    pubrec, pubcomp = b"\x50\x02\x00\x07", b"\x70\x02\x00\x07"
    assert fast.written.startswith(pubrec if manual_ack else packet(0x40, b"\x00\x01") + pubrec)
    assert (pubcomp in fast.written) is not manual_ack  # with manual acks, paho leaves it to ack()


@pytest.mark.parametrize(
    ("bad", "protocol"),
    [
        (b"\x32\xff\xff\xff\xff\x01" + b"\x00" * 8, V5),  # a fifth remaining-length byte
        (publish("", b"x", props=None), V311),  # an empty topic before MQTT 5
        (packet(0x32, b"\x00\x09ab"), V5),  # a topic longer than the packet
        (packet(0x32, utf8("t") + b"\x00\x01" + b"\x05\x02\x00"), V5),  # properties cut short
    ],
)
def test_a_malformed_publish_goes_to_paho(bad: bytes, protocol: int) -> None:
    good = publish("a", b"1", props=None if protocol == V311 else b"\x00")
    fast, paho = same_as_paho([good + bad], protocol=protocol)
    assert len(fast.messages) == 1 and fast.errors  # paho returns an error or raises
    assert fast.paho_publishes == paho.paho_publishes - 1  # all but the good one


def test_parse_publish_leaves_incomplete_and_other_packets() -> None:
    whole = MIXED[3]
    assert parse_publish(whole, 0, True) is not None
    for cut in range(len(whole)):
        assert parse_publish(whole[:cut], 0, True) is None
    assert parse_publish(PINGRESP, 0, True) is None
    assert parse_publish(publish("t", b"", qos=2), 0, True) is None
    assert parse_publish(bytes((0x36, 3)) + utf8("t"), 0, True) is None  # QoS 3
    message, end = parse_publish(b"junk" + whole + b"more", 4, True)  # type: ignore[misc]
    assert end == 4 + len(whole) and message.payload == b"{}"


def test_with_a_logger_paho_logs_every_publish_as_before(caplog: pytest.LogCaptureFixture) -> None:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    client = PahoClient(mqtt.CallbackAPIVersion.VERSION2, protocol=V5, manual_ack=True)
    client.enable_logger(logging.getLogger("paho-under-test"))
    got: list[int] = []
    client.on_message = lambda _c, _u, msg: got.append(msg.mid)
    client._sock = BufferedSocket(ours)
    try:
        theirs.sendall(b"".join(MIXED))
        with caplog.at_level(logging.DEBUG, logger="paho-under-test"):
            client.loop_read()
    finally:
        ours.close()
        theirs.close()
    assert got == [1, 0, 2, 3, 0, 4]
    assert sum("Received PUBLISH" in r.getMessage() for r in caplog.records) == len(MIXED)


def test_the_time_of_the_last_packet_in_is_kept() -> None:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    client = PahoClient(mqtt.CallbackAPIVersion.VERSION2, protocol=V5, manual_ack=True)
    client._sock = BufferedSocket(ours)
    client._last_msg_in = 0.0
    try:
        theirs.sendall(b"".join(MIXED))
        before = time.monotonic()
        client.loop_read()
    finally:
        ours.close()
        theirs.close()
    assert client._last_msg_in >= before  # keepalive counts the broker's traffic


# ---- a real Mosquitto ------------------------------------------------------------------------

TOPICS = ["zhian/cyl/gate-north/events", "zhian/cyl/lift-3/events", "zhian/小区/东门/events"]


def queue_backlog(port: int, count: int) -> None:
    """`count` QoS-1 messages over TOPICS in turn (`{"id": n}` counting per topic), every
    third with a user property, all acknowledged by the broker."""
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="fast-read-pub", protocol=V5)
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    tagged = Properties(PacketTypes.PUBLISH)
    tagged.UserProperty = ("site", "cyl")
    infos = []
    for i in range(count):
        body = orjson.dumps({"id": i // len(TOPICS), "pad": "p" * (i % 200)})
        infos.append(pub.publish(TOPICS[i % len(TOPICS)], body, qos=1, properties=tagged if i % 3 == 0 else None))
    for info in infos[-1000:]:
        info.wait_for_publish(60)
    pub.loop_stop()
    pub.disconnect()


def in_order_per_topic(topics_ids: list[tuple[str, int]], count: int) -> None:
    """Every message once, in order within its topic."""
    per_topic: dict[str, list[int]] = {topic: [] for topic in TOPICS}
    for topic, msg_id in topics_ids:
        per_topic[topic].append(msg_id)
    for n, topic in enumerate(TOPICS):
        assert per_topic[topic] == list(range(len(range(n, count, len(TOPICS))))), topic


def count_paho_publishes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the PUBLISH packets paho's own `_handle_publish` handles from now on."""
    calls = [0]
    handle_publish = mqtt.Client._handle_publish

    def counted(client: mqtt.Client) -> mqtt.MQTTErrorCode:
        calls[0] += 1
        return handle_publish(client)

    monkeypatch.setattr(mqtt.Client, "_handle_publish", counted)
    return calls


@pytest.mark.mqtt
@pytest.mark.slow
def test_a_backlog_drains_through_the_fast_path_once_in_order_and_stays_acked(
    broker: LocalBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = BrokerConfig(port=broker.port, client_id="paho-fast-read")
    subscriptions = ["zhian/+/+/events"]
    first = MqttClient(config, subscriptions)  # the persistent session, then away
    first.start()
    assert first.connected.wait(10)
    time.sleep(0.3)  # the SUBACK
    first.stop()
    count = 24_000
    queue_backlog(broker.port, count)

    paho_publishes = count_paho_publishes(monkeypatch)
    client = MqttClient(config, subscriptions)
    client.start()
    try:
        assert client.connected.wait(10)
        got = drain(client, count, 120)
        time.sleep(0.5)  # the last PUBACKs go out
    finally:
        client.stop()
    assert len(got) == count
    in_order_per_topic([(m.topic, orjson.loads(m.payload)["id"]) for m in got], count)
    # paho reads only the packets a large read cut in two
    assert paho_publishes[0] < count // 10

    assert_nothing_redelivered(config, subscriptions)


def paho_session(port: int, on_message: Callable[..., None]) -> PahoClient:
    """A `PahoClient` with automatic acks (PUBACKs sent by the fast path through paho) on a
    persistent session, connected, subscribed and looping."""
    client = PahoClient(mqtt.CallbackAPIVersion.VERSION2, client_id="paho-fast-autoack", protocol=V5)
    client.on_message = on_message
    subscribed: list[int] = []
    client.on_subscribe = lambda *_args: subscribed.append(1)
    connect = Properties(PacketTypes.CONNECT)
    connect.SessionExpiryInterval = 3600
    connect.ReceiveMaximum = 10_000
    client.connect("127.0.0.1", port, clean_start=False, properties=connect)
    client.subscribe("zhian/+/+/events", qos=1)
    client.loop_start()
    deadline = time.monotonic() + 10
    while not subscribed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert subscribed, "no SUBACK"
    return client


@pytest.mark.mqtt
@pytest.mark.slow
def test_with_automatic_acks_the_fast_path_acks_each_message(broker: LocalBroker) -> None:
    got: list[tuple[str, int]] = []
    first = paho_session(broker.port, lambda _c, _u, msg: None)
    first.disconnect()
    first.loop_stop()
    count = 20_000
    queue_backlog(broker.port, count)

    client = paho_session(broker.port, lambda _c, _u, msg: got.append((msg.topic, orjson.loads(msg.payload)["id"])))
    try:
        deadline = time.monotonic() + 120
        while len(got) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the last PUBACKs go out
    finally:
        client.disconnect()
        client.loop_stop()
    assert len(got) == count
    in_order_per_topic(got, count)

    redelivered: list[object] = []
    again = paho_session(broker.port, lambda _c, _u, msg: redelivered.append(msg))
    try:
        time.sleep(1.5)
    finally:
        again.disconnect()
        again.loop_stop()
    assert redelivered == []
