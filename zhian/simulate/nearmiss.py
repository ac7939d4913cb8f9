"""Near misses: traffic just short of a rule's threshold; each must stay silent (truth is empty)."""

from __future__ import annotations

from zhian.simulate.clock import HOUR, MINUTE, SECOND, is_night
from zhian.simulate.model import Incident, Subj, passage
from zhian.simulate.parts import (
    Builder,
    charger_session,
    charger_temps,
    charging_pair,
    ebike_seen,
    home_door,
    offline_candidate,
    parking_camera,
    pick,
    plain_resident,
    quiet_sockets,
    sightings,
    subject_of,
    tag,
)
from zhian.simulate.world import World


def four_denials(world: World, at_ms: int, device: str | None = None) -> Incident:
    """Four invalid cards in 45 s: one short of repeated_denials."""
    door = pick(world.gates or world.lobbies, "gate", device)
    card: Subj = (f"c-{tag(at_ms, 'nm-card')}", "unknown", "card")
    inc = Incident("four_denials", f"4 denials at {door} within 45 s")
    for i in range(4):
        inc.add(
            at_ms + i * 15 * SECOND, door, "access.denied", card, {"reason": "invalid_credential"}
        )
    inc.reserve("n:" + door, at_ms - 2 * MINUTE, at_ms + 3 * MINUTE)
    return inc


def two_strangers_at_night(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A stranger denied twice at night, 9 min apart: one short of stranger_loitering."""
    door = pick(world.gates or world.lobbies, "gate", device, 1)
    face: Subj = (f"f-{tag(at_ms, 'nm-night')}", "stranger", "face")
    inc = Incident("two_strangers_at_night", f"2 stranger denials at night at {door}")
    for t in (at_ms, at_ms + 9 * MINUTE):
        inc.add(t, door, "access.denied", face, {"reason": "unknown_face"})
    inc.reserve("n:" + door, at_ms - 40 * MINUTE, at_ms + 45 * MINUTE)
    return inc


def three_strangers_before_night(world: World, at_ms: int, device: str | None = None) -> Incident:
    """Three stranger denials in 30 min, the 3rd at `at_ms` before 22:00: not night, silent."""
    if is_night(at_ms, world.tz):
        raise ValueError("the 3rd denial of this near miss must be by day")
    door = pick(world.gates or world.lobbies, "gate", device, 1)
    face: Subj = (f"f-{tag(at_ms, 'nm-eve')}", "stranger", "face")
    inc = Incident(
        "three_strangers_before_night", f"3 stranger denials at {door}, the 3rd before 22:00"
    )
    for t in (at_ms - 30 * MINUTE + 5 * SECOND, at_ms - 15 * MINUTE, at_ms):
        inc.add(t, door, "access.denied", face, {"reason": "unknown_face"})
    # Keep night denials away for 35 min so no later one makes a 3rd within the window.
    inc.reserve("n:" + door, at_ms - 60 * MINUTE, at_ms + 35 * MINUTE)
    return inc


def ebike_low_confidence(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An e-bike-like object in an elevator at confidence 0.52–0.55 (< 0.6)."""
    cam = pick(world.elevcams, "elevator camera", device, 1)
    inc = Incident("ebike_low_confidence", f"e-bike at confidence 0.55 in {cam}")
    for i, conf in enumerate((0.52, 0.55, 0.55)):
        inc.add(
            at_ms + i * 4 * SECOND,
            cam,
            "object.detected",
            None,
            {"label": "ebike", "confidence": conf, "track": f"n{tag(at_ms, 'nm-elev', 6)}"},
        )
    return inc


def door_open_110s(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A door granted and held for 110 s (< 120 s)."""
    door = pick(world.lobbies or world.gates, "door", device, 1)
    sid = plain_resident(world, None, 17)
    inc = Incident("door_open_110s", f"{door} open for 110 s")
    inc.events += passage(
        door,
        at_ms,
        subject_of(world, sid),
        "in",
        open_after_ms=2 * SECOND,
        open_for_ms=110 * SECOND,
    )
    inc.reserve("d:" + door, at_ms - MINUTE, at_ms + 4 * MINUTE)
    return inc


def door_opened_8s_after_grant(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A slow resident: the door opens 8 s after the grant (within door_forced's 10 s)."""
    door = pick(world.lobbies or world.gates, "door", device)
    sid = plain_resident(world, None, 19)
    inc = Incident("door_opened_8s_after_grant", f"{door} opened 8 s after a grant")
    inc.events += passage(
        door, at_ms, subject_of(world, sid), "in", open_after_ms=8 * SECOND, open_for_ms=6 * SECOND
    )
    inc.reserve("d:" + door, at_ms - MINUTE, at_ms + MINUTE)
    return inc


def socket_4min(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An e-bike in the corridor and the socket at ≥ 50 W for 4 min only; gone after 6 min."""
    cam, sock = charging_pair(world, device)
    inc = Incident("socket_4min", f"{sock} at 210 W for 4 min by an e-bike at {cam}")
    ebike_seen(inc, cam, sightings(at_ms, at_ms + 6 * MINUTE), 0.71, f"n{tag(at_ms, 'nm-sock', 6)}")
    quiet_sockets(
        inc,
        world,
        cam,
        at_ms - 6 * MINUTE,
        at_ms + 15 * MINUTE,
        (at_ms + 30 * SECOND, at_ms + 4 * MINUTE + 30 * SECOND, 210.0),
    )
    return inc


def charger_64c(world: World, at_ms: int, device: str | None = None, port: int = 5) -> Incident:
    """A port warming to 64 °C (< 65) and finishing its charge."""
    charger = pick(world.chargers, "charger", device, 1)
    inc = Incident("charger_64c", f"{charger} port {port} peaked at 64 °C")
    temps = charger_temps(at_ms, 64.0, (63.6, 63.1), "full")
    charger_session(inc, charger, port, temps)
    inc.reserve(f"p:{charger}:{port}", temps[0][0] - 10 * MINUTE, temps[-1][0] + 10 * MINUTE)
    return inc


def corridor_ebike_short(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An e-bike seen in a corridor for 7 min, then gone.

    7 min, not 9: read as presence with a 120 s gap allowance, 9 min of sightings would last
    11 min and raise; 7 min (+ 120 s = 9 min) is silent under either reading.
    """
    cam = parking_camera(world, device)
    inc = Incident("corridor_ebike_short", f"an e-bike by {cam} for 7 min")
    ebike_seen(inc, cam, sightings(at_ms, at_ms + 7 * MINUTE), 0.72, f"n{tag(at_ms, 'nm-park', 6)}")
    quiet_sockets(inc, world, cam, at_ms - 6 * MINUTE, at_ms + 15 * MINUTE)
    return inc


def two_gates_40s(world: World, at_ms: int, subject: str | None = None) -> Incident:
    """One resident granted at two gates 40 s apart (> 30 s): a sprint, not a shared card."""
    if len(world.gates) < 2:
        raise LookupError("this near miss needs two gates")
    sid = plain_resident(world, subject, 13)
    me = subject_of(world, sid)
    g1, g2 = world.gates[1], world.gates[0]
    inc = Incident("two_gates_40s", f"{sid} granted at {g1} and {g2} 40 s apart")
    inc.events += passage(g1, at_ms, me, "out") + passage(g2, at_ms + 40 * SECOND, me, "in")
    inc.reserve("s:" + sid, at_ms - 15 * MINUTE, at_ms + 15 * MINUTE)
    return inc


def heartbeat_gap(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A device misses beats for 2.5 × heartbeat_s (< 3 ×)."""
    dev = offline_candidate(world, device)
    hb = world.heartbeat_ms(dev)
    back = at_ms + hb * 5 // 2
    inc = Incident("heartbeat_gap", f"{dev} silent for 2.5 heartbeats")
    inc.add(at_ms, dev, "device.heartbeat")
    inc.add(back, dev, "device.heartbeat")
    for key in ("h:", "d:"):
        inc.reserve(key + dev, at_ms + 1, back)
    return inc


def care_quiet_short(world: World, at_ms: int, subject: str | None = None) -> Incident:
    """A watched elder away for 80 % of max_quiet_h (visiting family overnight)."""
    sid = pick(tuple(world.watch), "watchlist entry", subject)
    door = home_door(world, sid)
    me = subject_of(world, sid)
    back = at_ms + int(world.watch[sid] * 0.8 * HOUR)
    inc = Incident("care_quiet_short", f"{sid} away for {world.watch[sid] * 0.8:g} h")
    inc.events += passage(door, at_ms, me, "out") + passage(door, back, me, "in")
    inc.reserve("s:" + sid, at_ms + 1, back)
    return inc


NEAR_MISSES: dict[str, Builder] = {
    "four_denials": four_denials,
    "two_strangers_at_night": two_strangers_at_night,
    "three_strangers_before_night": three_strangers_before_night,
    "ebike_low_confidence": ebike_low_confidence,
    "door_open_110s": door_open_110s,
    "door_opened_8s_after_grant": door_opened_8s_after_grant,
    "socket_4min": socket_4min,
    "charger_64c": charger_64c,
    "corridor_ebike_short": corridor_ebike_short,
    "two_gates_40s": two_gates_40s,
    "heartbeat_gap": heartbeat_gap,
    "care_quiet_short": care_quiet_short,
}
