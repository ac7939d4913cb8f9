"""Sinks of the output topic: each (community, n) is delivered once.

After a failover a community's new worker re-sends the outputs of the records it
re-applied from the write-ahead Table; those it had already sent reach the topic twice.
Outputs of one community are sent in increasing n on one partition, in order, so a sink
only needs the last n it delivered per community to drop the repeats. A sink with
effects outside Kafka (the outbox, InfluxDB, MQTT) gets exactly-once effects when its
target also ignores an (community, n) it already holds, as the live outbox does.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

import orjson


class Deduper:
    """Remembers the last output number delivered per community (a dict or Faust Table)."""

    def __init__(self, delivered: MutableMapping[str, int] | None = None) -> None:
        self.delivered: MutableMapping[str, int] = delivered if delivered is not None else {}
        self.repeats = 0

    def first(self, community: str, n: int) -> bool:
        """True the first time (community, n) is seen; False for a repeat."""
        if n <= self.delivered.get(community, 0):
            self.repeats += 1
            return False
        self.delivered[community] = n
        return True


def alert_payloads(records: Iterable[bytes], deduper: Deduper | None = None) -> dict[str, list[dict[str, Any]]]:
    """Alert transitions per community from raw output records, repeats dropped, in order."""
    dedup = deduper if deduper is not None else Deduper()
    alerts: dict[str, list[dict[str, Any]]] = {}
    for raw in records:
        record = orjson.loads(raw)
        if "messages" not in record or not dedup.first(record["community"], record["n"]):
            continue
        topic = f"zhian/{record['community']}/alerts"
        alerts.setdefault(record["community"], []).extend(p for t, p in record["messages"] if t == topic)
    return alerts
