"""Short-lived MQTT clients for the installer tools: listen for a while, publish once."""

from __future__ import annotations

import os
import queue
import time
from typing import Any

import paho.mqtt.client as mqtt

from ingest.mqtt import BrokerConfig


class BrokerRefused(Exception):
    """The broker refused the login or the publish (reason in the message)."""


def _client(broker: BrokerConfig, role: str) -> tuple[mqtt.Client, queue.Queue[Any]]:
    # a client id of our own: never take over zhian's persistent session
    c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                    client_id=f"zhian-{role}-{os.getpid()}", protocol=mqtt.MQTTv5)
    if broker.username:
        c.username_pw_set(broker.username, broker.password)
    connack: queue.Queue[Any] = queue.Queue()
    c.on_connect = lambda cl, ud, fl, rc, pr: connack.put(rc)
    return c, connack


def _connect(c: mqtt.Client, connack: queue.Queue[Any], broker: BrokerConfig, timeout_s: float) -> None:
    try:
        c.connect(broker.host, broker.port, keepalive=30)
    except OSError as exc:
        raise BrokerRefused(f"cannot reach {broker.host}:{broker.port}: {exc}") from exc
    c.loop_start()
    try:
        reason = connack.get(timeout=timeout_s)
    except queue.Empty:
        c.loop_stop()
        raise BrokerRefused(f"no answer from {broker.host}:{broker.port} within {timeout_s:.0f} s") from None
    if reason.is_failure:
        c.loop_stop()
        raise BrokerRefused(f"login as {broker.username!r} refused: {reason}")


def listen(broker: BrokerConfig, topic: str, seconds: float) -> list[tuple[str, int]]:
    """(topic, received epoch ms) of every message on `topic` during `seconds`."""
    c, connack = _client(broker, "check")
    seen: list[tuple[str, int]] = []
    c.on_message = lambda cl, ud, m: seen.append((m.topic, int(time.time() * 1000)))
    _connect(c, connack, broker, 10.0)
    try:
        c.subscribe(topic, qos=0)
        time.sleep(seconds)
    finally:
        c.disconnect()
        c.loop_stop()
    return seen


def publish(broker: BrokerConfig, topic: str, payload: bytes, timeout_s: float = 10.0) -> None:
    """Publish once at QoS 1 and wait for the broker's acknowledgement."""
    c, connack = _client(broker, "test")
    acks: queue.Queue[Any] = queue.Queue()
    c.on_publish = lambda cl, ud, mid, rc, pr: acks.put(rc)
    _connect(c, connack, broker, timeout_s)
    try:
        c.publish(topic, payload, qos=1)
        try:
            reason = acks.get(timeout=timeout_s)
        except queue.Empty:
            raise BrokerRefused(f"no acknowledgement for {topic} within {timeout_s:.0f} s") from None
        if getattr(reason, "is_failure", False):
            raise BrokerRefused(f"publish to {topic} refused: {reason}")
    finally:
        c.disconnect()
        c.loop_stop()
