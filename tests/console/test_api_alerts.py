"""Alert routes against the real engine: the desk's acknowledgement and clear become
`zhian.alert.ack` / `zhian.alert.resolve` events that the rules turn into transitions; notes,
assignment and false-positive marks are kept and audited; the live stream carries them."""

from __future__ import annotations

import threading
import time
import urllib.request
from typing import Any

import orjson

from ingest.event import ALERT_ACK, ALERT_RESOLVE
from rules.lifecycle import ident_from_ack
from tests.console.conftest import T0, Console, submitted
from zhian.console.api_alerts import desk_event_ts
from zhian.store import Store


def wait_alert(console: Console, rule: str, state: str | None = None, timeout_s: float = 10) -> dict[str, Any]:
    """The alert of `rule` as the API lists it, once it is there (in `state`, if given)."""
    client = console.client("admin")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for a in client.get(f"/api/alerts?rule={rule}").json()["alerts"]:
            if state is None or a["state"] == state:
                return dict(a)
        time.sleep(0.05)
    raise AssertionError(f"no {rule} alert in state {state}")


def audit(console: Console) -> list[dict[str, Any]]:
    store = Store(console.ctx.store_path)
    try:
        assert store.audit_chain_ok()
        return store.audit_log()
    finally:
        store.close()


def test_acknowledge_feeds_the_engine_an_ack_it_applies(console: Console) -> None:
    console.device_event("elevcam-3-1", "object.detected", T0, "det-1", {"label": "ebike", "confidence": 0.9})
    console.advance(T0 + 1000)
    alert = wait_alert(console, "ebike_in_elevator", "raised")
    desk = console.client("desk")
    r = desk.post(f"/api/alerts/{alert['alert']}/ack", {"comment": "guard sent"})
    assert r.status == 202, r.body
    [event] = submitted(console.live)
    assert event.type == ALERT_ACK and event.device == "desk"
    assert event.data == {"alert": alert["alert"], "rule": "ebike_in_elevator", "by": "desk", "device": "elevcam-3-1"}
    assert ident_from_ack("device", event.data) is not None
    assert event.ts_ms >= alert["ts_ms"]
    console.live.submit(event)  # back into the queue the test emptied, then through log and engine
    console.internal()
    console.advance(event.ts_ms + 1)
    acked = wait_alert(console, "ebike_in_elevator", "acknowledged")
    assert acked["alert"] == alert["alert"] and acked["acknowledged"]
    assert desk.post(f"/api/alerts/{alert['alert']}/ack").status == 409  # once is enough
    detail = desk.get(f"/api/alerts/{alert['alert']}").json()
    assert [h["state"] for h in detail["history"]] == ["raised", "acknowledged"]
    assert [(n["kind"], n["user"], n["text"]) for n in detail["notes"]] == [("ack", "desk", "guard sent")]
    assert [(e["user"], e["detail"]["alert"]) for e in audit(console) if e["action"] == "alert.ack"] == [
        ("desk", alert["alert"])]


def test_clear_resolves_an_alert_that_otherwise_needs_acknowledgement(console: Console) -> None:
    console.device_event("cam-b3-north", "camera.tamper", T0, "tamper-1", {"kind": "occluded"})
    console.advance(T0 + 1000)
    alert = wait_alert(console, "camera_tamper", "raised")
    assert console.client("desk").post(f"/api/alerts/{alert['alert']}/clear").status == 202
    [event] = submitted(console.live)
    assert event.type == ALERT_RESOLVE and event.data["alert"] == alert["alert"]
    console.live.submit(event)
    console.internal()
    console.advance(event.ts_ms + 1)
    cleared = wait_alert(console, "camera_tamper", "cleared")
    assert cleared["alert"] == alert["alert"] and not cleared["loud"]
    assert console.client("desk").post(f"/api/alerts/{alert['alert']}/clear").status == 409


def test_notes_assignment_and_false_positive_are_kept_and_audited(console: Console) -> None:
    console.device_event("gate-north", "door.forced", T0, "forced-1")
    console.advance(T0 + 1000)
    alert = wait_alert(console, "door_forced")["alert"]
    desk = console.client("desk")
    assert desk.post(f"/api/alerts/{alert}/notes", {"text": "门已关好"}).status == 200
    assert desk.post(f"/api/alerts/{alert}/assign", {"assignee": "guard-7"}).json()["assignee"] == "guard-7"
    marks = desk.post(f"/api/alerts/{alert}/false-positive", {"false_positive": True, "reason": "wind"}).json()
    assert marks == {**marks, "assignee": "guard-7", "false_positive": True, "updated_by": "desk"}
    detail = desk.get(f"/api/alerts/{alert}").json()
    assert [(n["kind"], n["text"]) for n in detail["notes"]] == [
        ("note", "门已关好"), ("assign", "guard-7"), ("false_positive", "wind")]
    assert detail["marks"]["false_positive"] and detail["marks"]["assignee"] == "guard-7"
    assert desk.get("/api/alerts").json()["alerts"][0]["marks"]["assignee"] == "guard-7"
    actions = [e["action"] for e in audit(console) if e["user"] == "desk"]
    assert actions[-3:] == ["alert.note", "alert.assign", "alert.false_positive"]
    # bad input is refused with the field named
    r = desk.post(f"/api/alerts/{alert}/notes", {"text": ""})
    assert r.status == 422 and "text" in r.body.decode()
    assert desk.post("/api/alerts/a-nope/notes", {"text": "x"}).status == 404


def test_alert_events_are_those_the_alert_cites(console: Console) -> None:
    console.device_event("gate-north", "door.forced", T0, "forced-1")
    console.device_event("gate-north", "device.heartbeat", T0 + 10, "hb-1")  # not cited
    console.advance(T0 + 1000)
    alert = wait_alert(console, "door_forced")
    body = console.client("desk").get(f"/api/alerts/{alert['alert']}/events").json()
    assert body["evidence"] == ["forced-1"]
    assert [(e["device"], e["id"], e["type"]) for e in body["events"]] == [("gate-north", "forced-1", "door.forced")]


def test_filters(console: Console) -> None:
    console.device_event("gate-north", "door.forced", T0, "forced-1")
    console.device_event("elevcam-3-1", "object.detected", T0 + 5, "det-1", {"label": "ebike", "confidence": 0.9})
    console.advance(T0 + 1000)
    wait_alert(console, "door_forced")
    wait_alert(console, "ebike_in_elevator")
    desk = console.client("desk")
    rules = lambda q: sorted(a["rule"] for a in desk.get(f"/api/alerts{q}").json()["alerts"])  # noqa: E731
    assert rules("") == ["door_forced", "ebike_in_elevator"]
    assert rules("?severity=critical") == ["door_forced"]
    assert rules("?severity=major") == ["ebike_in_elevator"]
    assert rules("?state=raised,acknowledged") == ["door_forced", "ebike_in_elevator"]
    assert rules("?state=cleared") == []
    assert rules("?rule=door_forced") == ["door_forced"]
    assert rules(f"?since_ms={T0 + 1}") == ["ebike_in_elevator"]
    assert rules(f"?until_ms={T0 + 1}") == ["door_forced"]
    bad = desk.get("/api/alerts?severity=urgent")
    assert bad.status == 422 and "severity" in bad.json()["detail"]
    assert desk.get("/api/alerts?state=open").status == 422


def test_stream_delivers_new_transitions_and_desk_marks(console: Console) -> None:
    desk = console.client("desk")
    cookie = next(c for c in desk.jar if c.name == "zhian_session")
    req = urllib.request.Request(console.url + "api/alerts/stream", headers={"Cookie": f"zhian_session={cookie.value}"})
    messages: list[tuple[str, dict[str, Any]]] = []
    ready = threading.Event()

    def read() -> None:
        with urllib.request.urlopen(req, timeout=20) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            kind = ""
            for raw in r:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    messages.append((kind, orjson.loads(line[6:])))
                    ready.set()
                    if sum(k == "marks" for k, _ in messages):
                        return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(10)
    console.device_event("gate-north", "door.forced", T0, "forced-1")
    console.advance(T0 + 1000)
    alert = wait_alert(console, "door_forced")["alert"]
    desk.post(f"/api/alerts/{alert}/assign", {"assignee": "guard-2"})
    reader.join(10)
    kinds = [k for k, _ in messages]
    assert kinds[0] == "hello" and "alert" in kinds and kinds[-1] == "marks"
    raised = next(m for k, m in messages if k == "alert")
    assert raised["state"] == "raised" and raised["alert"]["alert"] == alert and raised["alert"]["loud"]
    assert messages[-1][1]["marks"]["assignee"] == "guard-2"


def test_desk_action_time_is_never_before_its_alert() -> None:
    assert desk_event_ts(1_000, 500) == 1_000  # the engine's now
    assert desk_event_ts(1_000, 4_000) == 4_000  # an alert raised early, ahead of the watermark
