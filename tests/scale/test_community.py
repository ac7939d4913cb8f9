"""The per-community runtime the Faust agent keeps, without Kafka: same outputs as a
replay, and a checkpoint taken anywhere continues exactly where it was."""

from __future__ import annotations

from pathlib import Path

import orjson

from ingest.registry import load_registry
from tests.conftest import DEVICES
from tests.scale.conftest import simulated_day
from zhian.pipeline import Pipeline, load_processors
from zhian.replay import replay
from zhian.scale.app import _wal_entry, _wal_value
from zhian.scale.community import CommunityRuntime
from zhian.scale.sink import Deduper, alert_payloads
from zhian.scale.wire import NO_COMMUNITY, control, key_of_line, output_record, partition_of


def run(rt: CommunityRuntime, lines: list[bytes]) -> list[tuple[int, list[object]]]:
    out: list[tuple[int, list[object]]] = []
    for line in lines:
        emitted, _ = rt.apply(line)
        out += [(n, [list(m) for m in messages]) for n, messages in rt.messages(emitted)]
    return out


def test_checkpoint_anywhere_continues_exactly(tmp_path: Path) -> None:
    traffic = tmp_path / "day.jsonl"
    simulated_day(DEVICES, 3, traffic)
    lines = [*traffic.read_bytes().splitlines(), control("flush")]
    registry = load_registry(DEVICES)
    processors = load_processors(registry, None)

    straight = run(CommunityRuntime(registry, processors), lines)
    assert len(straight) > 20

    # the in-process replay of the same file publishes the same messages
    pipeline = Pipeline(registry, processors)
    replayed: list[tuple[int, list[object]]] = []

    def out(item: object, message: tuple[str, object]) -> None:
        n = item.n  # type: ignore[attr-defined]
        if replayed and replayed[-1][0] == n:
            replayed[-1][1].append(list(message))
        else:
            replayed.append((n, [list(message)]))

    with traffic.open("rb") as stream:
        replay(stream, pipeline, out)
    assert orjson.loads(orjson.dumps(replayed)) == orjson.loads(orjson.dumps(straight))

    for cut in (1, 7_777, len(lines) // 2, len(lines) - 2):
        first = CommunityRuntime(registry, processors)
        head = run(first, lines[:cut])
        second = CommunityRuntime(registry, processors)
        second.restore(first.checkpoint())
        assert second.seq == cut
        assert head + run(second, lines[cut:]) == straight, f"checkpoint after {cut} records"


def test_write_ahead_entries_round_trip() -> None:
    records = [(5, b'{"topic": "a"}'), (9, b""), (12, b"with\nnewline and \xff bytes")]
    assert _wal_entry(_wal_value(3, 41, records)) == (3, 41, records)


def test_sink_keeps_the_first_of_each_output() -> None:
    a = [("zhian/c/alerts", {"alert": "a-1"})]
    b = [("zhian/c/alerts", {"alert": "a-2"}), ("zhian/c/dev/command", {"action": "hold_doors"})]
    records = [output_record("c", 1, a), output_record("c", 2, b), output_record("c", 1, a),
               output_record("c", 2, b), output_record("d", 1, [("zhian/d/alerts", {"alert": "d-1"})])]
    dedup = Deduper()
    assert alert_payloads(records, dedup) == {"c": [{"alert": "a-1"}, {"alert": "a-2"}], "d": [{"alert": "d-1"}]}
    assert dedup.repeats == 2


def test_keys_and_partitions() -> None:
    assert key_of_line(b'{"topic": "zhian/cyl/gate-1/events", "payload": {}}') == "cyl"
    assert key_of_line(b'{"topic": "elsewhere", "payload": {}}') == NO_COMMUNITY
    assert key_of_line(b"not json") == NO_COMMUNITY
    # CRC-32 is fixed by the wire format: a change would split communities across partitions
    assert [partition_of(c, 2) for c in ("cyl", "hy-garden")] == [1, 0]
    assert partition_of("cyl", 4) == 3
