"""paho-mqtt with a buffered socket and batched PUBACKs: paho still speaks the protocol
(connect, session, keepalive, reconnect, subscribe, publish), only its reads and our acks
cost less.

paho 2.1 reads a PUBLISH with three `recv` calls (command byte, each remaining-length byte,
the rest) after one `select`, and handles one packet per pass of its loop; each manual ack
is a packet of its own, a byte written to wake its loop and a `send`. Here:

- `BufferedSocket` serves those small reads from one large `recv` and reports what it holds
  through `pending()`, which paho's loop already asks of TLS sockets: it then reads on
  without waiting in `select`.
- `PahoClient.loop_read` goes on handling packets while the buffer of the current read
  holds more, then returns to paho's loop so that writes and keepalive get their turn.
- `PahoClient.ack_qos1` queues the PUBACKs of a whole batch as one write.

The hooks are private to paho 2.1.0, which pyproject.toml pins for this reason;
tests/live/test_paho_buffered.py fails loudly if an upgrade moves them.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes

READ_SIZE = 64 * 1024
PUBACK = PacketTypes.PUBACK << 4


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


class PahoClient(mqtt.Client):
    """paho's client on a `BufferedSocket` (plain TCP only), with batched PUBACKs."""

    def _create_socket(self) -> Any:
        sock = super()._create_socket()
        # only a plain TCP socket: a TLS socket (a subclass of socket.socket) buffers and
        # reports pending() itself, and websockets come wrapped by paho; zhian uses neither
        if type(sock) is socket.socket:
            return BufferedSocket(sock)
        return sock

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        """Handle packets while the current large read holds more, then give paho's loop its
        turn: a backlog then costs one select per read, not one per message, and PUBACKs and
        keepalive are still written at least once per read."""
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
