"""Building blocks shared by incidents and near misses: device choice, subjects, sightings."""

from __future__ import annotations

import zlib
from collections.abc import Callable

from zhian.simulate.clock import MINUTE, SECOND
from zhian.simulate.model import Incident, Subj
from zhian.simulate.world import World

Builder = Callable[..., Incident]


def tag(at_ms: int, salt: str, digits: int = 10) -> str:
    """A short hex tag derived from a time and a salt (stable ids for strangers, tracks)."""
    return f"{zlib.crc32(f'{salt}:{at_ms}'.encode()) & (16**digits - 1):0{digits}x}"


def pick(options: tuple[str, ...], what: str, choice: str | None = None, index: int = 0) -> str:
    """`choice` if given, else the `index`-th option (wrapping); LookupError when there is none."""
    if choice is not None:
        return choice
    if not options:
        raise LookupError(f"the compound has no {what}")
    return options[index % len(options)]


def entry_door(world: World, device: str | None) -> str:
    """A lobby door, or a gate in a compound without lobbies."""
    return pick(world.lobbies or world.gates, "lobby or gate door", device)


def plain_resident(world: World, subject: str | None, index: int = 7) -> str:
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


def subject_of(world: World, subject: str, credential: str | None = None) -> Subj:
    """A person of the population as an event subject, optionally with another credential."""
    p = world.person(subject)
    return (p.id, p.kind, credential or p.credential)


def home_door(world: World, subject: str) -> str:
    """The lobby of a person's home, or a gate."""
    p = world.person(subject)
    if p.home is not None and p.home.lobby:
        return p.home.lobby
    return pick(world.gates or world.lobbies, "door")


def ebike_seen(inc: Incident, cam: str, times: list[int], confidence: float, track: str) -> None:
    """E-bike detections of one track at `times`, confidence in [confidence, confidence + 0.04]."""
    for i, t in enumerate(times):
        conf = round(confidence + 0.04 * ((i * 7) % 5) / 4, 2)
        inc.add(
            t, cam, "object.detected", None, {"label": "ebike", "confidence": conf, "track": track}
        )


def sightings(
    at_ms: int, until_ms: int, steps_s: tuple[int, ...] = (25, 40, 30, 55, 35)
) -> list[int]:
    """Detection times from `at_ms` to `until_ms` with gaps of 25–55 s (never > 120 s)."""
    out, t, i = [], at_ms, 0
    while t <= until_ms:
        out.append(t)
        t += steps_s[i % len(steps_s)] * SECOND
        i += 1
    if out[-1] != until_ms:
        out.append(until_ms)
    return out


def parking_camera(world: World, device: str | None) -> str:
    """A corridor or stairwell camera, preferring one without a socket on its floor."""
    # Without a socket on its floor the parking alert stands alone, with no charging join.
    lonely = tuple(c for c in world.floorcams if not world.sockets_near(c))
    return pick(lonely or world.floorcams, "corridor or stairwell camera", device)


def quiet_sockets(
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
            power = high[2] if high is not None and high[0] <= t < high[1] else 6.5
            inc.add(t, sock, "socket.power", None, {"power_w": power})
        inc.reserve("d:" + sock, lo, hi + 1)


def charging_pair(world: World, device: str | None) -> tuple[str, str]:
    """A corridor camera with a socket on its floor, and that socket."""
    cams = tuple(c for c in world.floorcams if world.sockets_near(c))
    cam = pick(cams, "corridor camera with a socket on its floor", device)
    return cam, world.sockets_near(cam)[0]


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


def offline_candidate(world: World, device: str | None, index: int = 0) -> str:
    """A device to take offline, preferring those that only beat (elevators, smoke detectors)."""
    quiet = [d.id for d in world.registry.devices if d.type in ("elevator", "smoke")]
    rest = [d.id for d in world.registry.devices if d.id not in quiet]
    return pick(tuple(quiet + rest), "device", device, index)
