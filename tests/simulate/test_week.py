"""The simulated week: one incident per rule, near misses, a truth a plain reading confirms."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ingest.event import Event
from ingest.registry import Registry
from tests.simulate.reference import reference_alerts
from zhian.simulate.incidents import INCIDENTS
from zhian.simulate.model import Traffic

RULES = {
    "door_forced",
    "door_held_open",
    "door_tailgating",
    "door_duress",
    "repeated_denials",
    "credential_shared",
    "stranger_loitering",
    "care_no_activity",
    "rental_occupancy",
    "ebike_in_elevator",
    "ebike_corridor_parking",
    "ebike_indoor_charging",
    "charger_over_temp",
    "charger_alarm",
    "camera_tamper",
    "device_offline",
    "unknown_device",
    "object_thrown",
}
Week = tuple[list[Traffic], dict[str, Any]]


def test_truth_has_one_alert_per_rule(week: Week) -> None:
    _, truth = week
    assert set(INCIDENTS) == RULES
    assert Counter(a["rule"] for a in truth["alerts"]) == Counter(RULES)
    assert truth["skipped"] == []
    for alert in truth["alerts"]:
        assert set(alert) == {"rule", "key", "ts_ms"}
        assert set(alert["key"]) == {"device", "subject", "port"}
        assert truth["start_ms"] <= alert["ts_ms"] < truth["end_ms"]


def test_near_misses_are_spread_over_the_week(week: Week) -> None:
    _, truth = week
    assert len(truth["near_misses"]) >= 10
    days = {(m["at_ms"] - truth["start_ms"]) // 86_400_000 for m in truth["near_misses"]}
    assert len(days) >= 5


def test_week_is_valid_unique_ordered_and_sized(week: Week, week_events: list[Event]) -> None:
    traffic, _ = week
    assert 100_000 < len(traffic) < 1_000_000
    seen: set[tuple[str, str]] = set()
    last = 0
    for (ts, topic, _), event in zip(traffic, week_events, strict=True):
        assert topic.endswith(f"/{event.device}/events")
        assert ts >= last
        last = ts
        key = (event.device, event.id)
        assert key not in seen
        seen.add(key)


def test_reference_reading_finds_exactly_the_truth(
    week: Week, week_events: list[Event], registry: Registry
) -> None:
    _, truth = week
    got = sorted(reference_alerts(registry, week_events))
    want = sorted(
        (a["rule"], a["key"]["device"], a["key"]["subject"], a["key"]["port"], a["ts_ms"])
        for a in truth["alerts"]
    )
    assert got == want
