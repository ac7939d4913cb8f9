"""Rendering engine outputs as alert-schema messages and device commands."""

from __future__ import annotations

from alerts.render import render_output, rfc3339
from ingest.registry import parse_registry
from rules.engine import Emitted
from rules.outputs import AlertTransition, DeviceCommand

REGISTRY = parse_registry("""
version: 1
community: {id: cyl, name: 昌运里, timezone: Asia/Shanghai}
devices:
  - {id: lobby-4-2, type: door, zone: lobby, name: 4栋2单元大堂门, building: "4", unit: "2", floor: 1}
  - {id: elev-3-1, type: elevator, zone: elevator, building: "3", unit: "1"}
  - {id: elevcam-3-1, type: camera, zone: elevator, building: "3", unit: "1", elevator: elev-3-1}
  - {id: charger-shed-1, type: charger, zone: bike_shed}
  - {id: corrcam-3-1-12, type: camera, zone: corridor, building: "3", unit: "1", floor: 12}
watchlist:
  - {subject: r-00017, reason: elderly_living_alone, max_quiet_h: 36}
""")
TS = 1_793_845_507_220  # 2026-11-05T10:25:07.220+08:00


def transition(rule: str, device: str | None, zh: str, en: str, **kw: object) -> AlertTransition:
    base = dict(alert="a-3f9c", rule=rule, state="raised", severity="major", ts_ms=TS,
                device=device, subject=None, port=None, evidence=("lobby-4-2-88102",), count=1,
                facts={}, summary=(zh, en))
    base.update(kw)
    return AlertTransition(**base)  # type: ignore[arg-type]


def test_alert_matches_the_product_example_exactly() -> None:
    t = transition("door_held_open", "lobby-4-2", "{place}长时间未关闭", "{place_en} held open")
    [(topic, payload)] = render_output(Emitted(1, "door_held_open", "lobby-4-2", TS, t), REGISTRY)
    assert topic == "zhian/cyl/alerts"
    assert payload == {
        "alert": "a-3f9c", "rule": "door_held_open", "state": "raised", "severity": "major",
        "ts": "2026-11-05T10:25:07.220+08:00", "device": "lobby-4-2", "subject": None,
        "port": None,
        "location": {"community": "cyl", "building": "4", "unit": "2", "floor": 1, "zone": "lobby"},
        "summary_zh": "4栋2单元大堂门长时间未关闭", "summary_en": "Lobby door 4-2 held open",
        "evidence": ["lobby-4-2-88102"], "count": 1,
    }
    assert list(payload) == ["alert", "rule", "state", "severity", "ts", "device", "subject",
                             "port", "location", "summary_zh", "summary_en", "evidence", "count"]


def test_command_goes_to_the_elevator_topic() -> None:
    c = DeviceCommand("c-1", TS, "elev-3-1", "hold_doors", "ebike", "a-1")
    [(topic, payload)] = render_output(Emitted(2, "ebike_in_elevator", "elevcam-3-1", TS, c), REGISTRY)
    assert topic == "zhian/cyl/elev-3-1/command"
    assert payload == {"v": 1, "id": "c-1", "ts": "2026-11-05T10:25:07.220+08:00",
                       "action": "hold_doors", "reason": "ebike", "alert": "a-1"}


def test_summaries_fill_facts_and_names_and_never_fail() -> None:
    t = transition("charger_over_temp", "charger-shed-1", "{place}{port}号口温度过高（{temp_c}℃）",
                   "{place_en} port {port} at {temp_c} °C, {missing}", port=3,
                   facts={"temp_c": 67.0})
    [(_, payload)] = render_output(Emitted(1, "r", "k", TS, t), REGISTRY)
    assert payload["summary_zh"] == "车棚充电桩（charger-shed-1）3号口温度过高（67℃）"
    assert payload["summary_en"].endswith("port 3 at 67 °C, ?")
    assert payload["port"] == 3


def test_unregistered_device_and_subject_alerts_have_empty_locations() -> None:
    t = transition("care_no_activity", None, "关爱对象{subject}已超过{quiet_h}小时无活动",
                   "quiet {quiet_h} h", subject="r-00017", severity="minor")
    [(_, payload)] = render_output(Emitted(1, "r", "k", TS, t), REGISTRY)
    assert payload["summary_zh"] == "关爱对象r-00017已超过36小时无活动"
    assert payload["location"] == {"community": "cyl", "building": None, "unit": None,
                                   "floor": None, "zone": None}
    u = transition("unknown_device", "cam-x9", "未登记设备{device}发送消息", "{place_en}")
    [(_, payload)] = render_output(Emitted(1, "r", "k", TS, u), REGISTRY)
    assert payload["summary_zh"] == "未登记设备cam-x9发送消息"


def test_other_outputs_publish_nothing() -> None:
    assert render_output(Emitted(1, "device_activity", "d", TS, [1, 2, 3]), REGISTRY) == []


def test_rfc3339_keeps_milliseconds_and_offset() -> None:
    assert rfc3339(TS, REGISTRY.community.tz) == "2026-11-05T10:25:07.220+08:00"
    assert rfc3339(TS - 7_220, REGISTRY.community.tz) == "2026-11-05T10:25:00.000+08:00"
