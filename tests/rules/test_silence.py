"""Silences: owner and expiry, on event time; silenced transitions are still emitted."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.render import render_output
from ingest.errors import RegistryError
from ingest.event import Event
from ingest.registry import load_registry
from rules.engine import Engine
from rules.outputs import AlertTransition
from rules.pack import load_rules
from rules.testing import TEST_DEVICES

REGISTRY = load_registry(TEST_DEVICES)
T0 = 1_793_845_507_000  # 2026-11-05T10:25:07+08:00

SILENCES = """silences:
  - device: lobby-4-2
    rule: door_held_open
    owner: 王工
    reason: 门禁维修
    until: "2026-11-05T12:00:00+08:00"
"""


def run(rules_dir: Path, *events: Event) -> list[object]:
    engine = Engine(load_rules(REGISTRY, rules_dir))
    out = []
    for e in events:
        out += engine.push(e)
    out += engine.flush()
    return [o for o in out if isinstance(o.output, AlertTransition) and o.output.rule == "door_held_open"]


def test_silenced_until_expiry_then_paged_again(tmp_path: Path) -> None:
    (tmp_path / "silences.yaml").write_text(SILENCES, encoding="utf-8")
    during = run(tmp_path, Event("o1", T0, "lobby-4-2", "door.opened"),
                 Event("o2", T0 + 1000, "lobby-3-1", "door.opened"),
                 Event("h1", T0 + 200_000, "gate-north", "device.heartbeat"))
    by_device = {o.output.device: o for o in during}  # type: ignore[attr-defined]
    assert by_device["lobby-4-2"].output.silenced == "王工"  # type: ignore[attr-defined]
    assert by_device["lobby-3-1"].output.silenced is None  # type: ignore[attr-defined]
    [(topic, payload)] = render_output(by_device["lobby-4-2"], REGISTRY)  # type: ignore[arg-type]
    # on the alerts topic like every transition (PRODUCT.md), marked so that it does not page
    assert topic == "zhian/test/alerts" and payload["state"] == "raised" and payload["silenced"] == "王工"
    assert payload["summary_zh"].endswith("（已屏蔽：王工）") and payload["summary_en"].endswith("(silenced by 王工)")
    [(_, paged)] = render_output(by_device["lobby-3-1"], REGISTRY)  # type: ignore[arg-type]
    assert "silenced" not in paged and "屏蔽" not in paged["summary_zh"]
    later = T0 + 2 * 3_600_000  # after 12:00
    after = run(tmp_path, Event("o3", later, "lobby-4-2", "door.opened"),
                Event("h2", later + 200_000, "gate-north", "device.heartbeat"))
    assert [o.output.silenced for o in after] == [None]  # type: ignore[attr-defined]


def test_bad_silence_is_a_located_problem(tmp_path: Path) -> None:
    (tmp_path / "silences.yaml").write_text("silences:\n  - owner: x\n    until: tomorrow\n")
    with pytest.raises(RegistryError) as err:
        load_rules(REGISTRY, tmp_path)
    assert [f"{p.line}: {p.key}" for p in err.value.problems] == ["3: silences[0].until"]
