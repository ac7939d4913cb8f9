"""Injectors: one incident per rule of the default pack, each with the alert it must raise.

Each builder is pure: `(world, at_ms, device=None, …) -> Incident`. `at_ms` is when the
incident happens (for timers, when it starts); the truth's `ts_ms` is the alert's event
time as PRODUCT.md defines it. Reservations keep normal traffic from blurring the incident.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from zhian.simulate.clock import HOUR, MINUTE, SECOND, is_night
from zhian.simulate.model import Incident, Subj, passage, truth
from zhian.simulate.world import PORTS_PER_CHARGER, World

Builder = Callable[..., Incident]


def _hex(at_ms: int, salt: str, digits: int = 10) -> str:
    return f"{zlib.crc32(f'{salt}:{at_ms}'.encode()) & (16**digits - 1):0{digits}x}"


def _pick(options: tuple[str, ...], what: str, choice: str | None = None, index: int = 0) -> str:
    if choice is not None:
        return choice
    if not options:
        raise LookupError(f"the compound has no {what}")
    return options[index % len(options)]


def _door(world: World, device: str | None) -> str:
    return _pick(world.lobbies or world.gates, "lobby or gate door", device)


def _resident(world: World, subject: str | None, index: int = 7) -> str:
    """A resident who is neither watched nor a rental occupant (their silences mean things)."""
    if subject is not None:
        return subject
    rented = {s for ids in world.occupants.values() for s in ids}
    plain = [
        p.id
        for p in world.people
        if p.kind == "resident" and p.id not in world.watch and p.id not in rented
    ]
    return plain[index % len(plain)]


def _me(world: World, subject: str, credential: str | None = None) -> Subj:
    p = world.person(subject)
    return (p.id, p.kind, credential or p.credential)


# ---- doors --------------------------------------------------------------------------------
def door_forced(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A lobby door pried open: door.opened with no grant (the terminal also says door.forced)."""
    door = _door(world, device)
    inc = Incident("door_forced", f"{door} forced open without a grant")
    inc.add(at_ms, door, "door.opened")
    inc.add(at_ms + 300, door, "door.forced")
    inc.add(at_ms + 25 * SECOND, door, "door.closed")
    inc.reserve("d:" + door, at_ms - MINUTE, at_ms + MINUTE)
    inc.truth.append(truth("door_forced", at_ms, device=door))
    return inc


def door_held_open(world: World, at_ms: int, device: str | None = None) -> Incident:
    """Furniture moving: granted, opened 2 s later, closed after 200 s (alert at open + 120 s)."""
    door = _pick(world.lobbies or world.gates, "lobby or gate door", device, 1)
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
    door = _pick(world.gates or world.lobbies, "gate", device)
    sid = _resident(world, None, 3)
    inc = Incident("door_tailgating", f"someone tailgated {sid} through {door}")
    inc.events += passage(
        door, at_ms, _me(world, sid), "in", open_after_ms=2 * SECOND, open_for_ms=9 * SECOND
    )
    inc.add(at_ms + 5 * SECOND, door, "door.tailgating")
    inc.reserve("d:" + door, at_ms - MINUTE, at_ms + MINUTE)
    inc.truth.append(truth("door_tailgating", at_ms + 5 * SECOND, device=door))
    return inc


def door_duress(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A resident under threat uses the duress finger: granted, door.duress, the door opens."""
    door = _door(world, device)
    sid = _resident(world, None, 5)
    me = _me(world, sid, "fingerprint")
    inc = Incident("door_duress", f"{sid} used the duress fingerprint at {door}")
    inc.events += passage(door, at_ms, me, "in", open_after_ms=2 * SECOND, open_for_ms=7 * SECOND)
    inc.add(at_ms + 200, door, "door.duress", me)
    inc.reserve("d:" + door, at_ms - MINUTE, at_ms + MINUTE)
    inc.truth.append(truth("door_duress", at_ms + 200, device=door))
    return inc


# ---- denials and credentials ------------------------------------------------------------------
def repeated_denials(world: World, at_ms: int, device: str | None = None) -> Incident:
    """Someone tries six cards in 45 s by day: the 5th denial within 60 s raises."""
    door = _pick(world.gates or world.lobbies, "gate", device, 1)
    card: Subj = (f"c-{_hex(at_ms, 'card')}", "unknown", "card")
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
    sid = _resident(world, subject, 11)
    me = _me(world, sid, "card")
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
    door = _pick(world.gates or world.lobbies, "gate", device)
    face: Subj = (f"f-{_hex(at_ms, 'stranger')}", "stranger", "face")
    inc = Incident("stranger_loitering", f"a stranger tried {door} three times at night")
    for t in (at_ms - 16 * MINUTE, at_ms - 8 * MINUTE, at_ms):
        inc.add(t, door, "access.denied", face, {"reason": "unknown_face"})
    inc.reserve("n:" + door, at_ms - 45 * MINUTE, at_ms + 35 * MINUTE)
    inc.truth.append(truth("stranger_loitering", at_ms, device=door))
    return inc


# ---- people and homes -------------------------------------------------------------------------
def _home_door(world: World, subject: str) -> str:
    p = world.person(subject)
    if p.home is not None and p.home.lobby:
        return p.home.lobby
    return _pick(world.gates or world.lobbies, "door")


def care_no_activity(world: World, at_ms: int, subject: str | None = None) -> Incident:
    """A watched elder comes home at `at_ms` and is not seen for max_quiet_h + 1 h."""
    sid = _pick(tuple(world.watch), "watchlist entry", subject)
    quiet_ms = int(world.watch[sid] * HOUR)
    door = _home_door(world, sid)
    me = _me(world, sid)
    back = at_ms + quiet_ms + HOUR
    inc = Incident("care_no_activity", f"{sid} not seen for {world.watch[sid]:g} h after {door}")
    inc.events += passage(door, at_ms, me, "in") + passage(door, back, me, "out")
    inc.reserve("s:" + sid, at_ms + 1, back)
    inc.truth.append(truth("care_no_activity", at_ms + quiet_ms, subject=sid))
    return inc


def rental_occupancy(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A rental home's registered occupants come in, then one more person unlocks it."""
    lock = _pick(world.locks, "rental lock with occupants", device)
    inc = Incident("rental_occupancy", f"{lock}: one more person than its registered occupants")
    # The occupants themselves come home first, so the incident stands alone (live mode).
    for i, sid in enumerate(world.occupants.get(lock, ())):
        t = at_ms - (i + 1) * 7 * MINUTE
        inc.events += passage(lock, t, _me(world, sid), "in")
        inc.reserve("s:" + sid, t - MINUTE, t + MINUTE)
    extra: Subj = (f"t-{_hex(at_ms, 'sublet', 8)}", "tenant", "pin")
    inc.events += passage(lock, at_ms, extra, "in")
    inc.reserve("d:" + lock, at_ms - MINUTE, at_ms + MINUTE)
    inc.truth.append(truth("rental_occupancy", at_ms, device=lock))
    return inc


# ---- e-bikes ----------------------------------------------------------------------------------
def _ebike_seen(inc: Incident, cam: str, times: list[int], confidence: float, track: str) -> None:
    for i, t in enumerate(times):
        conf = round(confidence + 0.04 * ((i * 7) % 5) / 4, 2)
        inc.add(
            t, cam, "object.detected", None, {"label": "ebike", "confidence": conf, "track": track}
        )


def _every(at_ms: int, until_ms: int, steps_s: tuple[int, ...] = (25, 40, 30, 55, 35)) -> list[int]:
    """Detection times from `at_ms` to `until_ms` with gaps of 25–55 s (never > 120 s)."""
    out, t, i = [], at_ms, 0
    while t <= until_ms:
        out.append(t)
        t += steps_s[i % len(steps_s)] * SECOND
        i += 1
    if out[-1] != until_ms:
        out.append(until_ms)
    return out


def ebike_in_elevator(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An e-bike wheeled into an elevator: four sure detections over 15 s."""
    cam = _pick(world.elevcams, "elevator camera", device)
    inc = Incident("ebike_in_elevator", f"an e-bike carried into the elevator of {cam}")
    track = f"e{_hex(at_ms, 'elev', 6)}"
    inc.add(
        at_ms - 2 * SECOND,
        cam,
        "object.detected",
        None,
        {"label": "person", "confidence": 0.93, "track": track + "p"},
    )
    _ebike_seen(
        inc, cam, [at_ms, at_ms + 4 * SECOND, at_ms + 9 * SECOND, at_ms + 15 * SECOND], 0.82, track
    )
    inc.truth.append(truth("ebike_in_elevator", at_ms, device=cam))
    return inc


def _parking_cam(world: World, device: str | None) -> str:
    # Prefer a camera without a socket on its floor: parking alone, no charging join.
    lonely = tuple(c for c in world.floorcams if not world.sockets_near(c))
    return _pick(lonely or world.floorcams, "corridor or stairwell camera", device)


def _quiet_sockets(
    inc: Incident,
    world: World,
    cam: str,
    lo: int,
    hi: int,
    high: tuple[int, int, float] | None = None,
) -> None:
    """Own the sockets near `cam` in [lo, hi): phone-level readings each minute, one high span."""
    for sock in world.sockets_near(cam):
        times = set(range(lo, hi, MINUTE))
        if high is not None:
            times.update((high[0], high[1]))
        for t in sorted(times):
            on = high is not None and high[0] <= t < high[1]
            inc.add(t, sock, "socket.power", None, {"power_w": high[2] if on else 6.5})
        inc.reserve("d:" + sock, lo, hi + 1)


def ebike_corridor_parking(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An e-bike parked in a corridor for 15 min (alert at first sighting + 10 min)."""
    cam = _parking_cam(world, device)
    inc = Incident("ebike_corridor_parking", f"an e-bike parked by {cam} for 15 min")
    _ebike_seen(inc, cam, _every(at_ms, at_ms + 15 * MINUTE), 0.74, f"e{_hex(at_ms, 'park', 6)}")
    _quiet_sockets(inc, world, cam, at_ms - 6 * MINUTE, at_ms + 20 * MINUTE)
    inc.truth.append(truth("ebike_corridor_parking", at_ms + 10 * MINUTE, device=cam))
    return inc


def _charging_pair(world: World, device: str | None) -> tuple[str, str]:
    cams = tuple(c for c in world.floorcams if world.sockets_near(c))
    cam = _pick(cams, "corridor camera with a socket on its floor", device)
    return cam, world.sockets_near(cam)[0]


def ebike_indoor_charging(world: World, at_ms: int, device: str | None = None) -> Incident:
    """An e-bike in a corridor plugged into the socket for 6 min, taken away before 10 min.

    The power starts 30 s after the first sighting; the alert is at that start + 5 min while
    parking is pending. The bike leaves at +6.5 min, so ebike_corridor_parking stays silent
    under either reading of "lasting 10 min" (the 120 s gap is over before +10 min).
    """
    cam, sock = _charging_pair(world, device)
    power_on, power_off = at_ms + 30 * SECOND, at_ms + 6 * MINUTE + 30 * SECOND
    inc = Incident("ebike_indoor_charging", f"an e-bike charged from {sock} by {cam}")
    _ebike_seen(
        inc, cam, _every(at_ms, at_ms + 6 * MINUTE + 30 * SECOND), 0.77, f"e{_hex(at_ms, 'chg', 6)}"
    )
    _quiet_sockets(
        inc, world, cam, at_ms - 6 * MINUTE, at_ms + 15 * MINUTE, (power_on, power_off, 236.0)
    )
    inc.truth.append(truth("ebike_indoor_charging", power_on + 5 * MINUTE, device=sock))
    return inc


# ---- chargers -------------------------------------------------------------------------------
def charger_session(
    inc: Incident, charger: str, port: int, temps: list[tuple[int, float, str]]
) -> None:
    """Telemetry of one port at the given (ts, temp_c, state)."""
    for t, temp, state in temps:
        watts = 260.0 if state == "charging" else 0.0
        inc.add(
            t,
            charger,
            "charger.telemetry",
            None,
            {
                "port": port,
                "power_w": watts,
                "current_a": round(watts / 221, 2),
                "voltage_v": 221.0,
                "temp_c": temp,
                "state": state,
            },
        )


def charger_temps(
    at_ms: int, peak: float, hold: tuple[float, ...], after: str
) -> list[tuple[int, float, str]]:
    """A port warming linearly from 40 °C to `peak` at `at_ms`, `hold` a minute apart, then cooling.

    Every reading before `at_ms` is below `peak` by at least (peak - 40) / 20.
    """
    out = [
        (at_ms + k * MINUTE, round(40 + (peak - 40) * (k + 20) / 20, 1), "charging")
        for k in range(-20, 0)
    ]
    out.append((at_ms, peak, "charging"))
    out += [(at_ms + k * MINUTE, temp, "charging") for k, temp in enumerate(hold, 1)]
    temp, k = out[-1][1], len(hold) + 1
    while temp > 38:
        temp = round(max(38.0, temp - 4.5), 1)
        out.append((at_ms + k * MINUTE, temp, after))
        k += 1
    return out


def charger_over_temp(
    world: World, at_ms: int, device: str | None = None, port: int = 3
) -> Incident:
    """A port overheats: 40 → 66 °C over 20 min, then the charger cuts it and it cools."""
    charger = _pick(world.chargers, "charger", device)
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
        else _pick(world.smokes, "charger or smoke detector")
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
    cam = _pick(cams, "camera", device, 1)
    inc = Incident("camera_tamper", f"{cam} occluded")
    inc.add(at_ms, cam, "camera.tamper", None, {"kind": "occluded"})
    inc.reserve("d:" + cam, at_ms, at_ms + 10 * MINUTE)
    inc.truth.append(truth("camera_tamper", at_ms, device=cam))
    return inc


def _offline_candidate(world: World, device: str | None, index: int = 0) -> str:
    # Prefer devices that only beat (elevators, smoke detectors), then the rest.
    quiet = [d.id for d in world.registry.devices if d.type in ("elevator", "smoke")]
    rest = [d.id for d in world.registry.devices if d.id not in quiet]
    return _pick(tuple(quiet + rest), "device", device, index)


def device_offline(world: World, at_ms: int, device: str | None = None) -> Incident:
    """A device beats at `at_ms`, then is silent for 3 × heartbeat_s + 5 min (alert at 3 ×)."""
    dev = _offline_candidate(world, device, 1)
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
    cam = _pick(world.facades, "facade camera", device)
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
