"""Fixed synthetic scenes for the throwing detector tests (seeds chosen before looking at results)."""

from __future__ import annotations

from detectors.throwing.synth.scene import SceneSpec

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
