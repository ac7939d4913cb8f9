"""The generator's output is valid schema v1, unique, ordered and reproducible."""

from __future__ import annotations

from collections import Counter
from itertools import islice

from ingest.event import Event
from ingest.registry import Registry
from tests.simulate.conftest import MONDAY
from zhian.simulate.clock import HOUR
from zhian.simulate.generator import generate_traffic
from zhian.simulate.model import Traffic
from zhian.simulate.world import build_world


def test_every_payload_is_valid_and_on_its_device_topic(
    normal_day: list[Traffic], normal_events: list[Event]
) -> None:
    for (ts, topic, _), event in zip(normal_day, normal_events, strict=True):
        assert topic == f"zhian/cyl/{event.device}/events"
        assert event.ts_ms == ts


def test_ids_are_unique_per_device(normal_day: list[Traffic]) -> None:
    pairs = Counter((p["device"], p["id"]) for _, _, p in normal_day)
    assert pairs.most_common(1)[0][1] == 1
    assert max(len(p["id"]) for _, _, p in normal_day) <= 64


def test_traffic_is_in_time_order(normal_day: list[Traffic]) -> None:
    times = [ts for ts, _, _ in normal_day]
    assert times == sorted(times)
    assert MONDAY <= times[0] and times[-1] < MONDAY + 24 * HOUR


def test_both_timestamp_forms_and_every_device_appear(
    normal_day: list[Traffic], registry: Registry
) -> None:
    forms = {type(p["ts"]) for _, _, p in normal_day}
    assert forms == {int, str}
    assert all(p["ts"].endswith("+08:00") for _, _, p in normal_day if isinstance(p["ts"], str))
    assert {p["device"] for _, _, p in normal_day} == {d.id for d in registry.devices}


def test_a_day_has_the_life_of_a_compound(normal_day: list[Traffic]) -> None:
    types = Counter(p["type"] for _, _, p in normal_day)
    for kind in (
        "access.granted",
        "access.denied",
        "door.opened",
        "door.closed",
        "object.detected",
        "charger.telemetry",
        "socket.power",
        "device.heartbeat",
    ):
        assert types[kind] > 0, kind
    labels = Counter(p["data"]["label"] for _, _, p in normal_day if p["type"] == "object.detected")
    assert labels["person"] > 100 and labels["bicycle"] > 0
    kinds = {p["subject"]["kind"] for _, _, p in normal_day if "subject" in p}
    assert {"resident", "tenant", "visitor", "staff", "stranger"} <= kinds
    assert 20_000 < len(normal_day) < 200_000


def test_same_seed_same_traffic_other_seed_other_traffic(registry: Registry) -> None:
    def hours(seed: int) -> list[Traffic]:
        return list(islice(generate_traffic(registry, MONDAY + 7 * HOUR, 3 * HOUR, seed), 5000))

    assert hours(3) == hours(3)
    assert hours(3) != hours(4)


def test_population_is_sized_to_the_compound(registry: Registry) -> None:
    world = build_world(registry, 1)
    residents = [p for p in world.people if p.kind in ("resident", "tenant")]
    assert 150 <= len(residents) <= 200
    assert "r-00017" in {p.id for p in world.people}
    assert world.person("r-00017").persona == "retiree"
    assert {len(v) for v in world.occupants.values()} == {2, 3}
