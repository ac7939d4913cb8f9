"""Timeline contract: the same queries give the same rows from the SQLite store and from InfluxDB
(written by the sink), and those rows are exactly what the filters describe."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ingest.event import parse_ts_ms
from tests.timeline.conftest import DAY_MS, START_MS, World
from zhian.timeline.influx import InfluxTimeline
from zhian.timeline.model import TimelineBackend, TimelineQuery, run_query
from zhian.timeline.output import as_dict
from zhian.timeline.sqlite import SqliteTimeline

pytestmark = pytest.mark.influx

def backends(world: World) -> list[TimelineBackend]:
    return [SqliteTimeline(world.store, world.registry), InfluxTimeline(world.target)]


# ---- an independent reading of the raw store: what each query must return ----------------------


def raw_events(world: World) -> list[dict[str, Any]]:
    return world.events


def raw_alerts(world: World) -> list[dict[str, Any]]:
    return world.alerts


def expected_events(world: World, q: TimelineQuery) -> set[tuple[str, str]]:
    out = set()
    for ev in raw_events(world):
        if not q.start_ms <= ev["ts"] < q.end_ms:
            continue
        dev = world.registry.get(ev["device"])
        where = {"building": dev.building, "unit": dev.unit, "floor": dev.floor, "zone": dev.zone} if dev else {}
        if any(where.get(k) != v for k, v in q.location.items()):
            continue
        if q.device is not None and ev["device"] != q.device:
            continue
        if q.subject is not None and (ev.get("subject") or {}).get("id") != q.subject:
            continue
        if q.community is not None and q.community != "cyl":
            continue
        out.add((ev["device"], ev["id"]))
    return out


def expected_alerts(world: World, q: TimelineQuery) -> set[tuple[str, str, int]]:
    out = set()
    for a in raw_alerts(world):
        loc = a["location"]
        if not q.start_ms <= parse_ts_ms(a["ts"]) < q.end_ms:
            continue
        if any(loc.get(k) != v for k, v in q.location.items()) or (q.community and loc["community"] != q.community):
            continue
        if (q.device is not None and a["device"] != q.device) or (q.subject is not None and a["subject"] != q.subject):
            continue
        if q.rule is not None and a["rule"] != q.rule:
            continue
        out.add((a["alert"], a["state"], a["count"]))
    return out


ALL = TimelineQuery(START_MS - DAY_MS, START_MS + 3 * DAY_MS)
QUERIES = {
    "everything": ALL,
    "building 4": replace(ALL, building="4"),
    "building 3 unit 1 floor 12": replace(ALL, building="3", unit="1", floor=12),
    "zone lobby": replace(ALL, zone="lobby"),
    "zone gate, six hours": replace(ALL, zone="gate", start_ms=START_MS + DAY_MS // 4,
                                    end_ms=START_MS + DAY_MS // 2),
    "device lobby-3-1": replace(ALL, device="lobby-3-1"),
    "unregistered device": replace(ALL, device="ghost-9"),
    "community cyl, building 3 unit 1": replace(ALL, community="cyl", building="3", unit="1"),
    "another community": replace(ALL, community="xyz"),
    "subject": replace(ALL, subject="r-same"),
    "nothing in range": replace(ALL, start_ms=START_MS - 2 * DAY_MS, end_ms=START_MS - DAY_MS),
}


@pytest.mark.parametrize("backend_index", [0, 1], ids=["sqlite", "influx"])
@pytest.mark.parametrize("name", list(QUERIES))
def test_rows_are_what_the_filters_say(world: World, name: str, backend_index: int) -> None:
    q = QUERIES[name]
    backend = backends(world)[backend_index]
    t = run_query(backend, q)
    assert {(e.device, e.id) for e in t.events} == expected_events(world, q)
    assert {(a.payload["alert"], a.payload["state"], a.payload["count"]) for a in t.alerts} == expected_alerts(world, q)
    assert len(t.events) == len({(e.device, e.id) for e in t.events}), "no event twice"
    assert [e.sort_key() for e in t.events] == sorted(e.sort_key() for e in t.events)


@pytest.mark.parametrize("name", list(QUERIES))
def test_both_stores_return_the_same_rows(world: World, name: str) -> None:
    tz = world.registry.community.tz
    sqlite_t, influx_t = (run_query(b, QUERIES[name]) for b in backends(world))
    assert [as_dict(e, tz) for e in sqlite_t.events] == [as_dict(e, tz) for e in influx_t.events]
    assert [as_dict(a, tz) for a in sqlite_t.alerts] == [as_dict(a, tz) for a in influx_t.alerts]


def test_the_data_holds_what_the_contract_needs(world: World) -> None:
    rules = {a["rule"] for a in raw_alerts(world)}
    assert len(rules) >= 3, rules
    assert expected_events(world, QUERIES["subject"]), "the subject query finds something"
    assert expected_events(world, QUERIES["building 3 unit 1 floor 12"])


def test_a_rule_gives_its_alerts_and_their_evidence(world: World) -> None:
    rule = max({a["rule"] for a in raw_alerts(world) if a["evidence"]})
    q = replace(ALL, rule=rule)
    results = [run_query(b, q) for b in backends(world)]
    for t in results:
        assert t.alerts and {a.payload["rule"] for a in t.alerts} == {rule}
        cited = {e for a in t.alerts for e in a.payload["evidence"]}
        assert {e.id for e in t.events} == cited
    tz = world.registry.community.tz
    assert [as_dict(e, tz) for e in results[0].events] == [as_dict(e, tz) for e in results[1].events]


def test_same_millisecond_and_unregistered_device_round_trip(world: World) -> None:
    q = replace(ALL, device="lobby-3-1", start_ms=START_MS + DAY_MS // 2, end_ms=START_MS + DAY_MS // 2 + 1)
    for backend in backends(world):
        ids = [e.id for e in run_query(backend, q).events]
        assert ids == ["lobby-3-1-same-a", "lobby-3-1-same-b"], backend.name
        ghost = run_query(backend, replace(ALL, device="ghost-9")).events
        assert [(e.device, e.type, e.building) for e in ghost] == [("ghost-9", "zhian.unknown_device", None)]
