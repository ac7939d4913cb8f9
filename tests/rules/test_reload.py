"""Hot reload: validated, compiled and tested before it replaces the running rules."""

from __future__ import annotations

from pathlib import Path

from ingest.event import Event
from ingest.registry import load_registry
from rules.engine import Engine
from rules.load import PACK_DIR
from rules.outputs import AlertTransition
from rules.pack import load_rules
from rules.reload import directory_stamp, incompatible, plan_reload, signatures, swap_engine
from rules.testing import TEST_DEVICES

REGISTRY = load_registry(TEST_DEVICES)
T0 = 1_793_845_507_000
HELD_TESTS = (PACK_DIR / "door_held_open.tests.yaml").read_text(encoding="utf-8")


def states(outputs: list[object]) -> list[tuple[str, str, int]]:
    return [(o.output.rule, o.output.state, (o.output.ts_ms - T0) // 1000) for o in outputs  # type: ignore[attr-defined]
            if isinstance(o.output, AlertTransition)]  # type: ignore[attr-defined]


def running() -> Engine:
    engine = Engine(load_rules(REGISTRY))
    engine.push(Event("o1", T0, "lobby-4-2", "door.opened"))
    engine.push(Event("t1", T0 + 1000, "gate-north", "door.tailgating"))
    engine.push(Event("h0", T0 + 10_000, "gate-south", "device.heartbeat"))  # releases both
    return engine


def test_accepted_reload_keeps_state_and_applies_new_thresholds(tmp_path: Path) -> None:
    engine = running()
    (tmp_path / "door_held_open.yaml").write_text("override: door_held_open\nparams: {open_for: 100s}\n")
    (tmp_path / "door_held_open.tests.yaml").write_text(
        "rule: door_held_open\ncases:\n  - name: 100 s now\n    events:\n"
        "      - {at: 0s, device: lobby-4-2, type: door.opened}\n    until: 2m\n"
        "    expect:\n      - {at: 100s, state: raised}\n")
    new, report = plan_reload(REGISTRY, tmp_path, list(engine._processors.values()))
    assert report.accepted and new is not None, report.problems
    assert report.changed == ["door_held_open"] and report.reset == [] and report.untested == []
    swapped = swap_engine(engine, new, report.reset)
    out = swapped.push(Event("h1", T0 + 200_000, "gate-south", "device.heartbeat"))
    out += swapped.push(Event("k1", T0 + 201_000, "desk", "zhian.alert.ack", None,
                              {"rule": "door_tailgating", "device": "gate-north"}))
    out += swapped.flush()
    # the pending open (before the reload) still fires, at its old deadline
    assert ("door_held_open", "raised", 120) in states(out)
    assert ("door_tailgating", "cleared", 201) in states(out)
    assert "reloaded" in report.summary()


def test_invalid_file_is_rejected_and_nothing_changes(tmp_path: Path) -> None:
    engine = running()
    (tmp_path / "door_held_open.yaml").write_text("override: door_held_open\nparams: {open_for: soon}\n")
    new, report = plan_reload(REGISTRY, tmp_path, list(engine._processors.values()))
    assert new is None and not report.accepted
    assert "door_held_open.yaml:2: params.open_for" in report.problems[0]
    assert "rejected" in report.summary()


def test_failing_tests_reject_the_reload(tmp_path: Path) -> None:
    (tmp_path / "door_held_open.yaml").write_text("override: door_held_open\nparams: {open_for: 3m}\n")
    (tmp_path / "door_held_open.tests.yaml").write_text(HELD_TESTS)
    new, report = plan_reload(REGISTRY, tmp_path, load_rules(REGISTRY))
    assert new is None and not report.accepted
    assert any("two doors are two alerts" in p for p in report.problems)


def test_structural_change_resets_that_rule_only(tmp_path: Path) -> None:
    engine = running()
    (tmp_path / "door_held_open.yaml").write_text(
        "rule: door_held_open\nseverity: major\nraise:\n  event: {where: {type: door.held_open}}\n"
        "clear: {on: {type: door.closed}}\nsummary: {zh: 门未关, en: held open}\n")
    new, report = plan_reload(REGISTRY, tmp_path, list(engine._processors.values()))
    assert report.accepted and new is not None
    assert report.reset == ["door_held_open"] and report.untested == ["door_held_open"]
    swapped = swap_engine(engine, new, report.reset)
    assert not [k for (p, k) in swapped.state if p == "door_held_open"]
    assert [k for (p, k) in swapped.state if p == "door_tailgating"] == ["gate-north"]


def test_directory_stamp_changes_with_files(tmp_path: Path) -> None:
    before = directory_stamp(tmp_path)
    (tmp_path / "x.yaml").write_text("override: door_held_open\n")
    assert directory_stamp(tmp_path) != before


def test_signatures_tell_which_saved_states_no_longer_fit(tmp_path: Path) -> None:
    saved = signatures(load_rules(REGISTRY))
    (tmp_path / "door_held_open.yaml").write_text(
        "rule: door_held_open\nseverity: major\nraise:\n  event: {where: {type: door.held_open}}\n"
        "clear: {on: {type: door.closed}}\nsummary: {zh: 门未关, en: held open}\n")
    assert incompatible(saved, load_rules(REGISTRY, tmp_path)) == ["door_held_open"]
    assert incompatible(saved, load_rules(REGISTRY)) == []
