"""End to end on small generated scenes: throws are found at their window, nuisances raise nothing.

Scenes are rendered once per test session (conftest.py) from fixed seeds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.evaluate import match_scene
from detectors.throwing.pipeline import run_source
from detectors.throwing.source import FrameSource
from ingest.registry import Facade
from tests.detectors.throwing_scenes import NUISANCES, THROWS


def _detect(scenes: Path, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    truth = json.loads((scenes / f"{name}.json").read_text(encoding="utf-8"))
    with FrameSource(str(scenes / f"{name}.mp4")) as source:
        detector = ThrowingDetector(Facade(**truth["facade"]), source.fps, name)
        found = [d.to_json() for d in run_source(source, detector)]
    return truth, found


@pytest.mark.parametrize("name", sorted(THROWS))
def test_throw_is_found_at_its_window_soon_after_release(scenes: Path, name: str) -> None:
    truth, found = _detect(scenes, name)
    score = match_scene(name, truth, found)
    assert not score.missed and not score.false_alarms, found
    thrown, alarm = score.matches[0]
    assert alarm["floor"] == thrown["floor"]
    assert alarm["column"] == thrown["column"]
    assert 0 < alarm["frame"] - thrown["release_frame"] <= 1.5 * truth["fps"]
    assert abs(alarm["start_frame"] - thrown["release_frame"]) <= 5
    assert alarm["camera"] == name and 0 < alarm["confidence"] <= 1


@pytest.mark.parametrize("name", sorted(NUISANCES))
def test_nuisances_alone_raise_nothing(scenes: Path, name: str) -> None:
    _, found = _detect(scenes, name)
    assert found == []
