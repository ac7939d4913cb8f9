"""Upstream to a GA/T 1400 视图库, against a small Digest-authenticated server in the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.upstream.viid_server import FakeViid
from zhian.store import Store
from zhian.upstream.notify import EXTENSION_KEY, compact_time, notification
from zhian.upstream.uplink import OutboxReader, Position, Uplink, UplinkConfig
from zhian.upstream.viid import ViidClient, ViidConfig, ViidError

DEVICE_ID = "33010200002160000001"


def alert(n: int, state: str = "raised") -> dict[str, object]:
    return {"alert": f"a-{n}", "rule": "door_forced", "state": state, "severity": "critical",
            "ts": "2026-11-02T07:31:05.120+08:00", "device": "lobby-3-1", "subject": None, "port": None,
            "location": {"community": "cyl", "building": "3", "unit": "1", "floor": 1, "zone": "lobby"},
            "summary_zh": "3栋1单元大堂门被强行打开", "summary_en": "Lobby door 3-1 forced open",
            "evidence": ["lobby-3-1-1"], "count": 1}


@pytest.fixture
def viid() -> Iterator[FakeViid]:
    server = FakeViid("zhian", "pw-1")
    yield server
    server.stop()


def client(viid: FakeViid, password: str = "pw-1") -> ViidClient:
    return ViidClient(ViidConfig(viid.url, DEVICE_ID, "zhian", password, timeout_s=5))


def test_register_keepalive_unregister_with_digest(viid: FakeViid) -> None:
    c = client(viid)
    c.register()
    c.keepalive()
    c.unregister()
    assert viid.paths() == ["/VIID/System/Register", "/VIID/System/Keepalive", "/VIID/System/UnRegister"]
    path, headers, body = viid.requests[0]
    assert body == {"RegisterObject": {"DeviceID": DEVICE_ID}}
    assert headers["User-Identify"] == DEVICE_ID and headers["Content-Type"].startswith("application/VIID+JSON")
    assert viid.unauthenticated >= 1  # the first request met the challenge


def test_a_wrong_password_is_an_error(viid: FakeViid) -> None:
    with pytest.raises(ViidError, match="401"):
        client(viid, "wrong").register()
    assert viid.requests == []


def test_a_refusal_status_is_an_error(viid: FakeViid) -> None:
    viid.refuse["/VIID/System/Register"] = 4
    with pytest.raises(ViidError, match="Register refused: 4"):
        client(viid).register()


def test_config_checks_the_platform_code() -> None:
    with pytest.raises(ValueError, match="20 digits"):
        ViidConfig("http://127.0.0.1:1", "123", "u", "p")


def test_notification_shape() -> None:
    n = notification(alert(1), 42, DEVICE_ID, "sub-1")
    assert n["NotificationID"] == DEVICE_ID + "20261102073105" + "0000000042"
    assert (n["SubscribeID"], n["TriggerTime"], n["InfoIDs"]) == ("sub-1", "20261102073105", "a-1")
    assert n["Title"] == "[critical/raised] 3栋1单元大堂门被强行打开" and n[EXTENSION_KEY]["rule"] == "door_forced"
    assert compact_time("2026-11-01T23:31:05Z") == "20261101233105"


def make_store(path: Path, alerts: list[tuple[int, dict[str, object]]]) -> None:
    store = Store(path)
    store.add_outbox([(n, 1793575865120, "zhian/cyl/alerts", orjson.dumps(a)) for n, a in alerts]
                     + [(10_000, 1793575865120, "zhian/cyl/elev-3-1/command", b"{}")])
    store.close()


def test_uplink_registers_pushes_keeps_alive_and_resumes(viid: FakeViid, tmp_path: Path) -> None:
    db = tmp_path / "zhian.db"
    make_store(db, [(1, alert(1)), (2, alert(1, "updated")), (3, alert(1, "acknowledged"))])
    now = [0.0]
    pos = Position(tmp_path / "pos")
    up = Uplink(client(viid), OutboxReader(db, "cyl"), pos,
                UplinkConfig("sub-1", keepalive_s=60, states=frozenset({"raised", "acknowledged"})),
                clock=lambda: now[0])
    assert up.step() and up.step() and not up.step()   # register, push one batch, idle
    assert viid.paths() == ["/VIID/System/Register", "/VIID/SubscribeNotifications"]
    pushed = viid.requests[1][2]["SubscribeNotificationListObject"]["SubscribeNotificationObject"]
    assert [p[EXTENSION_KEY]["state"] for p in pushed] == ["raised", "acknowledged"]
    assert pos.get() == 3      # the command in the outbox is not an alert and not sent
    now[0] = 61.0
    assert up.step() and viid.paths()[-1] == "/VIID/System/Keepalive"

    # the platform refuses a push: nothing is skipped; register again, then resend
    store = Store(db)
    store.add_outbox([(4, 1793575865120, "zhian/cyl/alerts", orjson.dumps(alert(2)))])
    store.close()
    viid.refuse["/VIID/SubscribeNotifications"] = 7
    assert not up.step() and pos.get() == 3
    now[0] = 63.0
    assert up.step() and up.step()
    assert viid.paths()[-2:] == ["/VIID/System/Register", "/VIID/SubscribeNotifications"]
    assert pos.get() == 4 and up.sent == 3

    # a restart resumes from the saved position
    again = Uplink(client(viid), OutboxReader(db, "cyl"), Position(tmp_path / "pos"), UplinkConfig("sub-1"),
                   clock=lambda: now[0])
    assert again.step() and not again.step()   # registers; nothing new to push
