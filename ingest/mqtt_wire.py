"""MQTT wire decoding shared by both clients (`ingest/mqtt_native.py`, and the fast read path
of `ingest/mqtt_paho.py`): pure functions on bytes, with no client state and no imports of them."""

from __future__ import annotations


class ProtocolError(Exception):
    """The broker sent something this client does not accept."""


def read_varint(buf: bytes | bytearray, i: int) -> tuple[int, int] | None:
    """(value, next index) of a variable byte integer at `i`, or None when incomplete."""
    value = shift = 0
    end = len(buf)
    while i < end:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7
        if shift > 21:
            raise ProtocolError("malformed remaining length")
    return None
