"""Rule files: overrides without editing the pack, and problems named by file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import RegistryError
from ingest.registry import load_registry
from rules.pack import load_rules
from rules.spec import parse_duration_ms
from rules.testing import TEST_DEVICES

REGISTRY = load_registry(TEST_DEVICES)


def problems(tmp_path: Path, **files: str) -> list[str]:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_rules(REGISTRY, tmp_path)
    return [f"{Path(p.file).name}:{p.line}: {p.key}: {p.message}" for p in err.value.problems]


def test_params_override_changes_a_threshold(tmp_path: Path) -> None:
    (tmp_path / "door_held_open.yaml").write_text("override: door_held_open\nparams: {open_for: 3m}\n")
    rule = {r.name: r for r in load_rules(REGISTRY, tmp_path)}["door_held_open"]
    assert rule.spec.raise_.any[1].absence.within == "3m"  # type: ignore[index, union-attr]


def test_override_can_disable_and_a_new_rule_can_be_added(tmp_path: Path) -> None:
    (tmp_path / "off.yaml").write_text("override: camera_tamper\nenabled: false\n")
    (tmp_path / "mine.yaml").write_text(
        "rule: lobby_forced_night\nseverity: critical\nraise:\n  event:\n"
        "    where: {type: door.forced, device.zone: lobby}\n"
        "    during: {from: '23:00', to: '05:00'}\n"
        "clear: {ack: true}\nsummary: {zh: '{place}夜间被强行打开', en: '{place_en} forced at night'}\n")
    names = {r.name for r in load_rules(REGISTRY, tmp_path)}
    assert "camera_tamper" not in names and "lobby_forced_night" in names and len(names) == 18


def test_a_same_named_file_replaces_the_shipped_rule(tmp_path: Path) -> None:
    (tmp_path / "door_tailgating.yaml").write_text(
        "rule: door_tailgating\nseverity: critical\nraise:\n  event: {where: {type: door.tailgating}}\n"
        "clear: {ack: true}\nsummary: {zh: 尾随, en: tailgating}\n")
    rule = {r.name: r for r in load_rules(REGISTRY, tmp_path)}["door_tailgating"]
    assert rule.spec.severity == "critical"


def test_problems_name_file_line_and_key(tmp_path: Path) -> None:
    got = problems(
        tmp_path,
        mine="rule: my_rule\nseverity: major\nparams:\n  w: 5x\nraise:\n  count:\n"
             "    where: {type: access.denied, device.colour: red}\n    at_least: 3\n    within: $w\n"
             "clear:\n  quiet: $nope\nsummary: {zh: 测试, en: test}\n",
        door_held_open="override: door_held_open\nparams:\n  open_for: soon\n  nosuch: 1\nseverity: urgent\n",
        typo="rule: typo\nseverity: major\nraise:\n  event: {where: {type: door.opend}}\nclear: {}\n"
             "extra: 1\nsummary: {zh: 测试, en: test}\n",
    )
    assert got[0] == "door_held_open.yaml:3: params.open_for: not a duration like 120s, 10m, 36h or 7d: 'soon'"
    assert got[1] == "door_held_open.yaml:4: params.nosuch: rule 'door_held_open' has no such parameter"
    assert got[2].startswith("door_held_open.yaml:5: severity: Input should be 'critical'")
    assert got[3] == "mine.yaml:4: params.w: not a duration like 120s, 10m, 36h or 7d: '5x'"
    assert got[4].startswith("mine.yaml:7: raise.count.where: unknown field 'device.colour'")
    assert got[5] == "mine.yaml:11: clear.quiet: unknown parameter '$nope'"
    assert got[6:] == [
        "typo.yaml:4: raise.event.where: unknown event type 'door.opend'",
        "typo.yaml:5: clear: give on, quiet or ack: true",
        "typo.yaml:6: extra: unknown key",
    ]


def test_yaml_syntax_and_shape_errors(tmp_path: Path) -> None:
    got = problems(tmp_path, bad="rule: x\n  severity: [\n", both="rule: a\noverride: b\n")
    assert got[0].startswith("bad.yaml:2: -: not valid YAML")
    assert got[1] == "both.yaml:1: -: a rule file is a mapping with either rule: or override:"


def test_construct_choice_is_exclusive(tmp_path: Path) -> None:
    got = problems(tmp_path, two="rule: two\nseverity: major\nraise:\n  event: {where: {type: door.forced}}\n"
                   "  count: {where: {type: door.forced}, at_least: 2, within: 1m}\n"
                   "clear: {ack: true}\nsummary: {zh: 测试, en: test}\n")
    assert got == ["two.yaml:3: raise: give exactly one of event, count, distinct, sequence, absence, "
                   "dwell, sustained, quiet or any (got ['event', 'count'])"]


def test_durations() -> None:
    assert parse_duration_ms("1h30m") == 5_400_000
    assert parse_duration_ms("500ms") == 500
    assert parse_duration_ms("7d") == 604_800_000
    with pytest.raises(ValueError):
        parse_duration_ms("10 minutes")


def test_quiet_cannot_be_combined(tmp_path: Path) -> None:
    got = problems(tmp_path, q="rule: q\nseverity: minor\nraise:\n  any:\n"
                   "    - quiet: {where: {device.registered: true}, for: 10m}\n"
                   "    - event: {where: {type: door.forced}}\n"
                   "clear: {ack: true}\nsummary: {zh: 测试, en: test}\n")
    assert got == ["q.yaml:3: raise: a quiet construct cannot be combined with others in one rule"]
