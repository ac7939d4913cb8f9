"""The engine's shortcuts on the live path (early raises on arrival): the same outputs, numbers,
times and final state as a processor's plain `keys`, `step`, `on_timer` and `early` give."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from ingest.event import Event
from ingest.registry import load_registry
from rules.activity import DeviceActivity
from rules.engine import Engine, Processor
from rules.pack import load_rules
from rules.testing import TEST_DEVICES
from tests.rules.test_dispatch import EXTRA_RULES, T0, Generic, desk_actions, events

ROOT = Path(__file__).resolve().parents[2]


class Plain(Generic):
    """A processor with its early raises but none of the engine's optional shortcuts
    (`route`, `step_for`, `moved`, `early_wanted`)."""

    def __init__(self, proc: Processor) -> None:
        super().__init__(proc)
        if hasattr(proc, "early"):
            self.early = proc.early
            self.early_types = proc.early_types


def run_live(processors: list[Any], stream: list[Event]) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Every output of `stream` through a fresh engine with early raises, in batches as the live
    processor pushes them (flushed at the end), and its final snapshot."""
    engine = Engine(processors, early_raises=True)
    out = []
    for i in range(0, len(stream), 64):
        out += engine.push_many(stream[i:i + 64])
    out += engine.flush()
    return [(o.n, o.processor, o.key, o.ts_ms, o.output) for o in out], engine.snapshot()


def jittered(registry: Any, rules_dir: Path, seed: int) -> list[Event]:
    """Every kind of event from every device, shuffled, arriving up to 8 s out of order (so the
    early raise of an event comes before events stamped earlier), with desk actions."""
    rng = random.Random(seed)
    base = events(registry)
    rng.shuffle(base)
    desk = desk_actions(list(load_rules(registry, rules_dir)), registry)
    stream = []
    for i, e in enumerate(base):
        stream.append(Event(e.id, T0 + i * 3_000 + rng.randint(-8_000, 8_000), e.device, e.type, e.subject, e.data))
        if i % 53 == 0:
            d = desk[(i // 53) % len(desk)]
            stream.append(Event(f"{d.id}-{i}", T0 + i * 3_000, d.device, d.type, None, d.data))
    return stream


@pytest.mark.parametrize("seed", [3, 17])
@pytest.mark.parametrize("devices", [TEST_DEVICES, ROOT / "devices.yaml"], ids=["testing", "example"])
def test_live_shortcuts_change_nothing(devices: Path, seed: int, tmp_path: Path) -> None:
    registry = load_registry(devices)
    for name, text in EXTRA_RULES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    stream = jittered(registry, tmp_path, seed)
    fast_rules = load_rules(registry, tmp_path)
    skipped = [0]
    for rule in fast_rules:
        def counted(event: Event, _wanted: Any = rule.early_wanted) -> bool:
            wanted = _wanted(event)
            skipped[0] += not wanted
            return bool(wanted)
        rule.early_wanted = counted  # type: ignore[method-assign]
    fast, fast_state = run_live([DeviceActivity(), *fast_rules], stream)
    slow, slow_state = run_live([Plain(p) for p in [DeviceActivity(), *load_rules(registry, tmp_path)]], stream)
    assert fast == slow
    assert fast_state == slow_state
    assert skipped[0] > 100  # the shortcut was taken
    # early raises happened, and the desk acknowledged on arrival
    states = {(o[1], o[4].state) for o in fast if hasattr(o[4], "state")}
    assert ("door_forced", "raised") in states and ("charger_over_temp", "raised") in states
    assert any(state == "acknowledged" for _, state in states)
