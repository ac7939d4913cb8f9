"""Fixed synthetic scenes for the throwing detector tests (seeds chosen before looking at results)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.pipeline import run_source
from detectors.throwing.source import FrameSource
from detectors.throwing.synth.scene import SceneSpec, random_spec, render_scene
from ingest.registry import Facade

THROWS = {
    "heavy-plain": SceneSpec(seed=101, throws=1, nuisances=(), night=False, seconds=4, throw_kind="heavy"),
    "heavy-birds-lights": SceneSpec(
        seed=102, throws=1, nuisances=("birds", "window_lights"), night=False, seconds=4, throw_kind="heavy"
    ),
    "heavy-night": SceneSpec(seed=103, throws=1, nuisances=("laundry",), night=True, seconds=4, throw_kind="heavy"),
}
NUISANCES = {
    "birds-leaves": SceneSpec(
        seed=201, throws=0, nuisances=("birds", "diving_birds", "leaves"), night=False, seconds=5
    ),
    "laundry-lights": SceneSpec(
        seed=202, throws=0, nuisances=("laundry", "curtains", "window_lights", "illumination"), night=False, seconds=5
    ),
    "night-rain-shake": SceneSpec(
        seed=203, throws=0, nuisances=("rain", "insects", "shake", "compression"), night=True, seconds=5
    ),
}


def scene_alarms(
    seed: int, tmp_path: Path, nuisance_only: bool = False
) -> tuple[dict[str, Any], list[tuple[int, int, int]]]:
    """Render the generator's scene of `seed` into `tmp_path` and run the detector over it: the
    truth, and each alarm's (frame, floor, column) in alarm order."""
    truth = render_scene(random_spec(seed, nuisance_only=nuisance_only), tmp_path, "scene")
    with FrameSource(str(tmp_path / "scene.mp4")) as source:
        detector = ThrowingDetector(Facade(**truth["facade"]), source.fps, "scene")
        return truth, [(d.frame, d.floor, d.column) for d in run_source(source, detector)]
