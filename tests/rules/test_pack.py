"""The shipped rule pack: every rule has a tests file, and every case of it passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.registry import load_registry
from rules.load import PACK_DIR, rule_files
from rules.pack import load_rules
from rules.testing import TEST_DEVICES, RuleCache, find_test_files, load_test_file, run_case

PRODUCT_RULES = {
    "door_forced", "door_held_open", "door_tailgating", "door_duress", "repeated_denials",
    "credential_shared", "stranger_loitering", "care_no_activity", "rental_occupancy",
    "ebike_in_elevator", "ebike_corridor_parking", "ebike_indoor_charging", "charger_over_temp",
    "charger_alarm", "camera_tamper", "device_offline", "unknown_device", "object_thrown",
}
CACHE = RuleCache(None)


def _cases() -> list[object]:
    out = []
    for path in find_test_files(PACK_DIR):
        spec = load_test_file(path)
        for case in spec.cases:
            out.append(pytest.param(path, spec, case, id=f"{spec.rule}: {case.name}"))
    return out


def test_the_pack_has_the_18_rules_of_product_md() -> None:
    rules = load_rules(load_registry(TEST_DEVICES))
    assert {r.name for r in rules} == PRODUCT_RULES


def test_every_rule_file_ships_with_tests_including_a_silent_case() -> None:
    tested = {}
    for path in find_test_files(PACK_DIR):
        spec = load_test_file(path)
        tested[spec.rule] = spec
    assert {p.stem for p in rule_files(PACK_DIR)} == set(tested)
    for name, spec in tested.items():
        assert any(not c.expect for c in spec.cases), f"{name} has no near-miss case"


@pytest.mark.parametrize(("path", "spec", "case"), _cases())
def test_case(path: Path, spec: object, case: object) -> None:
    devices = path.parent / spec.devices if spec.devices else None  # type: ignore[attr-defined]
    rule = CACHE.rules(devices)[spec.rule]  # type: ignore[attr-defined]
    ok, detail = run_case(rule, case, spec.start)  # type: ignore[arg-type, attr-defined]
    assert ok, detail
