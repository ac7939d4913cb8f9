"""paho on a buffered socket with batched PUBACKs and shared property tables
(`ingest/mqtt_paho.py`): the private paho 2.1.0 hooks it relies on, the socket wrapper's read
semantics, properties that behave as paho's own, and a real backlog drained and acknowledged
through it."""

from __future__ import annotations

import inspect
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import orjson
import paho.mqtt
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import MQTTException, Properties

from ingest.mqtt import BrokerConfig, Inbound, MqttClient
from ingest.mqtt_native import packet, pubacks, utf8
from ingest.mqtt_paho import READ_SIZE, BufferedSocket, PahoClient, SharedTableProperties
from zhian.broker import LocalBroker


def publish_v5(topic: str, payload: bytes, mid: int, props: bytes = b"\x00") -> bytes:
    """A QoS-1 PUBLISH as a broker sends it (`props`: length and properties; none by default)."""
    return packet(0x32, utf8(topic) + mid.to_bytes(2, "big") + props + payload)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(ours, non-blocking; the broker's end)."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    try:
        yield ours, theirs
    finally:
        ours.close()
        theirs.close()


# ---- the hooks of paho 2.1.0 (pinned in pyproject.toml) -----------------------------------


def test_the_private_paho_hooks_are_still_there() -> None:
    # an upgrade of paho must fail here, not silently fall back to unbuffered reads or break acks
    assert paho.mqtt.__version__ == "2.1.0", "ingest/mqtt_paho.py relies on paho 2.1.0 internals: recheck them"
    assert "_create_socket" in vars(mqtt.Client)
    assert list(inspect.signature(mqtt.Client._packet_queue).parameters) == [
        "self",
        "command",
        "packet",
        "mid",
        "qos",
        "info",
    ]
    loop = inspect.getsource(mqtt.Client._loop)
    assert "self._sock.pending()" in loop and "self.loop_read()" in loop
    read = inspect.getsource(mqtt.Client._packet_read)
    assert "self._sock_recv(1)" in read
    assert "self._out_packet.clear()" in inspect.getsource(mqtt.Client.reconnect)
    # paho makes each PUBLISH's properties through its client module's name for the class
    assert "Properties(PUBLISH >> 4)" in inspect.getsource(mqtt.Client._handle_publish)
    # on_message runs only inside loop_read, so on_read_done follows every message
    whole = inspect.getsource(mqtt.Client)
    assert whole.count("self._packet_read()") == 1
    assert "self._packet_read()" in inspect.getsource(mqtt.Client.loop_read)
    PahoClient(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    assert mqtt.Properties is SharedTableProperties


def test_the_paho_names_the_fast_read_path_mirrors_are_still_there() -> None:
    # PahoClient._packet_read does for QoS 0 and 1 PUBLISH packets what these parts of paho do
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True)
    assert client._in_packet["command"] == 0 and client._in_packet["remaining_count"] == []
    assert client._on_log is None and client._logger is None
    assert client._protocol == mqtt.MQTTv5 and client._manual_ack is True
    assert isinstance(client._last_msg_in, float) and client._msgtime_mutex.acquire(blocking=False)
    client._msgtime_mutex.release()
    assert mqtt.time_func is time.monotonic
    assert list(inspect.signature(mqtt.Client._handle_on_message).parameters) == ["self", "message"]
    assert list(inspect.signature(mqtt.Client._send_puback).parameters) == ["self", "mid"]
    read = inspect.getsource(mqtt.Client._packet_read)
    assert "self._in_packet['command'] == 0" in read and "self._in_packet['remaining_count'].append" in read
    assert read.rstrip().endswith("self._last_msg_in = time_func()\n        return rc")
    handle = inspect.getsource(mqtt.Client._handle_publish)
    for step in (
        "message.timestamp = time_func()",
        "self._handle_on_message(message)",
        "if self._manual_ack:",
        "return self._send_puback(message.mid)",
        "Properties(PUBLISH >> 4)",
        "message.properties.unpack",
    ):
        assert step in handle, step
    # paho logs only through these two: without them the fast path leaves nothing out
    log = inspect.getsource(mqtt.Client._easy_log)
    assert "if self.on_log is not None:" in log and "if self._logger is not None:" in log
    assert set(mqtt.MQTTMessage.__slots__) == {
        "timestamp",
        "state",
        "dup",
        "mid",
        "_topic",
        "payload",
        "qos",
        "retain",
        "info",
        "properties",
    }


# ---- BufferedSocket ------------------------------------------------------------------------


def test_small_reads_are_served_from_one_large_read(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    first, second = publish_v5("a/b", b"x" * 300, 1), publish_v5("a/c", b"{}", 2)
    theirs.sendall(first + second)
    time.sleep(0.05)
    buffered = BufferedSocket(ours)
    # paho's way: the command byte, each remaining-length byte, then the rest
    got = buffered.recv(1) + buffered.recv(1) + buffered.recv(1) + buffered.recv(len(first) - 3)
    assert got == first
    assert buffered.reads == 1
    assert buffered.pending() == len(second)
    assert buffered.recv(READ_SIZE) == second  # a short read: only what the buffer holds
    assert buffered.pending() == 0 and buffered.reads == 1


def test_a_packet_split_across_reads(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    whole = publish_v5("a/b", b"y" * 1000, 7)
    buffered = BufferedSocket(ours)
    theirs.sendall(whole[:600])
    time.sleep(0.05)
    assert buffered.recv(1) == whole[:1]
    assert buffered.recv(len(whole)) == whole[1:600]
    with pytest.raises(BlockingIOError):
        buffered.recv(len(whole) - 600)
    theirs.sendall(whole[600:])
    time.sleep(0.05)
    assert buffered.recv(len(whole) - 600) == whole[600:]
    assert buffered.reads == 2


def test_nothing_to_read_raises_blocking_io_error(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, _ = pair
    buffered = BufferedSocket(ours)
    with pytest.raises(BlockingIOError):
        buffered.recv(1)
    assert buffered.pending() == 0


def test_end_of_stream_after_the_buffer_is_empty(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    theirs.sendall(b"\x40\x02\x00\x01")
    theirs.close()
    time.sleep(0.05)
    buffered = BufferedSocket(ours)
    assert buffered.recv(4) == b"\x40\x02\x00\x01"  # what came before the close is served first
    assert buffered.recv(1) == b""  # then b"", which paho turns into "connection lost"
    assert buffered.recv(1) == b""


def test_everything_else_is_the_real_sockets(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    buffered = BufferedSocket(ours)
    assert buffered.fileno() == ours.fileno()
    assert buffered.getsockname() == ours.getsockname()
    assert buffered.send(b"ping") == 4
    assert theirs.recv(4) == b"ping"
    buffered.close()
    assert ours.fileno() == -1


def test_only_plain_tcp_sockets_are_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    # a TLS socket is a socket.socket subclass that buffers and reports pending() itself
    client = PahoClient(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    with (
        socket.socket() as plain,
        ssl.create_default_context().wrap_socket(
            socket.socket(), server_hostname="broker", do_handshake_on_connect=False
        ) as tls,
    ):
        monkeypatch.setattr(mqtt.Client, "_create_socket", lambda _self: plain)
        wrapped = client._create_socket()
        assert isinstance(wrapped, BufferedSocket) and wrapped.sock is plain
        monkeypatch.setattr(mqtt.Client, "_create_socket", lambda _self: tls)
        assert client._create_socket() is tls


# ---- SharedTableProperties -------------------------------------------------------------------


def some_properties(cls: type[Properties]) -> Properties:
    """A few PUBLISH properties, one of them given twice, made with `cls`."""
    props = cls(PacketTypes.PUBLISH)
    props.MessageExpiryInterval = 60
    props.ContentType = "application/json"
    props.UserProperty = ("site", "cyl")
    props.UserProperty = ("k", "v")  # several are allowed: they add up
    return props


def test_shared_table_properties_pack_and_unpack_as_pahos_own() -> None:
    ours, theirs = some_properties(SharedTableProperties), some_properties(Properties)
    assert ours.pack() == theirs.pack()
    assert ours.json() == theirs.json()
    assert str(ours) == str(theirs)
    again, _ = SharedTableProperties(PacketTypes.PUBLISH).unpack(theirs.pack())
    assert again.json() == theirs.json()
    assert SharedTableProperties(PacketTypes.PUBLISH).isEmpty()


def test_shared_table_properties_keep_pahos_checks_and_clear() -> None:
    props = some_properties(SharedTableProperties)
    with pytest.raises(MQTTException):
        props.SessionExpiryInterval = 10  # not a PUBLISH property
    with pytest.raises(MQTTException):
        props.NoSuchProperty = 1
    props.clear()
    assert props.isEmpty() and props.pack() == b"\x00"
    # the shared tables are not changed by use
    assert SharedTableProperties(PacketTypes.CONNECT).names == Properties(PacketTypes.CONNECT).names


# ---- PahoClient on a socket pair -----------------------------------------------------------


def _client_on(ours: socket.socket) -> tuple[PahoClient, list[int]]:
    """A manual-ack MQTT 5 client reading `ours` through a `BufferedSocket` (as `_create_socket`
    would after connecting), and the list the packet ids of the messages it handles go to."""
    client = PahoClient(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True)
    received: list[int] = []
    client.on_message = lambda _c, _u, msg: received.append(msg.mid)
    client._sock = BufferedSocket(ours)
    return client, received


def test_one_loop_read_handles_every_packet_of_a_read_and_acks_go_out_in_one_write(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    client, received = _client_on(ours)
    theirs.sendall(b"".join(publish_v5("zhian/cyl/d/events", b"{}", mid) for mid in range(1, 51)))
    time.sleep(0.05)
    assert client.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
    assert received == list(range(1, 51))
    # a PUBLISH with properties: paho parses them into the shared-table class
    seen: list[Properties] = []
    client.on_message = lambda _c, _u, msg: seen.append(msg.properties)
    theirs.sendall(publish_v5("t", b"{}", 51, some_properties(Properties).pack()))
    time.sleep(0.05)
    client.loop_read()
    assert isinstance(seen[0], SharedTableProperties)
    assert seen[0].json() == some_properties(Properties).json()
    client.ack_qos1(received)
    client.ack_qos1([])  # nothing is queued for an empty batch
    # without a network thread paho writes a queued packet at once
    assert theirs.recv(4096) == pubacks(range(1, 51))
    assert not client._out_packet


def test_loop_read_returns_at_the_end_of_one_read(pair: tuple[socket.socket, socket.socket]) -> None:
    # paho's loop must get its turn (PUBACKs, keepalive) even while the broker keeps sending:
    # a packet that needs a second read is finished, then loop_read returns
    ours, theirs = pair
    client, received = _client_on(ours)
    big = [publish_v5("t", b"z" * 1000, mid) for mid in range(1, 201)]  # about three reads' worth
    sender = threading.Thread(target=theirs.sendall, args=(b"".join(big),))
    sender.start()
    time.sleep(0.2)
    client.loop_read()
    first = len(received)
    assert 0 < first < len(big)
    while len(received) < len(big):
        client.loop_read()
    sender.join(5)
    assert received == list(range(1, 201))


def test_end_of_stream_is_a_lost_connection_to_paho(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    client, received = _client_on(ours)
    theirs.sendall(publish_v5("t", b"{}", 1) + publish_v5("t", b"{}", 2))
    theirs.close()
    time.sleep(0.05)
    assert client.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
    assert received == [1, 2]  # what arrived before the close is handled first
    assert client.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_CONN_LOST
    assert client._sock is None


def test_a_disconnect_from_the_broker_ends_the_read_at_once(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    client, received = _client_on(ours)
    # the broker's DISCONNECT (reason: normal) with bytes after it in the same read
    theirs.sendall(publish_v5("t", b"{}", 1) + b"\xe0\x00" + publish_v5("t", b"{}", 2))
    time.sleep(0.05)
    client.loop_read()
    assert received == [1]
    assert client._sock is None and ours.fileno() == -1


def test_the_messages_of_one_read_reach_the_inbox_at_once(
    pair: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs = pair
    client = MqttClient(BrokerConfig(), ["zhian/cyl/+/events"])
    handed: list[int] = []
    put_many = client.inbox.put_many
    monkeypatch.setattr(client.inbox, "put_many", lambda items: (handed.append(len(items)), put_many(items)))
    client.client._sock = BufferedSocket(ours)
    theirs.sendall(b"".join(publish_v5("zhian/cyl/d/events", b"{}", mid) for mid in range(1, 31)))
    time.sleep(0.05)
    client.client.loop_read()
    assert handed == [30]
    assert [m.mid for m in client.inbox.get_many(100, 0)] == list(range(1, 31))
    # also when the read ends with the connection
    theirs.sendall(publish_v5("zhian/cyl/d/events", b"{}", 31))
    theirs.close()
    time.sleep(0.05)
    client.client.loop_read()
    assert client.client.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_CONN_LOST
    assert [m.mid for m in client.inbox.get_many(100, 0)] == [31]


# ---- a real Mosquitto ------------------------------------------------------------------------


def assert_nothing_redelivered(config: BrokerConfig, subscriptions: list[str]) -> None:
    """Back on the same persistent session, the broker sends nothing again (all was acked)."""
    again = MqttClient(config, subscriptions)
    again.start()
    try:
        assert again.connected.wait(10)
        redelivered = drain(again, 1, 2.0)
    finally:
        again.stop()
    assert redelivered == []


def drain(client: MqttClient, count: int, timeout_s: float) -> list[Inbound]:
    """Take and acknowledge messages until `count` arrived or `timeout_s` passed."""
    got: list[Inbound] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count and time.monotonic() < deadline:
        batch = client.inbox.get_many(1000, 0.2)
        got.extend(batch)
        client.ack(batch)
    return got


@pytest.mark.mqtt
def test_a_backlog_drains_through_the_buffered_client_and_stays_acked(broker: LocalBroker) -> None:
    config = BrokerConfig(port=broker.port, client_id="paho-buffered")
    topic = "zhian/cyl/gate-north/events"
    first = MqttClient(config, [topic])  # the persistent session, then away
    first.start()
    assert first.connected.wait(10)
    time.sleep(0.3)  # the SUBACK
    first.stop()

    count = 20_000
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="backlog-pub", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    infos = [pub.publish(topic, orjson.dumps({"id": i, "pad": "p" * (i % 300)}), qos=1) for i in range(count)]
    for info in infos[-1000:]:
        info.wait_for_publish(60)
    pub.loop_stop()
    pub.disconnect()

    client = MqttClient(config, [topic])
    client.start()
    try:
        assert client.connected.wait(10)
        assert isinstance(client.client._sock, BufferedSocket)
        got = drain(client, count, 120)
        time.sleep(0.5)  # the last PUBACKs go out
    finally:
        client.stop()
    ids = [orjson.loads(m.payload)["id"] for m in got]
    assert ids == list(range(count)), "every message, once, in order"
    assert all(m.qos == 1 for m in got)

    # back with the same session: everything was acknowledged, so nothing comes again
    assert_nothing_redelivered(config, [topic])
