"""Line protocol of events, alert transitions and metrics (pure)."""

from __future__ import annotations

from alerts.sinks.drain import is_silenced
from alerts.sinks.lineproto import (
    NS_PER_MS,
    UNREGISTERED,
    Location,
    alert_line,
    event_line,
    field_value,
    line,
    offset_ns,
    tag_value,
)
from alerts.sinks.metrics import MetricsWindow, Readings, percentile

WHERE = {"lobby-3-1": Location("3", "1", 1, "lobby")}


def test_escaping() -> None:
    assert tag_value("a b,c=d") == r"a\ b\,c\=d"
    assert tag_value("trailing\\") == "trailing"
    assert field_value('say "hi" \\ there') == r'"say \"hi\" \\ there"'
    assert field_value(3) == "3i" and field_value(3.0) == "3.0" and field_value(True) == "true"
    assert line("m", {"b": None, "a": "x"}, {"f": 1, "g": None, "h": float("nan")}, 5) == "m,a=x f=1i 5"


def test_event_point_tags_fields_and_time() -> None:
    ev = {"v": 1, "id": "lobby-3-1-7", "ts": 1_790_000_000_123, "device": "lobby-3-1", "type": "access.granted",
          "subject": {"id": "r 1", "kind": "resident", "credential": "face"},
          "data": {"direction": "in", "vendor_x": 5}}
    text = event_line("cyl", ev, 1_790_000_000_200, WHERE.get)
    head, rest = text.split(" ", 1)
    fields, ts = rest.rsplit(" ", 1)
    assert head == "events,building=3,community=cyl,device=lobby-3-1,type=access.granted"
    assert 'id="lobby-3-1-7"' in fields and 'subject="r 1"' in fields and "floor=1i" in fields
    assert 'data.direction="in"' in fields and r'\"vendor_x\":5' in fields and "data.vendor_x" not in fields
    assert int(ts) // NS_PER_MS == ev["ts"] and int(ts) % NS_PER_MS == offset_ns("e|lobby-3-1|lobby-3-1-7")
    assert event_line("cyl", ev, 1_790_000_000_200, WHERE.get) == text, "deterministic: a re-send overwrites"


def test_numbers_keep_one_type_per_field() -> None:
    ints = event_line("cyl", {"id": "s1", "ts": 1, "device": "lobby-3-1", "type": "socket.power",
                              "data": {"power_w": 60}}, 1, WHERE.get)
    assert "data.power_w=60.0" in ints, "a whole number is still written as a float"


def test_unregistered_device_is_a_field_not_a_series() -> None:
    text = event_line("cyl", {"id": "x", "ts": 1, "device": "rnd-123", "type": "zhian.unknown_device"}, 1, WHERE.get)
    assert f"device={UNREGISTERED}" in text and 'claimed_device="rnd-123"' in text


def test_alert_point() -> None:
    payload = {"alert": "a-1", "rule": "door_forced", "state": "raised", "severity": "critical",
               "ts": "2026-11-05T10:25:07.220+08:00", "device": "lobby-3-1", "subject": None, "port": None,
               "location": {"community": "cyl", "building": "3", "unit": "1", "floor": 1, "zone": "lobby"},
               "summary_zh": "3栋1单元大堂门被强行打开", "summary_en": "Lobby door forced",
               "evidence": ["e1"], "count": 1}
    text = alert_line(payload, 1_762_309_507_220, 32, False, lambda d: d in WHERE)
    assert text.startswith("alerts,building=3,community=cyl,device=lobby-3-1,rule=door_forced,severity=critical ")
    assert 'evidence="[\\"e1\\"]"' in text and "n=32i" in text and "silenced=false" in text
    assert 'summary_zh="3栋1单元大堂门被强行打开"' in text


def test_metrics_window() -> None:
    m = MetricsWindow("cyl")
    for _ in range(30):
        m.event("access.granted")
    m.alert("door_forced", "raised", 1200)
    m.alert("door_forced", "cleared", 5200)
    r = Readings(watermark_ms=9_000, late_total=2, buffered=7, rejects_total={"bad_ts": 4}, depths={"mqtt": 0},
                 devices_online=15, devices_registered=17, sink={"behind": False})
    lines = m.lines(10_000, 10.0, r)
    text = "\n".join(lines)
    assert "zhian_event_rate,community=cyl,type=access.granted count=30i,per_s=3.0 10000000000" in text
    assert "zhian_alert_rate,community=cyl,rule=door_forced transitions=2i,raised=1i,cleared=1i" in text
    assert "zhian_alert_latency,community=cyl count=2i,p50_ms=1200i,p95_ms=5200i,max_ms=5200i" in text
    assert "lag_s=1.0" in text and "zhian_devices,community=cyl online=15i,registered=17i,offline=2i" in text
    assert "zhian_rejects,community=cyl,reason=bad_ts count=0i,total=4i" in text
    r.rejects_total = {"bad_ts": 6}
    assert "zhian_rejects,community=cyl,reason=bad_ts count=2i,total=6i" in "\n".join(m.lines(20_000, 10.0, r))
    assert percentile([1, 2, 3, 4], 0.5) == 2 and percentile([], 0.9) == 0


def test_silenced_flag_from_the_payload_or_an_old_topic() -> None:
    payload = {"alert": "a-1", "rule": "door_held_open", "state": "raised", "silenced": "王工"}
    assert is_silenced("zhian/cyl/alerts", payload)
    assert is_silenced("zhian/cyl/alerts/silenced", {"alert": "a-1"})  # stores from before the fix
    assert not is_silenced("zhian/cyl/alerts", {"alert": "a-1"})
