"""The files from `zhian devices provision`, enforced by a real Mosquitto."""

from __future__ import annotations

import queue
import signal
import time

import pytest

from ingest.registry import parse_registry
from tests.devices.conftest import REGISTRY, Client, running_broker
from zhian.provision import provision

pytestmark = pytest.mark.mqtt


def drain(client, timeout_s: float = 0.3) -> list[tuple[str, bytes]]:
    """Whatever else arrives within a short while."""
    out = []
    while True:
        try:
            out.append(client.receive(timeout_s=timeout_s))
        except queue.Empty:
            return out


EVENT = b'{"v":1,"id":"t-1","ts":1793575865000,"device":"gate-north","type":"device.heartbeat"}'


def test_a_device_publishes_its_own_events_and_zhian_reads_them(connect) -> None:
    zhian = connect("zhian")
    assert not zhian.refused
    zhian.subscribe("zhian/cyl/+/events")
    gate = connect("gate-north")
    gate.publish("zhian/cyl/gate-north/events", EVENT)
    assert zhian.receive() == ("zhian/cyl/gate-north/events", EVENT)


def test_a_device_cannot_publish_as_another_device(connect) -> None:
    zhian = connect("zhian")
    zhian.subscribe("zhian/cyl/+/events")
    gate = connect("gate-north")
    gate.publish("zhian/cyl/gate-south/events", b"forged")      # the broker drops it
    gate.publish("zhian/cyl/alerts", b"forged alert")           # not a device's topic either
    gate.publish("zhian/cyl/gate-north/events", EVENT)          # barrier: same connection, in order
    assert zhian.receive() == ("zhian/cyl/gate-north/events", EVENT)
    with pytest.raises(queue.Empty):
        zhian.receive(timeout_s=0.3)


def test_a_device_cannot_read_another_devices_commands(connect) -> None:
    north, south = connect("gate-north"), connect("gate-south")
    south.subscribe("zhian/cyl/gate-south/command")
    north.subscribe("zhian/cyl/gate-south/command")   # may be granted; nothing must arrive
    north.subscribe("zhian/cyl/+/command")
    north.subscribe("zhian/cyl/gate-north/command")
    zhian = connect("zhian")
    zhian.publish("zhian/cyl/gate-south/command", b'{"action":"unlock"}')
    zhian.publish("zhian/cyl/gate-north/command", b'{"action":"barrier"}')
    assert south.receive() == ("zhian/cyl/gate-south/command", b'{"action":"unlock"}')
    assert north.receive() == ("zhian/cyl/gate-north/command", b'{"action":"barrier"}')
    # overlapping subscriptions may deliver the barrier twice; gate-south's command never
    assert all(topic == "zhian/cyl/gate-north/command" for topic, _ in drain(north))


def test_a_device_cannot_read_events_or_alerts(connect) -> None:
    snoop = connect("gate-south")
    snoop.subscribe("zhian/cyl/#")
    snoop.subscribe("zhian/cyl/gate-south/command")
    gate, zhian = connect("gate-north"), connect("zhian")
    gate.publish("zhian/cyl/gate-north/events", EVENT)
    zhian.publish("zhian/cyl/alerts", b'{"alert":"a-1"}')
    zhian.publish("zhian/cyl/gate-south/command", b"barrier")
    assert snoop.receive() == ("zhian/cyl/gate-south/command", b"barrier")
    assert all(topic == "zhian/cyl/gate-south/command" for topic, _ in drain(snoop))


def test_the_desk_reads_alerts_only(connect) -> None:
    desk = connect("desk")
    desk.subscribe("zhian/cyl/#")
    zhian, gate = connect("zhian"), connect("gate-north")
    gate.publish("zhian/cyl/gate-north/events", EVENT)
    zhian.publish("zhian/cyl/gate-north/command", b"x")
    zhian.publish("zhian/cyl/alerts", b'{"alert":"a-2"}')
    assert desk.receive() == ("zhian/cyl/alerts", b'{"alert":"a-2"}')
    with pytest.raises(queue.Empty):
        desk.receive(timeout_s=0.3)


def test_zhian_cannot_forge_device_events(connect) -> None:
    zhian = connect("zhian")
    zhian.subscribe("zhian/cyl/+/events")
    zhian.publish("zhian/cyl/gate-north/events", b"forged by zhian")
    gate = connect("gate-north")
    gate.publish("zhian/cyl/gate-north/events", EVENT)
    assert zhian.receive() == ("zhian/cyl/gate-north/events", EVENT)
    with pytest.raises(queue.Empty):
        zhian.receive(timeout_s=0.3)


def test_frigate_publishes_under_its_prefix_only(connect) -> None:
    zhian = connect("zhian")
    zhian.subscribe("zhian/cyl/+/events")
    nvr = connect("frigate-nvr")
    nvr.publish("zhian/cyl/gate-north/events", b"forged")
    nvr.publish("zhian/cyl/frigate-nvr/available", b"online")
    nvr.publish("zhian/cyl/frigate-nvr/events", b'{"type":"new"}')
    assert zhian.receive() == ("zhian/cyl/frigate-nvr/events", b'{"type":"new"}')
    with pytest.raises(queue.Empty):
        zhian.receive(timeout_s=0.3)


@pytest.mark.parametrize("user, password", [
    ("gate-north", "wrong-password"),
    ("gate-north", ""),
    ("ghost-7", "anything"),
    (None, None),              # anonymous
])
def test_bad_logins_are_refused(connect, user, password) -> None:
    assert connect(user, password).refused


def test_one_device_cannot_log_in_with_anothers_password(connect, auth_broker) -> None:
    assert connect("gate-north", auth_broker.password("gate-south")).refused


def test_a_new_device_logs_in_after_provision_and_sighup(tmp_path) -> None:
    with running_broker(tmp_path, parse_registry(REGISTRY)) as (broker, proc):
        bigger = parse_registry(REGISTRY + "  - {id: gate-east, type: door, zone: gate}\n")
        creds = provision(bigger, tmp_path)
        assert creds.added == ["gate-east"]
        proc.send_signal(signal.SIGHUP)   # Mosquitto re-reads password_file and acl_file
        for _ in range(50):
            east = Client(broker.port, "gate-east", creds.users["gate-east"], "t-east")
            if not east.refused:
                break
            east.close()
            time.sleep(0.1)
        assert not east.refused
        zhian = Client(broker.port, "zhian", creds.users["zhian"], "t-zhian")
        zhian.subscribe("zhian/cyl/+/events")
        east.publish("zhian/cyl/gate-east/events", EVENT)
        assert zhian.receive() == ("zhian/cyl/gate-east/events", EVENT)
        east.close()
        zhian.close()
