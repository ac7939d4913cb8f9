"""The alert book: an alert's state is its latest transition; critical ones are loud until
acknowledged; silenced ones (either form) are shown but never loud."""

from __future__ import annotations

from typing import Any

from zhian.console.book import AlertBook


def payload(alert: str, state: str, ts: str, severity: str = "critical", **extra: Any) -> dict[str, Any]:
    return {"alert": alert, "rule": "door_forced", "state": state, "severity": severity, "ts": ts,
            "device": "gate-north", "subject": None, "port": None, "evidence": ["e1"], "count": 1, **extra}


def test_latest_transition_is_the_state_and_loud_until_acknowledged() -> None:
    book = AlertBook()
    book.apply(16, "zhian/cyl/alerts", payload("a-1", "raised", "2026-11-02T07:31:05+08:00"))
    view = book.get("a-1")
    assert view is not None and view.state == "raised" and view.loud
    book.apply(32, "zhian/cyl/alerts", payload("a-1", "escalated", "2026-11-02T07:36:05+08:00"))
    assert view.state == "escalated" and view.loud
    book.apply(48, "zhian/cyl/alerts", payload("a-1", "acknowledged", "2026-11-02T07:37:00+08:00"))
    assert view.state == "acknowledged" and view.acknowledged and not view.loud
    book.apply(64, "zhian/cyl/alerts", payload("a-1", "updated", "2026-11-02T07:38:00+08:00", count=2))
    assert view.state == "updated" and not view.loud  # acknowledged once is enough
    assert [h["state"] for h in view.history] == ["raised", "escalated", "acknowledged", "updated"]
    assert view.raised_ts == "2026-11-02T07:31:05+08:00"
    # a row read again (the feed's position) changes nothing
    assert book.apply(48, "zhian/cyl/alerts", payload("a-1", "cleared", "2026-11-02T07:39:00+08:00")) is None
    assert view.state == "updated"


def test_silenced_alerts_are_never_loud_in_either_form() -> None:
    book = AlertBook()
    book.apply(1, "zhian/cyl/alerts", payload("a-new", "raised", "2026-11-02T07:31:05+08:00", silenced="maintenance"))
    book.apply(2, "zhian/cyl/alerts/silenced", payload("a-old", "raised", "2026-11-02T07:31:06+08:00"))
    new, old = book.get("a-new"), book.get("a-old")
    assert new is not None and new.silenced == "maintenance" and not new.loud
    assert old is not None and old.silenced == "silenced" and not old.loud
    assert book.apply(3, "zhian/cyl/gate-north/command", {"alert": "a-new", "action": "x"}) is None
    assert book.position == 3


def test_minor_and_major_alerts_are_not_loud_and_filters_select() -> None:
    book = AlertBook()
    book.apply(1, "zhian/cyl/alerts", payload("a-1", "raised", "2026-11-02T07:31:05+08:00", severity="major"))
    book.apply(2, "zhian/cyl/alerts", payload("a-2", "raised", "2026-11-02T08:00:00+08:00"))
    book.apply(3, "zhian/cyl/alerts", payload("a-2", "cleared", "2026-11-02T08:01:00+08:00"))
    a1 = book.get("a-1")
    assert a1 is not None and not a1.loud
    assert [v.alert for v in book.select()] == ["a-2", "a-1"]
    assert [v.alert for v in book.select(open_only=True)] == ["a-1"]
    assert [v.alert for v in book.select(severity="critical")] == ["a-2"]
    assert [v.alert for v in book.select(state="cleared")] == ["a-2"]
    assert [v.alert for v in book.select(limit=1)] == ["a-2"]
