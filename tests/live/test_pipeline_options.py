"""Pipeline options the live processor relies on: early raises chosen at construction."""

from __future__ import annotations

from pathlib import Path

from ingest.event import Event
from ingest.mqtt import BrokerConfig
from ingest.registry import load_registry
from rules.outputs import AlertTransition
from tests.conftest import DEVICES
from zhian.live import LiveConfig, LiveProcessor
from zhian.pipeline import Pipeline, load_processors

REGISTRY = load_registry(DEVICES)
T0 = 1_793_845_507_000


def raised_on_arrival(pipeline: Pipeline) -> list[str]:
    out = pipeline.push(Event("f1", T0, "gate-north", "door.forced"))
    return [o.output.rule for o in out if isinstance(o.output, AlertTransition) and o.output.state == "raised"]


def test_early_raises_is_a_constructor_choice_and_off_by_default() -> None:
    processors = load_processors(REGISTRY, None, pseudonyms=None)
    assert raised_on_arrival(Pipeline(REGISTRY, processors, pseudonyms=None, early_raises=True)) == ["door_forced"]
    assert raised_on_arrival(Pipeline(REGISTRY, processors, pseudonyms=None)) == [], "replays keep event order"


def test_the_live_processor_raises_early(tmp_path: Path) -> None:
    live = LiveProcessor(REGISTRY, BrokerConfig(port=1), LiveConfig(store_path=tmp_path / "z.db", cameras=False))
    try:
        assert live.pipeline.engine.early_raises
        assert raised_on_arrival(live.pipeline) == ["door_forced"]
    finally:
        live.store.close()
