"""The Faust pipeline on a real Kafka: the same alerts as `zhian replay`, and a worker
killed with SIGKILL mid-stream loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from pathlib import Path

import orjson
import pytest

from tests.conftest import DEVICES
from tests.scale.conftest import OTHER, Worker, replay_alerts, simulated_day
from zhian.kafka_local import KafkaBroker
from zhian.scale.consume import read_outputs
from zhian.scale.loader import load_file
from zhian.scale.sink import Deduper, alert_payloads
from zhian.scale.wire import partition_of

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def outputs(kafka: KafkaBroker, communities: list[str]) -> list[bytes]:
    """Every output record once all communities have processed their flush."""
    return asyncio.run(read_outputs(kafka.bootstrap, flushed=communities, timeout_s=150))


def assert_repeats_identical(records: list[bytes]) -> None:
    """A (community, n) sent twice (after a failover) carries the same messages both times."""
    by_n: dict[tuple[str, int], set[bytes]] = defaultdict(set)
    for raw in records:
        record = orjson.loads(raw)
        if "messages" in record:
            by_n[(record["community"], record["n"])].add(orjson.dumps(record["messages"]))
    changed = [k for k, v in by_n.items() if len(v) > 1]
    assert not changed, f"outputs whose repeat differs: {changed[:5]}"


def test_faust_equals_replay(kafka: KafkaBroker, workers: list[Worker], tmp_path: Path) -> None:
    traffic = tmp_path / "day.jsonl"
    simulated_day(DEVICES, 3, traffic)
    expected = replay_alerts(traffic, DEVICES)
    assert len({a["rule"] for a in expected}) >= 10, "the day must exercise most rules"

    sink_file = tmp_path / "sink.jsonl"
    # no checkpoint during the day: the WAL holds every record, for the restart below
    first = Worker(kafka.bootstrap, [DEVICES], tmp_path, "w1", "--sink-jsonl", str(sink_file),
                   "--checkpoint-every", "1000000")
    workers.append(first)
    first.wait_for(lambda s: s["assigned"] == [0, 1], "partition assignment")
    counts = load_file(kafka.bootstrap, str(traffic), partitions=2)
    assert counts["cyl"] > 30_000

    records = outputs(kafka, ["cyl"])
    assert alert_payloads(records)["cyl"] == expected  # the same transitions, in the same order
    status = first.wait_for(lambda s: s["records"].get("cyl") == counts["cyl"] + 1, "all records")
    assert status["skipped"] == 0 and status["replayed"] == 0
    assert sink_lines(sink_file, len(expected)) == expected  # the sink agent delivers each once

    # A restarted worker rebuilds the quiet community from the Tables and re-sends every
    # output of the WAL; consumers and the sink agent drop all of them as repeats.
    first.stop()
    second = Worker(kafka.bootstrap, [DEVICES], tmp_path, "w2", "--sink-jsonl", str(sink_file))
    workers.append(second)
    status = second.wait_for(lambda s: s["replayed"] == counts["cyl"] + 1, "the rebuild of cyl")
    time.sleep(3)  # the sink agent sees the repeats
    records = outputs(kafka, ["cyl"])
    dedup = Deduper()
    assert alert_payloads(records, dedup)["cyl"] == expected
    assert dedup.repeats == status["outputs"] > len(expected) // 2
    assert_repeats_identical(records)
    assert sink_lines(sink_file, len(expected)) == expected


def sink_lines(path: Path, want: int) -> list[object]:
    """The sink file's alerts once it has `want` lines (or after 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        lines = path.read_bytes().splitlines() if path.exists() else []
        if len(lines) >= want or time.monotonic() > deadline:
            return [orjson.loads(line) for line in lines]
        time.sleep(0.1)


def test_failover_loses_and_duplicates_nothing(kafka: KafkaBroker, workers: list[Worker], tmp_path: Path) -> None:
    files = {"cyl": (DEVICES, tmp_path / "cyl.jsonl", 8), "hy-garden": (OTHER, tmp_path / "hy.jsonl", 4)}
    assert partition_of("cyl", 2) != partition_of("hy-garden", 2), "the two communities must not share a partition"
    expected = {}
    for community, (devices, path, seed) in files.items():
        simulated_day(devices, seed, path)
        expected[community] = replay_alerts(path, devices)
    both = [DEVICES, OTHER]
    a = Worker(kafka.bootstrap, both, tmp_path, "a")
    workers.append(a)
    a.wait_for(lambda s: s["assigned"] == [0, 1], "first assignment")
    b = Worker(kafka.bootstrap, both, tmp_path, "b")
    workers.append(b)
    # after the rebalance each worker owns one partition, so one community
    a.wait_for(lambda s: len(s["assigned"]) == 1, "rebalance to one partition")
    b.wait_for(lambda s: len(s["assigned"]) == 1, "rebalance to one partition")

    counts = {}
    for _, path, _ in files.values():
        counts.update(load_file(kafka.bootstrap, str(path), partitions=2))
    victim, survivor = (a, b) if a.status()["assigned"] == [partition_of("hy-garden", 2)] else (b, a)
    # both have work; the victim dies a third of the way through its community's day
    survivor.wait_for(lambda s: s["records"].get("cyl", 0) > 0, "work on cyl")
    victim.wait_for(lambda s: s["records"].get("hy-garden", 0) > counts["hy-garden"] // 3, "a third of hy-garden")
    before = victim.status()["records"]["hy-garden"]
    victim.kill()
    assert before < counts["hy-garden"], "the victim had finished before it was killed"

    records = outputs(kafka, list(files))
    dedup = Deduper()
    got = alert_payloads(records, dedup)
    for community in files:
        assert got[community] == expected[community], f"{community}: alerts differ from zhian replay"
    assert_repeats_identical(records)
    status = survivor.wait_for(lambda s: s["rebuilt"] >= 2, "the victim's community rebuilt from the Tables")
    print(f"victim applied {before} of {counts['hy-garden']} hy-garden records before SIGKILL; survivor: "
          f"{status['records']} applied, {status['replayed']} re-applied from the write-ahead Table, "
          f"{status['skipped']} redelivered records skipped; {dedup.repeats} repeated outputs dropped")
    assert status["assigned"] == [0, 1]
    # the survivor rebuilt hy-garden from its checkpoint and write-ahead entries and went on
    assert status["records"]["hy-garden"] + status["replayed"] + status["skipped"] > 0
