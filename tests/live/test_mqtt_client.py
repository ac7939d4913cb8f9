"""The native MQTT 5 client (`--mqtt-client native`): packet framing fed in any slicing, acknowledgements in one write,
and outbound publishes held to the broker's receive maximum."""

from __future__ import annotations

import socket
import threading

import pytest

from ingest.mqtt import BrokerConfig, Inbound, Inbox
from ingest.mqtt_native import (
    NativeMqttClient,
    ProtocolError,
    connect_packet,
    packet,
    properties,
    pubacks,
    publish_packet,
    split_packets,
    varint,
)


def publish_v5(topic: str, payload: bytes, mid: int, props: bytes = b"") -> bytes:
    """A PUBLISH as a broker sends it, with optional properties."""
    body = len(topic).to_bytes(2, "big") + topic.encode() + mid.to_bytes(2, "big") + varint(len(props)) + props
    return packet(0x32, body + payload)


def test_varint_round_trips_through_the_framing() -> None:
    assert varint(0) == b"\x00" and varint(127) == b"\x7f" and varint(128) == b"\x80\x01"
    assert varint(16_383) == b"\xff\x7f" and varint(2_097_152) == b"\x80\x80\x80\x01"


def test_split_packets_whatever_the_read_boundaries() -> None:
    big = b"x" * 70_000  # a three-byte remaining length
    stream = (publish_v5("zhian/cyl/gate-north/events", b'{"v":1}', 7)
              + bytes((0x40, 2, 0, 9))  # a PUBACK of one of our publishes
              + publish_v5("zhian/cyl/gate-south/events", big, 65_535, props=b"\x01\x01")
              + bytes((0xD0, 0)))
    for step in (1, 3, 1000, len(stream)):
        buf = b""
        inbound: list[Inbound] = []
        other: list[tuple[int, bytes]] = []
        topics: dict[bytes, str] = {}
        for i in range(0, len(stream), step):
            buf += stream[i:i + step]
            buf = buf[split_packets(buf, 42, inbound, other, topics):]
        assert buf == b""
        assert topics == {b"zhian/cyl/gate-north/events": "zhian/cyl/gate-north/events",
                          b"zhian/cyl/gate-south/events": "zhian/cyl/gate-south/events"}
        assert all(type(m.payload) is bytes and type(m) is Inbound for m in inbound)
        assert [(m.topic, m.payload, m.mid, m.qos, m.received_ms) for m in inbound] == [
            ("zhian/cyl/gate-north/events", b'{"v":1}', 7, 1, 42), ("zhian/cyl/gate-south/events", big, 65_535, 1, 42)]
        assert other == [(0x40, b"\x00\x09"), (0xD0, b"")]


def test_malformed_remaining_length_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="remaining length"):
        split_packets(b"\x30\xff\xff\xff\xff\x01" + b"\0" * 10, 0, [], [])


def test_connect_and_connack_properties() -> None:
    raw = connect_packet(BrokerConfig(client_id="zhian-cyl", username="u", password="p", receive_maximum=5000))
    assert raw[0] == 0x10 and b"\x00\x04MQTT\x05" in raw
    assert raw[raw.index(b"MQTT") + 5] == 0xC0, "user name and password flags, clean start off"
    assert b"\x11" + (7 * 24 * 3600).to_bytes(4, "big") in raw and b"\x21" + (5000).to_bytes(2, "big") in raw
    props = properties(b"\x21\x00\x14" + b"\x13\x00\x3c" + b"\x1f\x00\x02ok" + b"\x26\x00\x01k\x00\x01v")
    assert props == {0x21: 20, 0x13: 60, 0x1F: b"ok"}
    with pytest.raises(ProtocolError):
        properties(b"\x7e")


def test_acks_go_out_in_one_write_for_qos1_only() -> None:
    assert pubacks([1, 258]) == b"\x40\x02\x00\x01\x40\x02\x01\x02"
    assert publish_packet("t", b"p", 5) == b"\x32\x07\x00\x01t\x00\x05\x00p"


def test_inbox_hands_over_batches() -> None:
    inbox = Inbox()
    assert inbox.get_many(10, 0.01) == []
    inbox.put_many([Inbound("t", bytes([i]), i, 1, 0) for i in range(5)])
    assert [m.mid for m in inbox.get_many(3, 0.01)] == [0, 1, 2]
    assert inbox.get_nowait().mid == 3, "still a queue for callers that take one at a time"
    assert [m.mid for m in inbox.get_many(10, 0.01)] == [4]


def test_publishes_wait_for_room_under_the_brokers_receive_maximum() -> None:
    acked: list[int] = []
    client = NativeMqttClient(BrokerConfig(), ["zhian/cyl/+/events"], acked.append)
    ours, broker = socket.socketpair()
    try:
        client._sock = ours
        client._send_quota = 2
        client.connected.set()
        mids = [client.publish("zhian/cyl/alerts", f"a{i}".encode()) for i in range(3)]
        assert mids == [1, 2, 3]
        broker.settimeout(2)
        wire = broker.recv(4096)
        assert wire == b"".join(publish_packet("zhian/cyl/alerts", f"a{i}".encode(), i + 1) for i in range(2))
        client._handle([(0x40, b"\x00\x01")])  # the broker acknowledged the first: the third goes out
        assert broker.recv(4096) == publish_packet("zhian/cyl/alerts", b"a2", 3)
        assert acked == [1]
        client.ack([Inbound("t", b"", 300, 1, 0), Inbound("t", b"", 0, 0, 0), Inbound("t", b"", 301, 1, 0)])
        assert broker.recv(4096) == pubacks([300, 301])
    finally:
        ours.close()
        broker.close()


def test_connect_failure_retries_with_backoff_until_stopped(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = NativeMqttClient(BrokerConfig(port=port), ["x"])
    seen = threading.Event()
    client.start()
    try:
        for _ in range(50):
            if "cannot connect to 127.0.0.1" in caplog.text:
                seen.set()
                break
            threading.Event().wait(0.05)
    finally:
        client.stop()
    assert seen.is_set() and not client.connected.is_set()
