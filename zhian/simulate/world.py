"""The compound as the simulator sees it: device roles from the registry and its population."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ingest.registry import Device, Registry

RESIDENTS_PER_UNIT = 80  # ~36 homes of a high-rise unit at ~2.2 people each
RESIDENTS_WITHOUT_UNITS = 120
PORTS_PER_CHARGER = 10  # devices.yaml does not say; a typical shed charger has 10
# Devices on the wire as IoT boards with integer epoch ms; the rest send RFC 3339.
EPOCH_MS_TYPES = frozenset({"charger", "socket", "smoke"})

Floor = tuple[str | None, str | None, int | None]


@dataclass(frozen=True, slots=True)
class Home:
    """Where a person lives and the devices on their way home."""

    building: str | None
    unit: str | None
    floor: int
    lobby: str | None
    elevcams: tuple[str, ...]
    floorcams: tuple[str, ...]
    lock: str | None


@dataclass(frozen=True, slots=True)
class Person:
    """One simulated person; `persona` picks the daily routine."""

    id: str
    kind: str  # resident | tenant | staff
    persona: str  # commuter | student | retiree | homebody | staff
    credential: str
    home: Home | None
    gate: str | None  # the gate they usually take
    bike: bool  # rides a bicycle some days (seen in elevators)


@dataclass(frozen=True, slots=True)
class World:
    """Registry-derived roles and the seeded population; built once, never mutated."""

    registry: Registry
    tz: ZoneInfo
    community: str
    gates: tuple[str, ...]
    lobbies: tuple[str, ...]
    locks: tuple[str, ...]
    elevcams: tuple[str, ...]
    floorcams: tuple[str, ...]
    sockets: tuple[str, ...]
    chargers: tuple[str, ...]
    smokes: tuple[str, ...]
    facades: tuple[str, ...]
    people: tuple[Person, ...]
    staff: tuple[Person, ...]
    occupants: dict[str, tuple[str, ...]]  # rental lock -> registered occupants' ids
    watch: dict[str, float]  # watched subject -> max_quiet_h

    def device(self, device_id: str) -> Device:
        """The registered device (KeyError when unknown)."""
        return self.registry.by_id[device_id]

    def heartbeat_ms(self, device_id: str) -> int:
        """The device's heartbeat interval in ms."""
        return self.registry.heartbeat_s(self.device(device_id)) * 1000

    def floor_of(self, device_id: str) -> Floor:
        """(building, unit, floor) of a device."""
        d = self.device(device_id)
        return d.building, d.unit, d.floor

    def sockets_near(self, camera: str) -> tuple[str, ...]:
        """Sockets on the same building, unit and floor as a corridor/stairwell camera."""
        where = self.floor_of(camera)
        return tuple(s for s in self.sockets if self.floor_of(s) == where)

    def person(self, subject: str) -> Person:
        """A person of the population by id (KeyError when unknown)."""
        for p in self.people:
            if p.id == subject:
                return p
        raise KeyError(subject)


def build_world(registry: Registry, seed: int) -> World:
    """Derive device roles and a population sized to the compound, deterministically."""
    devices = registry.devices

    def ids(pred: object) -> tuple[str, ...]:
        return tuple(d.id for d in devices if pred(d))  # type: ignore[operator]

    gates = ids(lambda d: d.type == "door" and d.zone == "gate")
    lobbies = ids(lambda d: d.type == "door" and d.zone == "lobby")
    # A household lock without `occupants` has no registered people to simulate.
    locks = ids(lambda d: d.type == "door" and d.zone == "household" and d.occupants is not None)
    elevcams = ids(lambda d: d.type == "camera" and d.zone == "elevator")
    floorcams = ids(lambda d: d.type == "camera" and d.zone in ("corridor", "stairwell"))
    facades = ids(
        lambda d: d.type == "camera" and ("throwing" in d.detectors or d.zone == "facade")
    )
    rng = random.Random(f"{seed}:population")
    people, occupants = _population(registry, rng)
    staff = tuple(
        Person(
            f"s-{i + 1:04d}",
            "staff",
            "staff",
            "card",
            None,
            gates[i % len(gates)] if gates else None,
            False,
        )
        for i in range(max(2, len(lobbies)))
    )
    return World(
        registry=registry,
        tz=registry.community.tz,
        community=registry.community.id,
        gates=gates,
        lobbies=lobbies,
        locks=locks,
        elevcams=elevcams,
        floorcams=floorcams,
        sockets=ids(lambda d: d.type == "socket"),
        chargers=ids(lambda d: d.type == "charger"),
        smokes=ids(lambda d: d.type == "smoke"),
        facades=facades,
        people=people,
        staff=staff,
        occupants=occupants,
        watch={w.subject: w.max_quiet_h for w in registry.watchlist},
    )


def _population(
    registry: Registry, rng: random.Random
) -> tuple[tuple[Person, ...], dict[str, tuple[str, ...]]]:
    devices = registry.devices
    gates = [d.id for d in devices if d.type == "door" and d.zone == "gate"]
    units: dict[tuple[str | None, str | None], dict[str, list[Device]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for d in devices:
        if d.building is not None:
            units[(d.building, d.unit)][f"{d.type}:{d.zone}"].append(d)
    homes_units = [u for u, roles in units.items() if roles.get("door:lobby")]
    watched = [w.subject for w in registry.watchlist]
    taken = set(watched)
    counter = iter(range(1, 10**6))

    def next_id() -> str:
        while True:
            sid = f"r-{next(counter):05d}"
            if sid not in taken:
                taken.add(sid)
                return sid

    def home_in(unit: tuple[str | None, str | None], floor: int, lock: str | None = None) -> Home:
        roles = units.get(unit, {})
        lobby = roles.get("door:lobby", [])
        floorcams = tuple(
            c.id
            for zone in ("camera:corridor", "camera:stairwell")
            for c in roles.get(zone, [])
            if c.floor == floor
        )
        return Home(
            unit[0],
            unit[1],
            floor,
            lobby[0].id if lobby else None,
            tuple(c.id for c in roles.get("camera:elevator", [])),
            floorcams,
            lock,
        )

    def person(sid: str, kind: str, persona: str, home: Home | None) -> Person:
        gate = gates[rng.randrange(len(gates))] if gates else None
        credential = rng.choice(("face", "face", "face", "card", "qr"))
        return Person(sid, kind, persona, credential, home, gate, rng.random() < 0.25)

    people: list[Person] = []
    occupants: dict[str, tuple[str, ...]] = {}
    for d in devices:
        if d.type == "door" and d.zone == "household" and d.occupants is not None:
            floor = d.floor if d.floor is not None else 2
            ids_ = []
            for _ in range(d.occupants):
                sid = next_id()
                persona = rng.choice(("commuter", "commuter", "student", "homebody"))
                people.append(
                    person(sid, "tenant", persona, home_in((d.building, d.unit), floor, d.id))
                )
                ids_.append(sid)
            occupants[d.id] = tuple(ids_)
    first_unit = homes_units[0] if homes_units else (None, None)
    for sid in watched:
        # A watched elder lives alone and goes out several times a day.
        people.append(
            Person(
                sid,
                "resident",
                "retiree",
                "face",
                home_in(first_unit, 3),
                gates[0] if gates else None,
                False,
            )
        )
    for unit in homes_units or [(None, None)]:
        count = RESIDENTS_PER_UNIT if homes_units else RESIDENTS_WITHOUT_UNITS
        top = max(
            [
                d.floor
                for group in units.get(unit, {}).values()
                for d in group
                if d.floor is not None
            ]
            + [18]
        )
        for _ in range(count):
            persona = rng.choices(("commuter", "student", "retiree", "homebody"), (50, 12, 20, 18))[
                0
            ]
            kind = "tenant" if rng.random() < 0.15 else "resident"
            people.append(person(next_id(), kind, persona, home_in(unit, rng.randint(2, top))))
    return tuple(people), occupants
