"""paho-mqtt with a buffered socket, batched PUBACKs and property tables built once: paho
still speaks the protocol (connect, session, keepalive, reconnect, subscribe, publish), only
its reads, its properties and our acks cost less.

paho 2.1 reads a PUBLISH with three `recv` calls (command byte, each remaining-length byte,
the rest) after one `select`, and handles one packet per pass of its loop; each manual ack
is a packet of its own, a byte written to wake its loop and a `send`. Here:

- `BufferedSocket` serves those small reads from one large `recv` and reports what it holds
  through `pending()`, which paho's loop already asks of TLS sockets: it then reads on
  without waiting in `select`.
- `PahoClient.loop_read` goes on handling packets while the buffer of the current read
  holds more, then returns to paho's loop so that writes and keepalive get their turn.
- `PahoClient.ack_qos1` queues the PUBACKs of a whole batch as one write.
- `PahoClient.on_read_done` is called after each `loop_read`, so that the messages of one
  read can be handed over at once rather than one by one.
- `PahoClient._packet_read` handles the QoS 0 and 1 PUBLISH packets wholly in that buffer
  straight from its bytes (`parse_publish`), where paho would make three reads, fill a dict,
  unpack with formats built per packet and make a `Properties` even when there are none; any
  other packet, and any PUBLISH it has a doubt about, is left to paho's own `_packet_read`.
- `SharedTableProperties` stands in for paho's MQTT 5 `Properties`, of which paho makes one
  per received PUBLISH: paho's builds three name tables each time and walks them all to
  clear itself, about half of what a message costs paho after the changes above. The stand-in
  shares the tables (never changed after they are built) and behaves the same otherwise.
  paho looks the class up in its client module, so `share_property_tables` replaces it there
  for the whole process: every paho client gets the same behaviour, built faster.

The hooks (`_create_socket`, `_packet_queue`, the `pending()` check in `_loop`, the
`Properties` name in paho's client module, the names `PahoClient._packet_read` uses) are
private to paho 2.1.0, which pyproject.toml pins for this reason; tests/live/test_paho_buffered.py
fails loudly if an upgrade moves them.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.mqtt_wire import ProtocolError, read_varint

READ_SIZE = 64 * 1024
PUBACK = PacketTypes.PUBACK << 4
PUBLISH = PacketTypes.PUBLISH << 4


class BufferedSocket:
    """A plain TCP socket whose reads are served from one large `recv` at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = b""
        self._pos = 0
        self.reads = 0  # large reads so far: lets `PahoClient.loop_read` stop after one

    def recv(self, bufsize: int) -> bytes:
        """Up to `bufsize` bytes, from the buffer or, once it is empty, from one large read.

        Like a socket's recv: b"" at end of stream, BlockingIOError when a non-blocking socket
        has nothing, and fewer bytes than asked when the buffer ends first (paho reads on)."""
        pos = self._pos
        if pos >= len(self._buf):
            data = self.sock.recv(READ_SIZE)
            if not data:
                return data
            self.reads += 1
            self._buf, pos = data, 0
        end = pos + bufsize
        self._pos = end
        return self._buf[pos:end]

    def fill(self) -> bool:
        """Make the next large read if paho has taken all of the current one; False if there
        was nothing to read, the stream ended or the read failed. Then nothing changed, and
        paho's own recv meets the same (EAGAIN and end of stream stay; an error is reported
        once, after which the socket reads as ended)."""
        if self._pos < len(self._buf):
            return True
        try:
            data = self.sock.recv(READ_SIZE)
        except OSError:
            return False
        if not data:
            return False
        self.reads += 1
        self._buf, self._pos = data, 0
        return True

    def held(self) -> tuple[bytes, int]:
        """The current large read and the position of its first byte paho has not taken."""
        return self._buf, self._pos

    def take_to(self, pos: int) -> None:
        """Count the bytes up to `pos` of the current read as taken."""
        self._pos = pos

    def pending(self) -> int:
        """Bytes read from the socket that paho has not taken yet."""
        return max(0, len(self._buf) - self._pos)

    def send(self, data: bytes) -> int:
        """Write straight through (paho handles partial writes)."""
        return self.sock.send(data)

    def fileno(self) -> int:
        """The real socket's descriptor, for select()."""
        return self.sock.fileno()

    def setblocking(self, flag: bool) -> None:
        """Set on the real socket."""
        self.sock.setblocking(flag)

    def close(self) -> None:
        """Close the real socket and drop what is buffered."""
        self._buf, self._pos = b"", 0
        self.sock.close()

    def __getattr__(self, name: str) -> Any:
        # everything else paho or a socket callback may use (settimeout, shutdown,
        # getpeername, ...) is the real socket's
        return getattr(self.sock, name)


_TABLES = Properties(PacketTypes.PUBLISH)  # paho's tables, built once
_COMPRESSED_NAMES = tuple(name.replace(" ", "") for name in _TABLES.names)


class SharedTableProperties(Properties):
    """paho's MQTT 5 properties, on name tables built once instead of once per packet."""

    def __init__(self, packetType: int) -> None:
        # what Properties.__init__ sets, bypassing its __setattr__ as it does for these names;
        # a new object holds no property, so there is nothing to clear
        object.__setattr__(self, "packetType", packetType)
        object.__setattr__(self, "types", _TABLES.types)
        object.__setattr__(self, "names", _TABLES.names)
        object.__setattr__(self, "properties", _TABLES.properties)

    def clear(self) -> None:
        """Remove every property set (`unpack` starts with this)."""
        held = self.__dict__
        for name in _COMPRESSED_NAMES:
            if name in held:
                delattr(self, name)


def share_property_tables() -> None:
    """Make paho's client build `SharedTableProperties` (process-wide, idempotent)."""
    mqtt.Properties = SharedTableProperties  # type: ignore[misc]


def parse_publish(buf: bytes, pos: int, v5: bool) -> tuple[mqtt.MQTTMessage, int] | None:
    """The QoS 0 or 1 PUBLISH that starts at `buf[pos]` and ends in `buf`, as paho's
    `_handle_publish` makes it (timestamp aside), and the position after it.

    None for anything paho should read itself: another packet, QoS 2 (paho keeps those until
    the PUBREL) or 3, a packet that goes on beyond `buf`, and one paho rejects or fails on (a
    fifth remaining-length byte, fields longer than the packet, an empty topic before MQTT 5,
    properties it cannot parse)."""
    end_of_read = len(buf)
    if pos >= end_of_read:
        return None
    header = buf[pos]
    qos = (header >> 1) & 3
    if header & 0xF0 != PUBLISH or qos > 1:
        return None
    try:
        remaining = read_varint(buf, pos + 1)
    except ProtocolError:  # more than four bytes
        return None
    if remaining is None:
        return None
    length, i = remaining
    end = i + length
    if end > end_of_read or length < 2:
        return None
    topic_end = i + 2 + (buf[i] << 8 | buf[i + 1])
    body = topic_end + 2 if qos else topic_end
    if body > end or (topic_end == i + 2 and not v5):
        return None
    message = mqtt.MQTTMessage()
    message.dup = header & 0x08 != 0
    message.qos = qos
    message.retain = header & 0x01 != 0
    message.topic = buf[i + 2 : topic_end]
    if qos:
        message.mid = buf[topic_end] << 8 | buf[topic_end + 1]
    if v5:
        if body >= end:
            return None
        # what paho's client module names Properties (see share_property_tables)
        message.properties = mqtt.Properties(PacketTypes.PUBLISH)
        if buf[body] == 0:  # no properties: nothing to parse
            body += 1
        else:
            try:
                _, size = message.properties.unpack(buf[body:end])
            except Exception:  # malformed: paho fails on it in its own way
                return None
            body += size
    message.payload = buf[body:end]
    return message, end


class PahoClient(mqtt.Client):
    """paho's client on a `BufferedSocket` (plain TCP only), with batched PUBACKs and
    `SharedTableProperties`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        share_property_tables()
        super().__init__(*args, **kwargs)
        # called on the network thread after each loop_read, also when it ends in an error
        self.on_read_done: Callable[[], None] | None = None

    def _create_socket(self) -> Any:
        sock = super()._create_socket()
        # only a plain TCP socket: a TLS socket (a subclass of socket.socket) buffers and
        # reports pending() itself, and websockets come wrapped by paho; zhian uses neither
        if type(sock) is socket.socket:
            return BufferedSocket(sock)
        return sock

    def _packet_read(self) -> mqtt.MQTTErrorCode:
        """Handle the QoS 0 and 1 PUBLISH packets wholly in the buffer from its bytes, or else
        the next packet paho's way.

        This is paho's `_packet_read` and `_handle_publish` for those packets without their
        per-packet reads and formats: the same `MQTTMessage` (`parse_publish`) goes to paho's
        `_handle_on_message`, then what paho does after it: a PUBACK through `_send_puback`
        for QoS 1 without manual acks, the time of the last packet in, `_last_msg_in`. Taken
        only between packets (nothing in paho's `_in_packet`) and when paho would log nothing
        (no `on_log`, no logger), for paho logs every PUBLISH it receives. The bytes of a
        packet are taken before its callback runs, so a callback that raises does not see it
        again, where paho would hand it over once more on the next read."""
        sock = self._sock
        if (
            not isinstance(sock, BufferedSocket)
            or self._in_packet["command"] != 0
            or self._in_packet["remaining_count"]
            or self._on_log is not None
            or self._logger is not None
            or not sock.fill()
        ):
            return super()._packet_read()
        v5 = self._protocol == mqtt.MQTTv5
        held, take_to = sock.held, sock.take_to
        rc = mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
        handled = 0
        while rc == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS:
            buf, pos = held()
            parsed = parse_publish(buf, pos, v5)
            if parsed is None:
                break
            message, end = parsed
            take_to(end)
            message.timestamp = mqtt.time_func()
            self._handle_on_message(message)
            handled += 1
            if message.qos == 1 and not self._manual_ack:
                rc = self._send_puback(message.mid)
            if self._sock is not sock:  # a callback closed the connection or made a new one
                break
        if not handled:
            return super()._packet_read()
        with self._msgtime_mutex:
            self._last_msg_in = mqtt.time_func()
        return rc

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        """Handle packets while the current large read holds more, then give paho's loop its
        turn: a backlog then costs one select per read, not one per message, and PUBACKs and
        keepalive are still written at least once per read."""
        try:
            rc = super().loop_read(max_packets)
            sock = self._sock
            if not isinstance(sock, BufferedSocket):
                return rc
            reads = sock.reads
            # a lost or closed connection ends this too: paho closes the socket, which empties
            # the buffer, and returns an error
            while rc == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS and sock.pending() > 0 and sock.reads == reads:
                rc = super().loop_read(max_packets)
            return rc
        finally:
            if self.on_read_done is not None:
                self.on_read_done()

    def ack_qos1(self, mids: list[int]) -> None:
        """Queue the PUBACKs of several QoS-1 messages as one packet write and one wake-up of
        the loop, where `ack` queues, wakes and sends each on its own.

        Each is the 4-byte PUBACK paho's own `ack` writes (type, remaining length 2, packet
        id). Like paho's, they are dropped if the connection is lost before they are written
        (paho clears its queue on reconnect), and the broker then sends those messages again."""
        if not mids:
            return
        data = struct.pack(f"!{len(mids)}I", *[(PUBACK << 24) | (2 << 16) | mid for mid in mids])
        self._packet_queue(PUBACK, data, 0, 0)
