"""A simulated week: normal life plus one incident per rule and a dozen near misses, with truth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ingest.registry import Registry
from zhian.simulate.clock import DAY, HOUR, MINUTE, local_midnight, rfc3339_formatter
from zhian.simulate.generator import TrafficGenerator
from zhian.simulate.incidents import INCIDENTS
from zhian.simulate.model import Incident, Traffic
from zhian.simulate.nearmiss import NEAR_MISSES

# (day, community time, builder name, options). Devices are chosen by role, so the plan fits
# any compound; on the example compound incidents and near misses of one rule sit on
# different devices or days, so an alert still active (cleared only by acknowledgement)
# never hides a near miss.
PLAN: tuple[tuple[int, str, str, dict[str, Any]], ...] = (
    (0, "17:00", "care_quiet_short", {}),
    (0, "10:20", "door_opened_8s_after_grant", {}),
    (0, "14:05", "four_denials", {}),
    (0, "23:20", "door_forced", {}),
    (1, "02:10", "two_strangers_at_night", {}),
    (1, "09:30", "ebike_in_elevator", {}),
    (1, "11:00", "device_offline", {}),
    (1, "15:40", "ebike_low_confidence", {}),
    (1, "18:30", "door_tailgating", {}),
    (1, "20:45", "charger_over_temp", {}),
    (2, "08:15", "two_gates_40s", {}),
    (2, "10:00", "door_held_open", {}),
    (2, "13:30", "heartbeat_gap", {}),
    (2, "16:20", "camera_tamper", {}),
    (2, "20:00", "care_no_activity", {}),
    (2, "21:40", "three_strangers_before_night", {}),
    (3, "07:50", "credential_shared", {}),
    (3, "12:10", "repeated_denials", {}),
    (3, "15:00", "object_thrown", {}),
    (3, "19:30", "socket_4min", {}),
    (3, "23:30", "stranger_loitering", {}),
    (4, "11:30", "unknown_device", {}),
    (4, "14:20", "corridor_ebike_short", {}),
    (4, "17:10", "door_open_110s", {}),
    (4, "20:10", "door_duress", {}),
    (4, "21:30", "rental_occupancy", {}),
    (5, "10:40", "ebike_corridor_parking", {}),
    (5, "16:00", "charger_alarm", {}),
    (5, "20:30", "charger_64c", {}),
    (6, "19:20", "ebike_indoor_charging", {}),
)
# Timers fire on the watermark (last event time − 5 s): leave room after the last one.
TAIL_MS = 30 * MINUTE


def simulate_week(
    registry: Registry,
    start_ms: int,
    seed: int,
    days: int = 7,
    *,
    plan: tuple[tuple[int, str, str, dict[str, Any]], ...] = PLAN,
    normal: bool = True,
) -> tuple[Iterator[Traffic], dict[str, Any]]:
    """Traffic of `days` days from `start_ms` with the plan's incidents, and its truth.

    The traffic is an iterator (a week is ~10^5 events, too many dicts to hold); the truth is
    complete before it is consumed. Plan days count from the community midnight that starts
    `start_ms`'s day; an entry that would start before `start_ms` moves `days` days later, so
    a week starting at any time of day holds the whole plan. Entries that do not fit in the
    span, or whose devices the compound lacks, are listed under "skipped". `plan=()` gives
    normal life only.
    """
    end_ms = start_ms + days * DAY
    gen = TrafficGenerator(registry, start_ms, seed, end_ms - start_ms, normal=normal)
    world = gen.world
    fmt = rfc3339_formatter(world.tz)
    base = local_midnight(start_ms, world.tz)
    truth: dict[str, Any] = {
        "community": world.community,
        "seed": seed,
        "start_ms": start_ms,
        "end_ms": end_ms,
        "start": fmt(start_ms),
        "end": fmt(end_ms),
        "alerts": [],
        "incidents": [],
        "near_misses": [],
        "skipped": [],
    }
    for day, clock, name, options in plan:
        hours, minutes = (int(x) for x in clock.split(":"))
        at_ms = base + day * DAY + hours * HOUR + minutes * MINUTE
        builder = INCIDENTS.get(name) or NEAR_MISSES[name]
        try:
            incident = builder(world, at_ms, **options)
            if incident.start_ms < start_ms:
                at_ms += days * DAY
                incident = builder(world, at_ms, **options)
        except (LookupError, ValueError) as exc:
            truth["skipped"].append({"name": name, "reason": str(exc)})
            continue
        if not _fits(incident, start_ms, end_ms):
            truth["skipped"].append({"name": name, "reason": "does not fit in the simulated span"})
            continue
        alerts = gen.add(incident)
        truth["alerts"] += alerts
        record = {"name": name, "at_ms": at_ms, "at": fmt(at_ms), "note": incident.note}
        truth["incidents" if name in INCIDENTS else "near_misses"].append(record)
    truth["alerts"].sort(key=lambda a: (a["ts_ms"], a["rule"]))
    return iter(gen), truth


def _fits(incident: Incident, start_ms: int, end_ms: int) -> bool:
    last = max([e[0] for e in incident.events] + [t["ts_ms"] for t in incident.truth])
    return incident.start_ms >= start_ms and last + TAIL_MS <= end_ms
