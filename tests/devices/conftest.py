"""A real Mosquitto that enforces the files `zhian devices provision` generates."""

from __future__ import annotations

import contextlib
import getpass
import queue
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from ingest.registry import Registry, parse_registry
from zhian.broker import LocalBroker, free_port
from zhian.process import stop_process
from zhian.provision import Provisioned, provision

REGISTRY = """
version: 1
community: {id: cyl, name: 昌运里, timezone: Asia/Shanghai}
devices:
  - {id: gate-north, type: door, zone: gate}
  - {id: gate-south, type: door, zone: gate}
  - {id: elev-3-1, type: elevator, zone: elevator}
  - {id: frigate-nvr, type: camera, zone: other, vendor: frigate}
"""

CONFIG = """per_listener_settings false
user {user}
listener {port} 127.0.0.1
allow_anonymous false
password_file {dir}/passwd
acl_file {dir}/acl
persistence false
log_dest file {dir}/mosquitto.log
log_type error
log_type warning
log_type notice
"""


@dataclass
class AuthBroker:
    """A running Mosquitto with provisioned credentials."""

    port: int
    registry: Registry
    creds: Provisioned

    def password(self, user: str) -> str:
        """The provisioned password of a user."""
        return self.creds.users[user]


@contextlib.contextmanager
def running_broker(root: Path, registry: Registry) -> Iterator[tuple[AuthBroker, subprocess.Popen[bytes]]]:
    """Provision `registry` into `root` and run Mosquitto on those files until the block ends."""
    if not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()):
        pytest.fail("mosquitto is not installed: `apt-get install mosquitto` (scripts/test.sh does it)")
    creds = provision(registry, root)
    port = free_port()
    conf = root / "mosquitto.conf"
    conf.write_text(CONFIG.format(user=getpass.getuser(), port=port, dir=root), encoding="utf-8")
    proc = subprocess.Popen([LocalBroker.executable(), "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                log = (root / "mosquitto.log").read_text(errors="replace") if (root / "mosquitto.log").exists() else ""
                pytest.fail(f"mosquitto exited: {proc.stderr.read().decode() if proc.stderr else ''} {log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("mosquitto did not start")
                time.sleep(0.05)
        yield AuthBroker(port, registry, creds), proc
    finally:
        stop_process(proc, 10)


@pytest.fixture(scope="module")
def auth_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthBroker]:
    """Mosquitto with password_file, acl_file and allow_anonymous false; fails if missing."""
    with running_broker(tmp_path_factory.mktemp("authbroker"), parse_registry(REGISTRY)) as (broker, _):
        yield broker


class Client:
    """A small synchronous MQTT 5 client for the tests: connect, subscribe, publish, receive."""

    def __init__(self, port: int, user: str | None, password: str | None, client_id: str) -> None:
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._connack: queue.Queue[object] = queue.Queue()
        self._subacks: queue.Queue[list[object]] = queue.Queue()
        self._pubacks: queue.Queue[tuple[int, object]] = queue.Queue()
        c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                        protocol=mqtt.MQTTv5)
        if user is not None:
            c.username_pw_set(user, password)
        c.on_connect = lambda cl, ud, fl, rc, pr: self._connack.put(rc)
        c.on_message = lambda cl, ud, m: self.inbox.put((m.topic, m.payload))
        c.on_subscribe = lambda cl, ud, mid, rcs, pr: self._subacks.put(rcs)
        c.on_publish = lambda cl, ud, mid, rc, pr: self._pubacks.put((mid, rc))
        self.client = c
        c.connect("127.0.0.1", port, keepalive=10)
        c.loop_start()
        self.reason = self._connack.get(timeout=10)

    @property
    def refused(self) -> bool:
        """Whether the broker refused the connection."""
        return bool(getattr(self.reason, "is_failure", False))

    def subscribe(self, topic: str) -> object:
        """Subscribe at QoS 1 and return the broker's reason code."""
        self.client.subscribe(topic, qos=1)
        return self._subacks.get(timeout=10)[0]

    def publish(self, topic: str, payload: bytes) -> object:
        """Publish at QoS 1 and return the broker's PUBACK reason code."""
        self.client.publish(topic, payload, qos=1)
        return self._pubacks.get(timeout=10)[1]

    def receive(self, timeout_s: float = 10.0) -> tuple[str, bytes]:
        """The next message delivered to this client."""
        return self.inbox.get(timeout=timeout_s)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def connect(auth_broker: AuthBroker) -> Iterator[object]:
    """connect(user, password=None) -> Client; closes them all after the test."""
    made: list[Client] = []

    def _connect(user: str | None, password: str | None = None, client_id: str | None = None) -> Client:
        pw = password if password is not None else (auth_broker.password(user) if user else None)
        c = Client(auth_broker.port, user, pw, client_id or f"t-{user}-{len(made)}")
        made.append(c)
        return c

    yield _connect
    for c in made:
        c.close()
