"""How the live processor cuts the inbox into batches: a stream into few large transactions,
a message after a quiet spell at once (LiveConfig.batch_linger_s)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ingest.mqtt import BrokerConfig, Inbound
from ingest.registry import load_registry
from tests.conftest import DEVICES
from zhian.live import LiveConfig, LiveProcessor

REGISTRY = load_registry(DEVICES)


def message(n: int) -> Inbound:
    return Inbound("zhian/cyl/gate-north/events", b"{}", n, 1, 0)


def later(delay_s: float, live: LiveProcessor, messages: list[Inbound]) -> threading.Timer:
    timer = threading.Timer(delay_s, live.mqtt.inbox.put_many, args=(messages,))
    timer.start()
    return timer


def processor(tmp_path: Path, linger_s: float, batch_max: int = 2000) -> LiveProcessor:
    config = LiveConfig(store_path=tmp_path / "z.db", cameras=False, batch_linger_s=linger_s, batch_max=batch_max)
    return LiveProcessor(REGISTRY, BrokerConfig(port=1), config)


def test_a_stream_is_gathered_into_one_batch_after_a_recent_one(tmp_path: Path) -> None:
    live = processor(tmp_path, linger_s=2.0)
    try:
        live.mqtt.inbox.put_many([message(1)])
        assert [m.mid for m in live._drain(0.05)] == [1]
        live.mqtt.inbox.put_many([message(2)])
        timer = later(0.2, live, [message(3), message(4)])
        # a batch began just now: the next one waits for what streams in meanwhile
        assert [m.mid for m in live._drain(0.05)] == [2, 3, 4]
        timer.join()
    finally:
        live.store.close()


def test_a_message_after_a_quiet_spell_does_not_wait(tmp_path: Path) -> None:
    live = processor(tmp_path, linger_s=5.0)
    try:
        live.mqtt.inbox.put_many([message(1)])
        live._drain(0.05)
        live._batch_started = time.monotonic() - 6.0  # as if that batch began before a quiet spell
        live.mqtt.inbox.put_many([message(2)])
        timer = later(0.3, live, [message(3)])
        assert [m.mid for m in live._drain(0.05)] == [2]
        timer.join()
        assert [m.mid for m in live.mqtt.inbox.get_many(10, 0)] == [3]
    finally:
        live.store.close()
