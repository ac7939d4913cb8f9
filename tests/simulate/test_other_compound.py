"""The simulator fits a compound it was not written for: roles come from the registry."""

from __future__ import annotations

from pathlib import Path

from ingest.event import parse_event
from ingest.registry import load_registry
from tests.simulate.conftest import MONDAY
from tests.simulate.reference import reference_alerts
from zhian.simulate.clock import HOUR
from zhian.simulate.week import simulate_week

OTHER = Path(__file__).resolve().parent / "other_compound.yaml"

# Two days, starting at 09:00, with every incident that fits in two days (care needs 24 h + 1 h).
PLAN_2_DAYS = (
    (0, "10:00", "door_forced", {}),
    (0, "10:30", "four_denials", {}),
    (0, "11:00", "ebike_in_elevator", {}),
    (0, "12:00", "device_offline", {}),
    (0, "13:00", "door_tailgating", {}),
    (0, "14:00", "charger_over_temp", {}),
    (0, "15:00", "door_held_open", {}),
    (0, "16:00", "camera_tamper", {}),
    (0, "17:00", "credential_shared", {}),
    (0, "18:00", "repeated_denials", {}),
    (0, "19:00", "object_thrown", {}),
    (0, "20:00", "socket_4min", {}),
    (0, "23:30", "stranger_loitering", {}),
    (1, "02:00", "two_strangers_at_night", {}),
    (1, "06:30", "rental_occupancy", {}),
    (1, "07:00", "unknown_device", {}),
    (1, "08:00", "door_duress", {}),
    (1, "09:30", "ebike_corridor_parking", {}),
    (1, "11:00", "charger_alarm", {}),
    (1, "12:00", "charger_64c", {}),
    (1, "14:00", "ebike_indoor_charging", {}),
    (1, "15:00", "heartbeat_gap", {}),
    (1, "16:00", "two_gates_40s", {}),
    (1, "17:00", "corridor_ebike_short", {}),
)


def test_other_compound_yields_its_truth_and_nothing_else() -> None:
    registry = load_registry(OTHER)
    traffic, truth = simulate_week(registry, MONDAY + 9 * HOUR, seed=7, days=2, plan=PLAN_2_DAYS)
    events = [parse_event(p) for _, _, p in traffic]
    assert {e.device for e in events} >= {d.id for d in registry.devices}
    assert [s["name"] for s in truth["skipped"]] == ["object_thrown"]  # no facade camera
    assert len(truth["alerts"]) == 16
    got = sorted(reference_alerts(registry, events))
    want = sorted(
        (a["rule"], a["key"]["device"], a["key"]["subject"], a["key"]["port"], a["ts_ms"])
        for a in truth["alerts"]
    )
    assert got == want
