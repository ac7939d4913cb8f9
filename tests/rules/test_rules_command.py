"""`zhian rules test DIR` and `zhian rules check`: exit codes and what they print."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from rules.load import PACK_DIR
from zhian.commands import rules as command


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_the_shipped_pack_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test", "-q"]) == 0
    assert capsys.readouterr().out.strip().endswith("passed, 0 failed")


def test_a_community_dir_runs_its_own_tests_against_its_overrides(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "door_held_open.yaml").write_text("override: door_held_open\nparams: {open_for: 3m}\n")
    (tmp_path / "door_held_open.tests.yaml").write_text(
        (PACK_DIR / "door_held_open.tests.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["rules", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL door_held_open: two doors are two alerts" in out
    assert "at 180s, expected 120s" in out
    assert "PASS door_held_open: near miss, closed after 110 s" in out


def test_invalid_files_exit_2_with_located_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.yaml").write_text("override: door_held_open\nseverity: urgent\n")
    assert main(["rules", "check", str(tmp_path), "--devices", str(PACK_DIR / "testing" / "devices.yaml")]) == 2
    assert "x.yaml:2: severity:" in capsys.readouterr().err


def test_check_lists_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", "--devices", str(PACK_DIR / "testing" / "devices.yaml")]) == 0
    assert capsys.readouterr().out.startswith("ok: 18 rules")
