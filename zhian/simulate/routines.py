"""Normal life of one community day: residents' trips, visitors, couriers, staff rounds.

Every door.opened here follows its grant by 0.8–3.5 s and closes within 15 s; benign
denials are one or two in a row; only registered occupants use rental locks.
"""

from __future__ import annotations

import random
from typing import Any

from zhian.simulate.clock import HOUR, MINUTE, SECOND
from zhian.simulate.model import Ev, Subj, passage
from zhian.simulate.world import Person, World

DENIAL_RATE = 0.025


class Batch:
    """Normal events of one chunk: door passages as all-or-nothing groups, the rest single."""

    def __init__(self) -> None:
        self.groups: list[tuple[list[Ev], tuple[str, ...]]] = []
        self.singles: list[Ev] = []

    def single(
        self,
        ts: int,
        device: str,
        type_: str,
        subject: Subj | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Add one standalone event."""
        self.singles.append((ts, device, type_, subject, data))

    def group(self, events: list[Ev]) -> None:
        """Add events that must be kept or dropped together (a door passage)."""
        keys = {"d:" + e[1] for e in events}
        for e in events:
            if e[3] is not None:
                keys.add("s:" + e[3][0])
            if e[2] == "access.denied":
                keys.add("n:" + e[1])
        self.groups.append((events, tuple(sorted(keys))))


class DayLife:
    """Produces one day of people's movements into a Batch."""

    def __init__(self, world: World, day_ms: int, weekend: bool, rng: random.Random, batch: Batch):
        self.w, self.day, self.weekend, self.rng, self.out = world, day_ms, weekend, rng, batch
        self.track = 0

    def at(self, lo_h: float, hi_h: float) -> int:
        """A uniform time of day between two hours, in epoch ms."""
        return self.day + int(self.rng.uniform(lo_h, hi_h) * HOUR)

    def run(self) -> None:
        """All of the day's life."""
        for person in self.w.people:
            for out_ms, back_ms, ride in self.trips(person):
                self.leave(person, out_ms, ride)
                self.come_back(person, back_ms, ride)
        self.visitors()
        self.couriers()
        self.staff()
        self.wanderers()

    # ---- routines -------------------------------------------------------------------
    def trips(self, p: Person) -> list[tuple[int, int, bool]]:
        """(leave lobby, back at gate, with bicycle) of the day, in order, never overlapping."""
        r, at = self.rng, self.at

        def trip(lo_h: float, hi_h: float, min_len: int, max_len: int) -> tuple[int, int]:
            out_ms = at(lo_h, hi_h)
            return out_ms, out_ms + r.randint(min_len, max_len) * MINUTE

        plan: list[tuple[int, int]] = []
        persona = p.persona
        if persona == "commuter" and not self.weekend:
            plan.append((at(7, 9), at(17.5, 20.5)))
            if r.random() < 0.3:
                plan.append(trip(20.6, 21, 30, 60))
        elif persona == "student" and not self.weekend:
            plan.append((at(6.8, 7.6), at(16.5, 18.5)))
        elif persona == "retiree":
            # A watched elder goes out four times a day, so a silence means something.
            watched = p.id in self.w.watch
            plan.append(trip(6, 7.5, 30, 80))
            if watched or r.random() < 0.7:
                plan.append(trip(9.5, 10.5, 45, 120))
            if watched or r.random() < 0.8:
                plan.append(trip(15, 16.5, 45, 90))
            if watched:
                plan.append(trip(19, 19.5, 30, 60))
        else:  # homebodies, and everyone at the weekend
            if r.random() < 0.7:
                plan.append(trip(9.5, 12, 60, 180))
            if r.random() < 0.5:
                plan.append(trip(15, 18, 60, 150))
            if r.random() < 0.25:
                plan.append(trip(20.6, 21, 30, 60))
        trips: list[tuple[int, int, bool]] = []
        last_back = 0
        for out_ms, back_ms in plan:
            if out_ms < last_back + 10 * MINUTE or back_ms < out_ms + 30 * MINUTE:
                continue
            trips.append((out_ms, back_ms, p.bike and r.random() < 0.5))
            last_back = back_ms + 10 * MINUTE
        return trips

    def leave(self, p: Person, t: int, ride: bool) -> None:
        """Home → corridor → elevator → lobby (at `t`) → gate."""
        r, home = self.rng, p.home
        if home is not None:
            if home.lock:
                self.door(home.lock, t - 100 * SECOND, p, "out", denials_ok=False)
            for cam in home.floorcams:
                self.seen(cam, t - 80 * SECOND, "person")
            if home.elevcams:
                self.ride(home.elevcams[0], t - 55 * SECOND, ride)
            if home.lobby:
                self.door(home.lobby, t, p, "out")
        gate = self.gate(p)
        if gate:
            self.door(gate, t + r.randint(60, 200) * SECOND, p, "out")

    def come_back(self, p: Person, t: int, ride: bool) -> None:
        """Gate (at `t`) → lobby → elevator → corridor → home."""
        r, home = self.rng, p.home
        gate = self.gate(p)
        if gate:
            self.door(gate, t, p, "in")
        if home is not None:
            lobby_ms = t + r.randint(60, 200) * SECOND
            if home.lobby:
                self.door(home.lobby, lobby_ms, p, "in")
            if home.elevcams:
                self.ride(home.elevcams[0], lobby_ms + 20 * SECOND, ride)
            for cam in home.floorcams:
                self.seen(cam, lobby_ms + 70 * SECOND, "person")
            if home.lock:
                self.door(home.lock, lobby_ms + 90 * SECOND, p, "in", denials_ok=False)

    def visitors(self) -> None:
        """Friends and family with QR codes: in at a gate and a lobby, out hours later."""
        r, w = self.rng, self.w
        for _ in range(max(2, len(w.people) // 10)):
            sid = f"v-{r.getrandbits(32):08x}"
            me: Subj = (sid, "visitor", "qr")
            host = w.people[r.randrange(len(w.people))].home
            arrive, stay = self.at(10, 20), r.randint(30, 180) * MINUTE
            gate = w.gates[r.randrange(len(w.gates))] if w.gates else None
            expired = r.random() < 0.05
            if gate:
                self.group(
                    passage(
                        gate,
                        arrive,
                        (sid, "visitor", "remote") if expired else me,
                        "in",
                        denials=((r.randint(20, 50) * SECOND, "expired", me),) if expired else (),
                    )
                )
                self.group(passage(gate, arrive + stay + 150 * SECOND, me, "out"))
            if host is not None and host.lobby:
                self.group(passage(host.lobby, arrive + 120 * SECOND, me, "in"))
                self.group(passage(host.lobby, arrive + stay, me, "out"))
                if host.elevcams:
                    self.ride(host.elevcams[0], arrive + 140 * SECOND, False)

    def couriers(self) -> None:
        """Daytime couriers: the gate does not know their face; the guard opens remotely."""
        r = self.rng
        for gate in self.w.gates:
            for _ in range(r.randint(3, 6)):
                fid = f"f-{r.getrandbits(40):010x}"
                t = self.at(8.5, 19.5)
                self.group(
                    passage(
                        gate,
                        t,
                        (fid, "visitor", "remote"),
                        "in",
                        denials=(
                            (r.randint(20, 60) * SECOND, "unknown_face", (fid, "stranger", "face")),
                        ),
                    )
                )
                self.group(
                    passage(gate, t + r.randint(5, 15) * MINUTE, (fid, "visitor", "remote"), "out")
                )

    def staff(self) -> None:
        """Property staff: in by 08:10, cleaning rounds through lobbies, out by 17:40."""
        r, w = self.rng, self.w
        for s in w.staff:
            if s.gate:
                self.door(s.gate, self.at(7.5, 8.1), s, "in")
                self.door(s.gate, self.at(17, 17.6), s, "out")
            if not w.lobbies:
                continue
            for _ in range(r.randint(3, 5)):
                lobby = w.lobbies[r.randrange(len(w.lobbies))]
                t = self.at(8.5, 15.5)
                self.door(lobby, t, s, "in")
                self.door(lobby, t + r.randint(10, 30) * MINUTE, s, "out")

    def wanderers(self) -> None:
        """People seen without passing a door: neighbours visiting, stairs users."""
        r = self.rng
        for cam in self.w.elevcams:
            for _ in range(30):
                self.ride(cam, self.at(7, 23), r.random() < 0.05)
        for cam in self.w.floorcams:
            for _ in range(12 if self.w.device(cam).zone == "corridor" else 6):
                self.seen(cam, self.at(7, 22.5), "person")

    # ---- building blocks --------------------------------------------------------------
    def subject(self, p: Person) -> Subj:
        """The person as an event subject."""
        return (p.id, p.kind, p.credential)

    def gate(self, p: Person) -> str | None:
        """Usually the person's own gate, sometimes another."""
        gates = self.w.gates
        if not gates:
            return None
        if p.gate and self.rng.random() < 0.8:
            return p.gate
        return gates[self.rng.randrange(len(gates))]

    def door(self, door: str, t: int, p: Person, direction: str, denials_ok: bool = True) -> None:
        """A passage, with a benign denial now and then (expired card or unrecognised face)."""
        r, me = self.rng, self.subject(p)
        denials: tuple[tuple[int, str, Subj], ...] = ()
        if denials_ok and r.random() < DENIAL_RATE:
            if r.random() < 0.7:
                who: Subj = (f"f-{r.getrandbits(40):010x}", "unknown", "face")
                reason = "unknown_face"
            else:
                who, reason = (p.id, p.kind, "card"), "expired"
                me = (p.id, p.kind, "face")
            denials = ((r.randint(4, 9) * SECOND, reason, who),)
            if r.random() < 0.2:
                denials = ((r.randint(12, 18) * SECOND, reason, who), *denials)
        self.group(
            passage(door, t, me, direction, r.randint(800, 3500), r.randint(3000, 12000), denials)
        )

    def group(self, events: list[Ev]) -> None:
        """Add a passage."""
        self.out.group(events)

    def seen(self, cam: str, t: int, label: str) -> None:
        """One or two detections of an object walking past a camera."""
        r = self.rng
        self.track += 1
        track = f"t{self.track}"
        for i in range(r.randint(1, 2)):
            self.out.single(
                t + i * 3 * SECOND,
                cam,
                "object.detected",
                None,
                {"label": label, "confidence": round(r.uniform(0.75, 0.97), 2), "track": track},
            )

    def ride(self, cam: str, t: int, bike: bool) -> None:
        """An elevator ride: a person, maybe a bicycle, rarely mistaken for an e-bike (< 0.6)."""
        r = self.rng
        self.seen(cam, t, "person")
        if bike:
            self.track += 1
            track = f"t{self.track}"
            self.out.single(
                t + 2 * SECOND,
                cam,
                "object.detected",
                None,
                {"label": "bicycle", "confidence": round(r.uniform(0.7, 0.93), 2), "track": track},
            )
            if r.random() < 0.15:
                self.out.single(
                    t + 4 * SECOND,
                    cam,
                    "object.detected",
                    None,
                    {
                        "label": "ebike",
                        "confidence": round(r.uniform(0.3, 0.58), 2),
                        "track": track,
                    },
                )
