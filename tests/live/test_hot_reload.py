"""Hot reload in the live processor: a valid change is swapped in, an invalid one refused."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ingest.event import Event
from ingest.mqtt import BrokerConfig
from ingest.registry import load_registry
from tests.conftest import DEVICES
from zhian.live import LiveConfig, LiveProcessor

T0 = 1_793_575_865_000


def processor(tmp_path: Path, rules_dir: Path) -> LiveProcessor:
    config = LiveConfig(store_path=tmp_path / "zhian.db", rules_dir=rules_dir)
    return LiveProcessor(load_registry(DEVICES), BrokerConfig(port=1), config)


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = time.time() + 1  # a new mtime even within the same second
    os.utime(path, (stamp, stamp))


def test_valid_change_is_swapped_in_with_state_kept(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    live = processor(tmp_path, rules_dir)
    engine = live.pipeline.engine
    for i in range(4):  # state in repeated_denials and device_activity
        engine.push(Event(f"d{i}", T0 + i * 1000, "gate-north", "access.denied", None, {"reason": "expired"}))
    state_before = dict(engine.state)
    write(rules_dir / "denials.yaml", "override: repeated_denials\nparams:\n  denials: 3\n")
    assert live.reload_rules()
    rule = next(p for p in live.processors if p.name == "repeated_denials")
    assert rule.spec.params["denials"] == 3  # type: ignore[attr-defined]
    assert live.pipeline.engine is not engine
    assert live.pipeline.engine.state == state_before, "thresholds changed: state is kept"
    assert live.store.load_snapshot("engine") is not None, "a swap is followed by a snapshot"


def test_invalid_change_is_refused_and_old_rules_keep_running(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    live = processor(tmp_path, rules_dir)
    before = [p.name for p in live.processors]
    engine = live.pipeline.engine
    write(rules_dir / "broken.yaml", "override: repeated_denials\nparams:\n  denials: many\n")
    assert not live.reload_rules()
    assert [p.name for p in live.processors] == before
    assert live.pipeline.engine is engine
    write(rules_dir / "broken.yaml", "override: no_such_rule\nparams: {}\n")
    assert not live.reload_rules()
    assert live.pipeline.engine is engine
