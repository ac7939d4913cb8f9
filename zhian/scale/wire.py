"""What travels on the Kafka topics: input records, control records and output records.

Input (`zhian-events`): key = community id, partition = `partition_of(community)`,
value = one traffic line, the same `{"topic": …, "payload": …}` that `zhian replay`
reads, so a replay file and the MQTT bridge produce identical records. A value
`{"control": "advance", "watermark_ms": W}` moves a community's watermark (idle
sources); `{"control": "flush"}` is a replay's end of input. Controls are in the log,
so reprocessing the topic gives the same alerts.

Output (`zhian-alerts`): key and partition as the input's, value = one engine output
with its replay-stable number and the messages it publishes:
`{"community": c, "n": n, "messages": [[topic, payload], …]}`; after a flush,
`{"community": c, "flushed": true, "n": last n}`. The pair (community, n) identifies an
output: a failover may deliver one twice, and sinks keep the first.
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson

from ingest.decode import EVENTS_TOPIC_RE

EVENTS_TOPIC = "zhian-events"
ALERTS_TOPIC = "zhian-alerts"
NO_COMMUNITY = "-"  # key of lines whose topic names no community: still counted as rejects


def partition_of(key: str, partitions: int) -> int:
    """The input partition of a community: CRC-32 of its id modulo the partition count.

    Every producer of the input topic must place a community on the same partition (two
    partitions would mean two engines for one community); an explicit, documented
    function makes that checkable, where client libraries' default partitioners differ.
    """
    return zlib.crc32(key.encode()) % partitions


def community_of(topic: object) -> str:
    """The community id an MQTT events topic names, or NO_COMMUNITY."""
    if isinstance(topic, str) and len(topic) <= 128:
        match = EVENTS_TOPIC_RE.fullmatch(topic)
        if match is not None:
            return match.group(1)
    return NO_COMMUNITY


def key_of_line(line: bytes) -> str:
    """The partitioning key of a traffic line: its community (lines that do not parse
    go under NO_COMMUNITY, where the worker counts them as `bad_line`)."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return NO_COMMUNITY
    return community_of(obj.get("topic")) if isinstance(obj, dict) else NO_COMMUNITY


def control(kind: str, **fields: Any) -> bytes:
    """An input control record (`advance` with `watermark_ms`, or `flush`)."""
    return orjson.dumps({"control": kind, **fields})


def output_record(community: str, n: int, messages: list[tuple[str, Any]]) -> bytes:
    """The value of one output record."""
    return orjson.dumps({"community": community, "n": n, "messages": messages})


def flushed_record(community: str, n: int) -> bytes:
    """The marker written after a community processed a flush control."""
    return orjson.dumps({"community": community, "flushed": True, "n": n})
