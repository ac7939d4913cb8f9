"""Injectors: one incident per rule of the default pack, each with the alert it must raise.

Each builder is pure: `(world, at_ms, device=None, …) -> Incident`. `at_ms` is when the
incident happens (for timers, when it starts); the truth's `ts_ms` is the alert's event
time as PRODUCT.md defines it. Reservations keep normal traffic from blurring the incident.
"""

from __future__ import annotations

from zhian.simulate.clock import HOUR, MINUTE, SECOND, is_night
from zhian.simulate.model import Incident, Subj, passage, truth
from zhian.simulate.parts import (
    Builder,
    charger_session,
    charger_temps,
    charging_pair,
    ebike_seen,
    entry_door,
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
from zhian.simulate.world import PORTS_PER_CHARGER, World


# ---- doors --------------------------------------------------------------------------------
def door_forced(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A lobby door pried open: door.opened with no grant (the terminal also says door.forced)."""
    door = entry_door(world, device)
    inc = Incident("door_forced", f"{door} forced open without a grant")
    inc.add(at_ms, door, "door.opened")
    inc.add(at_ms + 300, door, "door.forced")
    inc.add(at_ms + 25 * SECOND, door, "door.closed")
    inc.reserve("d:" + door, at_ms - MINUTE, at_ms + MINUTE)
    inc.truth.append(truth("door_forced", at_ms, device=door))
    return inc


def door_held_open(world: World, at_ms: int, device: str | None = None) -> Incident:
    """Furniture moving: granted, opened 2 s later, closed after 200 s (alert at open + 120 s)."""
    door = pick(world.lobbies or world.gates, "lobby or gate door", device, 1)
    mover = world.staff[0] if world.staff else world.people[0]
    inc = Incident("door_held_open", f"{door} held open for 200 s")
    inc.events += passage(
        door,
        at_ms,
        (mover.id, mover.kind, mover.credential),
        "in",
        open_after_ms=2 * SECOND,
        open_for_ms=200 * SECOND,
    )
    inc.reserve("d:" + door, at_ms - MINUTE, at_ms + 5 * MINUTE)
    inc.truth.append(truth("door_held_open", at_ms + 2 * SECOND + 120 * SECOND, device=door))
    return inc


def door_tailgating(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A second person slips in behind a granted resident; the terminal reports door.tailgating."""
    door = pick(world.gates or world.lobbies, "gate", device)
    sid = plain_resident(world, None, 3)
    inc = Incident("door_tailgating", f"someone tailgated {sid} through {door}")
    inc.events += passage(
        door, at_ms, subject_of(world, sid), "in", open_after_ms=2 * SECOND, open_for_ms=9 * SECOND
    )
    inc.add(at_ms + 5 * SECOND, door, "door.tailgating")
    inc.reserve("d:" + door, at_ms - MINUTE, at_ms + MINUTE)
    inc.truth.append(truth("door_tailgating", at_ms + 5 * SECOND, device=door))
    return inc


def door_duress(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A resident under threat uses the duress finger: granted, door.duress, the door opens."""
    door = entry_door(world, device)
    sid = plain_resident(world, None, 5)
    me = subject_of(world, sid, "fingerprint")
    inc = Incident("door_duress", f"{sid} used the duress fingerprint at {door}")
    inc.events += passage(door, at_ms, me, "in", open_after_ms=2 * SECOND, open_for_ms=7 * SECOND)
    inc.add(at_ms + 200, door, "door.duress", me)
    inc.reserve("d:" + door, at_ms - MINUTE, at_ms + MINUTE)
    inc.truth.append(truth("door_duress", at_ms + 200, device=door))
    return inc


# ---- denials and credentials ------------------------------------------------------------------
def repeated_denials(world: World, at_ms: int, device: str | None = None) -> Incident:
    """Someone tries six cards in 45 s by day: the 5th denial within 60 s raises."""
    door = pick(world.gates or world.lobbies, "gate", device, 1)
    card: Subj = (f"c-{tag(at_ms, 'card')}", "unknown", "card")
    inc = Incident("repeated_denials", f"six invalid cards at {door} within 45 s")
    times = [at_ms + i * 9 * SECOND for i in range(6)]
    for t in times:
        inc.add(t, door, "access.denied", card, {"reason": "invalid_credential"})
    inc.reserve("n:" + door, at_ms - 2 * MINUTE, at_ms + 12 * MINUTE)
    inc.reserve("d:" + door, at_ms - MINUTE, at_ms + 2 * MINUTE)
    inc.truth.append(truth("repeated_denials", times[4], device=door))
    return inc


def credential_shared(world: World, at_ms: int, subject: str | None = None) -> Incident:
    """A cloned card: one resident granted at two different gates 18 s apart."""
    if len(world.gates) < 2:
        raise LookupError("credential_shared needs two gates")
    sid = plain_resident(world, subject, 11)
    me = subject_of(world, sid, "card")
    g1, g2 = world.gates[0], world.gates[1]
    inc = Incident("credential_shared", f"{sid}'s card used at {g1} and {g2} 18 s apart")
    inc.events += passage(g1, at_ms, me, "in") + passage(g2, at_ms + 18 * SECOND, me, "in")
    inc.reserve("s:" + sid, at_ms - 15 * MINUTE, at_ms + 15 * MINUTE)
    inc.truth.append(truth("credential_shared", at_ms + 18 * SECOND, subject=sid))
    return inc


def stranger_loitering(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An unknown face tries a gate three times in 16 min at night; the 3rd, at `at_ms`, raises."""
    if not is_night(at_ms, world.tz):
        raise ValueError("stranger_loitering needs its 3rd denial between 22:00 and 06:00")
    door = pick(world.gates or world.lobbies, "gate", device)
    face: Subj = (f"f-{tag(at_ms, 'stranger')}", "stranger", "face")
    inc = Incident("stranger_loitering", f"a stranger tried {door} three times at night")
    for t in (at_ms - 16 * MINUTE, at_ms - 8 * MINUTE, at_ms):
        inc.add(t, door, "access.denied", face, {"reason": "unknown_face"})
    inc.reserve("n:" + door, at_ms - 45 * MINUTE, at_ms + 35 * MINUTE)
    inc.truth.append(truth("stranger_loitering", at_ms, device=door))
    return inc


# ---- people and homes -------------------------------------------------------------------------


def care_no_activity(world: World, at_ms: int, subject: str | None = None) -> Incident:
    """A watched elder comes home at `at_ms` and is not seen for max_quiet_h + 1 h."""
    sid = pick(tuple(world.watch), "watchlist entry", subject)
    quiet_ms = int(world.watch[sid] * HOUR)
    door = home_door(world, sid)
    me = subject_of(world, sid)
    back = at_ms + quiet_ms + HOUR
    inc = Incident("care_no_activity", f"{sid} not seen for {world.watch[sid]:g} h after {door}")
    inc.events += passage(door, at_ms, me, "in") + passage(door, back, me, "out")
    inc.reserve("s:" + sid, at_ms + 1, back)
    inc.truth.append(truth("care_no_activity", at_ms + quiet_ms, subject=sid))
    return inc


def rental_occupancy(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A rental home's registered occupants come in, then one more person unlocks it."""
    lock = pick(world.locks, "rental lock with occupants", device)
    inc = Incident("rental_occupancy", f"{lock}: one more person than its registered occupants")
    # The occupants themselves come home first, so the incident stands alone (live mode).
    for i, sid in enumerate(world.occupants.get(lock, ())):
        t = at_ms - (i + 1) * 7 * MINUTE
        inc.events += passage(lock, t, subject_of(world, sid), "in")
        inc.reserve("s:" + sid, t - MINUTE, t + MINUTE)
    extra: Subj = (f"t-{tag(at_ms, 'sublet', 8)}", "tenant", "pin")
    inc.events += passage(lock, at_ms, extra, "in")
    inc.reserve("d:" + lock, at_ms - MINUTE, at_ms + MINUTE)
    inc.truth.append(truth("rental_occupancy", at_ms, device=lock))
    return inc


# ---- e-bikes ----------------------------------------------------------------------------------


def ebike_in_elevator(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An e-bike wheeled into an elevator: four sure detections over 15 s."""
    cam = pick(world.elevcams, "elevator camera", device)
    inc = Incident("ebike_in_elevator", f"an e-bike carried into the elevator of {cam}")
    track = f"e{tag(at_ms, 'elev', 6)}"
    inc.add(
        at_ms - 2 * SECOND,
        cam,
        "object.detected",
        None,
        {"label": "person", "confidence": 0.93, "track": track + "p"},
    )
    ebike_seen(
        inc, cam, [at_ms, at_ms + 4 * SECOND, at_ms + 9 * SECOND, at_ms + 15 * SECOND], 0.82, track
    )
    inc.truth.append(truth("ebike_in_elevator", at_ms, device=cam))
    return inc


def ebike_corridor_parking(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An e-bike parked in a corridor for 15 min (alert at first sighting + 10 min)."""
    cam = parking_camera(world, device)
    inc = Incident("ebike_corridor_parking", f"an e-bike parked by {cam} for 15 min")
    ebike_seen(inc, cam, sightings(at_ms, at_ms + 15 * MINUTE), 0.74, f"e{tag(at_ms, 'park', 6)}")
    quiet_sockets(inc, world, cam, at_ms - 6 * MINUTE, at_ms + 20 * MINUTE)
    inc.truth.append(truth("ebike_corridor_parking", at_ms + 10 * MINUTE, device=cam))
    return inc


def ebike_indoor_charging(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An e-bike in a corridor plugged into the socket for 6 min, taken away before 10 min.

    The power starts 30 s after the first sighting; the alert is at that start + 5 min while
    parking is pending. The bike leaves at +6.5 min, so ebike_corridor_parking stays silent
    under either reading of "lasting 10 min" (the 120 s gap is over before +10 min).
    """
    cam, sock = charging_pair(world, device)
    power_on, power_off = at_ms + 30 * SECOND, at_ms + 6 * MINUTE + 30 * SECOND
    inc = Incident("ebike_indoor_charging", f"an e-bike charged from {sock} by {cam}")
    ebike_seen(
        inc,
        cam,
        sightings(at_ms, at_ms + 6 * MINUTE + 30 * SECOND),
        0.77,
        f"e{tag(at_ms, 'chg', 6)}",
    )
    quiet_sockets(
        inc, world, cam, at_ms - 6 * MINUTE, at_ms + 15 * MINUTE, (power_on, power_off, 236.0)
    )
    inc.truth.append(truth("ebike_indoor_charging", power_on + 5 * MINUTE, device=sock))
    return inc


# ---- chargers -------------------------------------------------------------------------------


def charger_over_temp(
    world: World, at_ms: int, device: str | None = None, port: int = 3
) -> Incident:
    """A port overheats: 40 → 66 °C over 20 min, then the charger cuts it and it cools."""
    charger = pick(world.chargers, "charger", device)
    port = min(max(port, 1), PORTS_PER_CHARGER)
    inc = Incident("charger_over_temp", f"{charger} port {port} reached 66 °C")
    # Cut at 68 °C, it cools by 4.5 °C a minute: below 55 °C (cleared) within 3 minutes.
    temps = charger_temps(at_ms, 66.0, (67.2, 68.0), "stopped")
    charger_session(inc, charger, port, temps)
    inc.reserve(f"p:{charger}:{port}", temps[0][0] - 10 * MINUTE, temps[-1][0] + 10 * MINUTE)
    inc.truth.append(truth("charger_over_temp", at_ms, device=charger, port=port))
    return inc


def charger_alarm(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A charger reports over-current on a port (a smoke.alarm when there is no charger)."""
    dev = device or (
        world.chargers[1 % len(world.chargers)]
        if world.chargers
        else pick(world.smokes, "charger or smoke detector")
    )
    if world.device(dev).type == "smoke":
        inc = Incident("charger_alarm", f"{dev} smoke alarm")
        inc.add(at_ms, dev, "smoke.alarm")
    else:
        inc = Incident("charger_alarm", f"{dev} port 7 over-current")
        inc.add(at_ms, dev, "charger.alarm", None, {"kind": "over_current", "port": 7})
    inc.truth.append(truth("charger_alarm", at_ms, device=dev))
    return inc


# ---- cameras and devices ---------------------------------------------------------------------
def camera_tamper(world: World, at_ms: int, device: str | None = None) -> Incident:
    """Someone covers a camera; it reports occluded and sees nothing for 10 min."""
    cams = world.elevcams + world.floorcams + world.facades
    cam = pick(cams, "camera", device, 1)
    inc = Incident("camera_tamper", f"{cam} occluded")
    inc.add(at_ms, cam, "camera.tamper", None, {"kind": "occluded"})
    inc.reserve("d:" + cam, at_ms, at_ms + 10 * MINUTE)
    inc.truth.append(truth("camera_tamper", at_ms, device=cam))
    return inc


def device_offline(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A device beats at `at_ms`, then is silent for 3 × heartbeat_s + 5 min (alert at 3 ×)."""
    dev = offline_candidate(world, device, 1)
    hb = world.heartbeat_ms(dev)
    back = at_ms + 3 * hb + 5 * MINUTE
    inc = Incident("device_offline", f"{dev} silent for {(back - at_ms) // SECOND} s")
    inc.add(at_ms, dev, "device.heartbeat")
    inc.add(back, dev, "device.heartbeat")
    for key in ("h:", "d:"):
        inc.reserve(key + dev, at_ms + 1, back)
    inc.truth.append(truth("device_offline", at_ms + 3 * hb, device=dev))
    return inc


def unknown_device(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An unregistered camera announces itself three times."""
    dev = device or "cam-rogue-9"
    if dev in world.registry.by_id:
        raise ValueError(f"{dev} is registered")
    inc = Incident("unknown_device", f"unregistered device {dev} publishing")
    for k in range(3):
        inc.add(at_ms + k * MINUTE, dev, "device.heartbeat", None, {"uptime_s": 30 + 60 * k})
    inc.truth.append(truth("unknown_device", at_ms, device=dev))
    return inc


def object_thrown(world: World, at_ms: int, device: str | None = None) -> Incident:
    """The throwing detector reports an object thrown from a facade window."""
    cam = pick(world.facades, "facade camera", device)
    facade = world.device(cam).facade
    floor = facade.lowest_floor + facade.floors // 2 if facade else 8
    columns = facade.columns if facade else 4
    inc = Incident("object_thrown", f"object thrown from floor {floor} seen by {cam}")
    inc.add(
        at_ms,
        cam,
        "throwing.detected",
        None,
        {
            "floor": floor,
            "column": min(3, columns),
            "confidence": 0.91,
            "frame": 1520,
            "start_frame": 1496,
        },
    )
    inc.truth.append(truth("object_thrown", at_ms, device=cam))
    return inc


INCIDENTS: dict[str, Builder] = {
    "door_forced": door_forced,
    "door_held_open": door_held_open,
    "door_tailgating": door_tailgating,
    "door_duress": door_duress,
    "repeated_denials": repeated_denials,
    "credential_shared": credential_shared,
    "stranger_loitering": stranger_loitering,
    "care_no_activity": care_no_activity,
    "rental_occupancy": rental_occupancy,
    "ebike_in_elevator": ebike_in_elevator,
    "ebike_corridor_parking": ebike_corridor_parking,
    "ebike_indoor_charging": ebike_indoor_charging,
    "charger_over_temp": charger_over_temp,
    "charger_alarm": charger_alarm,
    "camera_tamper": camera_tamper,
    "device_offline": device_offline,
    "unknown_device": unknown_device,
    "object_thrown": object_thrown,
}
